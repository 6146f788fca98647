"""AVA Desk settings: one module, driven by environment variables.

With no variables set it runs in development mode on SQLite with local media,
Django's immediate task backend and nothing else to install.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable: anything but the usual words is a mistake, not a "no"."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be one of 1/0, true/false, yes/no, on/off; it is {value!r}."
    )


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; it is {value!r}.") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; it is {number}.")
    return number


def env_choice(name: str, choices: dict[str, str], default: str) -> str:
    """The value that a variable's word stands for, e.g. TASKS_BACKEND=database."""
    value = os.environ.get(name, "").strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name} must be one of {', '.join(sorted(choices))}; it is {value!r}."
        )
    return choices[value]


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as 30/h: checked here, or a typo fails on the first request."""
    value = os.environ.get(name, "").strip() or default
    if not re.fullmatch(r"\d+/\d*[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 30/h (count/s, m, h or d); it is {value!r}."
        )
    return value


DEBUG = env_bool("DEBUG", default=True)

SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if DEBUG:
    SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
elif not SECRET_KEY or not ALLOWED_HOSTS:
    # A production process with a guessable key or a wildcard host is worse than none.
    raise ImproperlyConfigured("Production (DEBUG=0) needs SECRET_KEY and ALLOWED_HOSTS set.")

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "avadesk",
    "platforms",
    "tickets",
    "analysis",
    "accounts",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "avadesk.middleware.PrivateCaseCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "avadesk.middleware.RequestSizeLimitMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

if not DEBUG:
    # Serves collected static files in production; runserver serves them in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "avadesk.urls"
WSGI_APPLICATION = "avadesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # A worker thread keeps its connection: opening one per request (a PostgreSQL
        # handshake, SQLite's pragmas) halved the wizard step's throughput in bench_load.
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite under threaded workers: WAL lets readers run beside the one writer;
    # IMMEDIATE takes the write lock when a transaction starts, so two transactions that
    # read and then write queue on the busy timeout instead of one failing with
    # "database is locked"; the timeout covers the longest write (an analysis applied
    # to a case, a page of screenshots) with room to spare.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SQLITE_BUSY_TIMEOUT_S", 30, minimum=1),
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploads larger than FILE_UPLOAD_MAX_MEMORY_SIZE are received into this folder, which
# belongs to the app alone: a worker killed mid-upload leaves its half file here, and
# cleanup_orphans empties it of anything older than the grace period.
UPLOAD_TEMP_DIR = Path(env_str("UPLOAD_TEMP_DIR", str(BASE_DIR / "tmp" / "uploads")))
FILE_UPLOAD_TEMP_DIR = str(UPLOAD_TEMP_DIR)
# cleanup_orphans leaves files younger than this alone: an upload is stored before the row
# that names it commits, and a clip is copied here while it is analysed.
ORPHAN_GRACE_S = env_int("ORPHAN_GRACE_S", 60 * 60, minimum=0)

# Case files are private: they are never served from MEDIA_URL, only through
# views that check the case's private link, so the storage needs no public URL.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if env_str("AWS_STORAGE_BUCKET_NAME"):
    # django-storages reads AWS_* variables (endpoint, keys, region) itself.
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }

TASKS = {
    "default": {
        "BACKEND": env_choice(
            "TASKS_BACKEND",
            {
                "immediate": "django.tasks.backends.immediate.ImmediateBackend",
                "database": "django_tasks_db.DatabaseBackend",
                "dummy": "django.tasks.backends.dummy.DummyBackend",
            },
            default="immediate",
        )
    }
}

CACHES = {
    "default": {
        "BACKEND": env_choice(
            "CACHE_BACKEND",
            {
                "local": "django.core.cache.backends.locmem.LocMemCache",
                "database": "django.core.cache.backends.db.DatabaseCache",
            },
            default="local",
        ),
        "LOCATION": "avadesk_cache",
    }
}

# /healthz fails when a task has waited this long for a worker (TASKS_BACKEND=database).
HEALTHZ_TASK_STALE_S = env_int("HEALTHZ_TASK_STALE_S", 300, minimum=1)

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 90  # "my cases" should outlive a browser restart
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # A load balancer's probe may come over plain HTTP from inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# manage.py check --deploy (run by scripts/serve) refuses SQLite unless this is set.
ALLOW_SQLITE_IN_PRODUCTION = env_bool("ALLOW_SQLITE_IN_PRODUCTION", default=False)

# Request size limits: uploads are streamed to disk above 2.5 MB and refused above these.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
# Well above the 12 screenshots a case holds, so that choosing 13 reaches the form, which
# says so on the step itself; beyond this, the site's 400 page says the same.
DATA_UPLOAD_MAX_NUMBER_FILES = 50

# The whole body of an upload request (a clip plus form fields); larger bodies get 413
# before Django reads them. Other bodies are capped by DATA_UPLOAD_MAX_MEMORY_SIZE.
MAX_UPLOAD_REQUEST_BYTES = env_int("MAX_UPLOAD_REQUEST_BYTES", 210 * 1024 * 1024)

# Rate limits per client IP (django-ratelimit). Behind a proxy, make sure REMOTE_ADDR is the
# client's address (e.g. with the proxy's real-IP module), or every user shares one limit.
RATE_CASE_CREATION = env_rate("RATE_CASE_CREATION", "30/h")
RATE_UPLOADS = env_rate("RATE_UPLOADS", "120/h")
RATE_API = env_rate("RATE_API", "120/m")
RATELIMIT_VIEW = "avadesk.views.rate_limited"
CSRF_FAILURE_VIEW = "avadesk.views.csrf_failure"
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
# Behind a proxy, the request header that carries the client's address (e.g. HTTP_X_REAL_IP);
# unset, REMOTE_ADDR. Only safe when nothing but the proxy can reach the app.
RATELIMIT_IP_META_KEY = env_str("RATELIMIT_IP_META_KEY") or None

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", {n.lower(): n for n in LOG_LEVELS}, "warning"),
    },
}

# After the ticket (issue 15): e-mail, the optional account, retention. E-mail goes through
# Django 6.1's MAILERS: printed to the console unless EMAIL_HOST names an SMTP server.
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST"),
            "port": env_int("EMAIL_PORT", 587),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": env_bool("EMAIL_USE_TLS", default=True),
            "timeout": env_int("EMAIL_TIMEOUT", 10),
        },
    }
    if env_str("EMAIL_HOST")
    else {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AVA Desk <no-reply@localhost>")
MAGIC_LINK_MAX_AGE = env_int("MAGIC_LINK_MINUTES", 15, minimum=1) * 60
CASE_RETENTION_DAYS = env_int("CASE_RETENTION_DAYS", 90, minimum=1)
RATE_EMAILS = env_rate("RATE_EMAILS", "10/h")
LOGIN_URL = "accounts:sign_in"
# The public address, for links in e-mails sent outside a request (the reminders).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# Where the reviewable knowledge files live (see README: "The knowledge base").
KNOWLEDGE_DIR = BASE_DIR / "platforms" / "knowledge"
