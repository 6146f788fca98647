"""The site's own error pages (404, 403, 400, 500, 429), never Django's bare ones."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from avadesk.health import run_checks

logger = logging.getLogger(__name__)


def _error_page(request: HttpRequest, *, status: int, title: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": message}, status=status)
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def bad_request_page(request: HttpRequest, message: str) -> HttpResponse:
    """A 400 that says what was wrong with the request, in the site's own page."""
    return _error_page(request, status=400, title="We could not use that request", message=message)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, TooManyFilesSent):
        from tickets.evidence import MAX_SCREENSHOTS

        message = (
            f"Too many files were sent at once: a case holds at most {MAX_SCREENSHOTS} "
            "screenshots. Go back and choose fewer files. Nothing was stored."
        )
    else:
        message = "Something in that request was not valid. Go back and try again."
    return bad_request_page(request, message)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        status=403,
        title="Not allowed",
        message="This request was refused. If you sent a form, reload the page and send it again.",
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error_page(
        request,
        status=403,
        title="Please send the form again",
        message="This form had expired or came from another page. Reload the page and "
        "send it again: what you typed on earlier steps is saved.",
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # The same words for a missing page and a wrong private link: a guess learns nothing.
    return _error_page(
        request,
        status=404,
        title="Page not found",
        message="There is nothing here. If you followed your case's private link, check "
        "that it was copied whole.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    message = "Something went wrong on our side. What you entered is saved; please try again."
    try:
        return _error_page(request, status=500, title="Something went wrong", message=message)
    except Exception:
        # The page itself failed (a missing static manifest, a broken template): plain text.
        logger.exception("The 500 page could not be rendered")
        return HttpResponse(message, status=500, content_type="text/plain; charset=utf-8")


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WAIT_WORDS = {60: "a minute", 3600: "an hour", 86400: "a day"}


def retry_after_seconds(rate: str) -> int:
    """How long to wait, at most, under a django-ratelimit rate ('120/m', '5/10m'): one period."""
    period = rate.partition("/")[2].strip() or "m"
    number, unit = period[:-1], period[-1]
    return int(number or 1) * _UNITS[unit]


def _wait_words(seconds: int) -> str:
    return _WAIT_WORDS.get(seconds) or f"{max(1, round(seconds / 60))} minutes"


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        rate = settings.RATE_API
    elif request.path.startswith("/cases/"):  # uploads of screenshots and clips
        rate = settings.RATE_UPLOADS
    else:
        rate = settings.RATE_CASE_CREATION
    wait = retry_after_seconds(rate)
    message = (
        f"Too many requests from your connection. Please wait up to {_wait_words(wait)} "
        "and try again."
    )
    response = _error_page(request, status=429, title="Slow down", message=message)
    response["Retry-After"] = str(wait)
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or a monitor: 200 when every part answers, 503 naming what fails."""
    results = run_checks()
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **results}, status=200 if healthy else 503
    )
