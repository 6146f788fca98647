from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from platforms.models import FailureProfile, Platform


def _platforms():
    return Platform.objects.prefetch_related(
        Prefetch("profiles", FailureProfile.objects.select_related("failure_mode"))
    )


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "platforms/home.html", {"platforms": _platforms()})


def platform_index(request: HttpRequest) -> HttpResponse:
    return render(request, "platforms/index.html", {"platforms": _platforms()})


def platform_detail(request: HttpRequest, slug: str) -> HttpResponse:
    platform = get_object_or_404(_platforms(), slug=slug)
    return render(
        request,
        "platforms/detail.html",
        {
            "platform": platform,
            "channel_rows": platform.channel_rows(),
        },
    )


def failure_detail(request: HttpRequest, slug: str, failure: str) -> HttpResponse:
    profile = get_object_or_404(
        FailureProfile.objects.select_related("platform", "failure_mode"),
        platform__slug=slug,
        failure_mode__slug=failure,
    )
    others = (
        FailureProfile.objects.exclude(platform=profile.platform)
        .select_related("platform", "failure_mode")
        .order_by("platform__position")
    )
    return render(
        request,
        "platforms/failure.html",
        {
            "profile": profile,
            "platform": profile.platform,
            "mode": profile.failure_mode,
            "channel_rows": profile.platform.channel_rows(),
            "same_term_elsewhere": [
                p for p in others if p.failure_mode_id == profile.failure_mode_id
            ],
            "related_elsewhere": [
                p for p in others if p.failure_mode_id != profile.failure_mode_id
            ],
        },
    )


def preflight(request: HttpRequest) -> HttpResponse:
    return render(request, "platforms/preflight.html", {"nav": "preflight"})
