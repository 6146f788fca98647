from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class RequestSizeLimitMiddleware:
    """Refuse request bodies over MAX_UPLOAD_REQUEST_BYTES before anything reads them.

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but streams uploaded files to
    disk without a total limit, so one oversized request could fill the disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_REQUEST_BYTES:
            limit_mb = settings.MAX_UPLOAD_REQUEST_BYTES // (1024 * 1024)
            message = f"This upload is too large: the limit is {limit_mb} MB per request."
            return render(
                request, "error.html", {"title": "Too large", "message": message}, status=413
            )
        return self.get_response(request)


# Every URL under /cases/ shows or serves one person's case (or the list of their cases).
PRIVATE_PREFIX = "/cases/"
PRIVATE_CACHE_CONTROL = "private, no-store"


class PrivateCaseCacheMiddleware:
    """``Cache-Control: private, no-store`` on every case page and every file made from one.

    A shared computer's browser cache or a proxy must never keep a copy of someone's
    case; it also covers the 404 a wrong private link gets.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(PRIVATE_PREFIX):
            response["Cache-Control"] = PRIVATE_CACHE_CONTROL
        return response
