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
