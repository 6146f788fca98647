from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

RATE_LIMITED = "Too many requests from your connection. Please wait a few minutes and try again."


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": RATE_LIMITED}, status=429)
    return render(
        request, "error.html", {"title": "Slow down", "message": RATE_LIMITED}, status=429
    )
