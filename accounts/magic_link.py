"""Sign-in links: Django's own signed tokens, valid once and for MAGIC_LINK_MAX_AGE seconds.

The token signs the e-mail address and the account's last sign-in time. Signing in changes
that time (Django's ``update_last_login``), so a used link no longer matches: it works once.
No table of issued links, no new dependency, and no account exists until a link is used.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing

SALT = "accounts.magic-link"


class LinkInvalid(Exception):
    """The link is altered, expired or already used."""


def normalise(email: str) -> str:
    return email.strip().lower()


def _last_login(email: str) -> str:
    user = User.objects.filter(username=email).only("last_login").first()
    return user.last_login.isoformat() if user and user.last_login else ""


def make_token(email: str) -> str:
    email = normalise(email)
    return signing.TimestampSigner(salt=SALT).sign_object(
        {"e": email, "l": _last_login(email)}, compress=True
    )


def read_token(token: str) -> str:
    """The e-mail address the link was made for; LinkInvalid if it must not sign in."""
    try:
        data = signing.TimestampSigner(salt=SALT).unsign_object(
            token, max_age=settings.MAGIC_LINK_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise LinkInvalid("This sign-in link has expired.") from error
    except signing.BadSignature as error:
        raise LinkInvalid("This sign-in link is not valid.") from error
    email = data.get("e", "") if isinstance(data, dict) else ""
    if not email or data.get("l") != _last_login(email):
        raise LinkInvalid("This sign-in link has already been used.")
    return email


def user_for(email: str) -> User:
    """The account for a confirmed address, made on first sign-in (no password)."""
    user, created = User.objects.get_or_create(username=email, defaults={"email": email})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
