from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from avadesk.health import run_checks

RATE_LIMITED = "Too many requests from your connection. Please wait a few minutes and try again."


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"error": RATE_LIMITED}, status=429)
    return render(
        request, "error.html", {"title": "Slow down", "message": RATE_LIMITED}, status=429
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For a load balancer or a monitor: 200 when every part answers, 503 naming what fails."""
    results = run_checks()
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **results}, status=200 if healthy else 503
    )
