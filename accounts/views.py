from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.forms import SignInForm
from accounts.magic_link import LinkInvalid, make_token, read_token, user_for
from tickets.ownership import claim_cases, session_tokens


@ratelimit(
    group="emails", key="ip", rate=lambda group, request: settings.RATE_EMAILS, method="POST"
)
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignInForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            link = request.build_absolute_uri(reverse("accounts:link", args=[make_token(email)]))
            send_mail(
                "Your AVA Desk sign-in link",
                render_to_string(
                    "accounts/email_sign_in.txt",
                    {"link": link, "minutes": settings.MAGIC_LINK_MAX_AGE // 60},
                ),
                None,
                [email],
            )
            return render(request, "accounts/link_sent.html", {"email": email})
    else:
        form = SignInForm()
    return render(
        request,
        "accounts/sign_in.html",
        {"form": form, "minutes": settings.MAGIC_LINK_MAX_AGE // 60},
    )


def use_link(request: HttpRequest, token: str) -> HttpResponse:
    """A page with a button: the link signs in on POST, so a mail scanner's visit uses nothing."""
    try:
        email = read_token(token)
    except LinkInvalid as error:
        return render(request, "accounts/link_invalid.html", {"reason": error}, status=400)
    if request.method == "POST":
        tokens = session_tokens(request)  # before login() renews the session
        user = user_for(email)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        claimed = claim_cases(tokens, user)
        return render(request, "accounts/signed_in.html", {"claimed": claimed, "email": email})
    return render(request, "accounts/confirm.html", {"email": email})


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("platforms:home")
