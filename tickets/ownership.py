"""Whose cases are these: the browser session's, and the signed-in account's.

The private link stays the key to one case; this decides what "My cases", the export and
"delete everything" cover.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from tickets.models import Case

SESSION_KEY = "case_tokens"  # the tokens of the cases opened in this browser
MAX_REMEMBERED = 50


def session_tokens(request: HttpRequest) -> list[str]:
    return list(request.session.get(SESSION_KEY, []))


def remember(request: HttpRequest, case: Case) -> None:
    """List the case under this browser's "My cases", most recent first."""
    tokens = [t for t in session_tokens(request) if t != case.token]
    request.session[SESSION_KEY] = [case.token, *tokens][:MAX_REMEMBERED]


def my_cases(request: HttpRequest) -> QuerySet[Case]:
    mine = Q(token__in=session_tokens(request))
    if request.user.is_authenticated:
        mine |= Q(owner=request.user)
    return Case.objects.filter(mine).select_related(
        "platform", "plan", "failure_mode", "sent_channel"
    )


def claim_cases(tokens: list[str], user: AbstractBaseUser | AnonymousUser) -> int:
    """Give a signed-in user the session's cases nobody owns yet; how many were claimed."""
    if not user.is_authenticated or not tokens:
        return 0
    return Case.objects.filter(token__in=tokens, owner=None).update(owner=user)
