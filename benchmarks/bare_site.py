"""The baseline of bench_load.py: bare Django, startproject's middleware, two tiny views.

    gunicorn benchmarks.bare_site:application

``GET /`` answers "ok"; ``POST /json`` reads a JSON body and answers a small JSON object,
the least any JSON API does. Imported where settings are already configured (the
in-process ``bench_requests.py``), it configures nothing and only lends its middleware,
views and URLs.
"""

from __future__ import annotations

import json
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

# As `django-admin startproject` writes it.
STARTPROJECT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
        ],
        MIDDLEWARE=STARTPROJECT_MIDDLEWARE,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    )


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@csrf_exempt
def echo_json(request: HttpRequest) -> JsonResponse:
    data = json.loads(request.body)
    return JsonResponse({"ok": True, "keys": sorted(data)})


urlpatterns = [path("", ok), path("json", echo_json)]

from django.core.wsgi import get_wsgi_application  # noqa: E402  (after configure)

application = get_wsgi_application()
