"""iqtrack settings, read from the environment (see the settings table in README.md).

With nothing set, iqtrack runs on an embedded default: SQLite and a filesystem Celery broker
under var/. DATABASE_URL switches to PostgreSQL, REDIS_URL to Redis for the broker and cache.
IQTRACK_ENV=production turns on the production switches (and refuses demo data).
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from iqtrack.env import Env

env = Env()
BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("IQTRACK_VAR_DIR", str(BASE_DIR / "var")))

# ---------------------------------------------------------------------------------------------
# Mode
# ---------------------------------------------------------------------------------------------
IQTRACK_ENV = env.choice("IQTRACK_ENV", ("development", "production"), "development")
PRODUCTION = IQTRACK_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when IQTRACK_ENV=production")

_DEV_SECRET = "django-insecure-iqtrack-development-only-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY == _DEV_SECRET):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 50 characters in production"
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS must list the host names iqtrack serves in production"
    )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS")

# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "accounts",
    "evidence",
    "questions",
    "tokens",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A lost database answers 503 (the API's error shape under /api/), not a 500.
    "iqtrack.unavailable.DatabaseUnavailableMiddleware",
    # Before anything reads the session or the user: a reused answer's key (response_cache.py).
    "iqtrack.response_cache.SnapshotMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # request.htmx: the pages answer HTMX requests with just the fragment that changed.
    "django_htmx.middleware.HtmxMiddleware",
    # Attributes each history row to the signed-in user.
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "iqtrack.urls"
WSGI_APPLICATION = "iqtrack.wsgi.application"
ASGI_APPLICATION = "iqtrack.asgi.application"

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
            ],
        },
    },
]

# Django's, with every select drawn in Python rather than a template per option.
FORM_RENDERER = "iqtrack.form_renderer.FormRenderer"

# ---------------------------------------------------------------------------------------------
# Database: SQLite under var/ unless DATABASE_URL names PostgreSQL (psycopg 3)
# ---------------------------------------------------------------------------------------------
DATABASE_URL = env.url("DATABASE_URL", ("postgres", "postgresql", "sqlite"))
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env.int("DB_CONN_MAX_AGE", 60, minimum=0)
        )
    }
    # A connection kept for reuse is tested before a request uses it, so after a database
    # restart the next request reconnects instead of failing (docs/operations.md).
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable server fails a request (503) after this long instead of hanging it.
        DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
            "DB_CONNECT_TIMEOUT", 5, minimum=1
        )
        # No JIT compilation: iqtrack's queries are short, and a large cost estimate (a
        # visibility condition over 200,000 items) made PostgreSQL spend 0.2–1.5 s compiling one
        # that then ran in milliseconds (bench/RESULTS.md). Set per connection: the server's own
        # default is left alone for other clients.
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
        # .iterator() reads through the client-side cursor in chunks, not a server-side one:
        # every form's select reads its choices by iterator(), which on PostgreSQL declared a
        # cursor WITH HOLD, fetched and closed it (three round trips) for a list of a few dozen
        # rows, 9% of the new-question and new-evidence forms' time (bench/README.md). iqtrack
        # streams no large result through iterator(); its big reads go by pages and batches.
        # (Django's own dumpdata, which does, now holds a table's rows in memory.)
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
        # The reads that opt in are prepared statements whose plans PostgreSQL reuses; the rest
        # as Django sends them (iqtrack/prepared.py). DB_PREPARED_STATEMENTS=false behind a
        # pooler that cannot carry prepared statements across its connections
        # (docs/operations.md).
        if env.bool("DB_PREPARED_STATEMENTS", True):
            from iqtrack import prepared

            DATABASES["default"]["OPTIONS"]["cursor_factory"] = prepared.cursor
            # Tells Django some queries are bound on the server, so that it shows each query
            # it logs (DEBUG, CaptureQueriesContext) with its values written in: a prepared
            # statement's cursor keeps no such text. (Django's named cursors, for .iterator(),
            # would then bind on the server too; they are off, above.)
            DATABASES["default"]["OPTIONS"]["server_side_binding"] = True
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "iqtrack.sqlite3",
            # web, worker and beat share the file; wait for the lock instead of failing.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Redis: broker and cache when REDIS_URL is set
# ---------------------------------------------------------------------------------------------
REDIS_URL = env.url("REDIS_URL", ("redis", "rediss", "unix"))
# Seconds the cache and /healthz wait for Redis before treating it as down.
REDIS_TIMEOUT = env.int("REDIS_TIMEOUT", 1, minimum=1)
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, but a Redis outage makes misses, not errors (iqtrack/cache.py).
            "BACKEND": "iqtrack.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT,
                "socket_timeout": REDIS_TIMEOUT,
                "retry_after": 5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Repeat reads of the busiest pages and API answers are reused while the database has not
# changed, for at most this many seconds (iqtrack/response_cache.py); 0 turns that off.
RESPONSE_CACHE_SECONDS = env.int("RESPONSE_CACHE_SECONDS", 60, minimum=0)

# ---------------------------------------------------------------------------------------------
# Celery (the app itself is iqtrack/celery.py)
# ---------------------------------------------------------------------------------------------
CELERY_BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = REDIS_URL or "filesystem://"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {}
    if REDIS_URL
    else {
        # One folder for producer and consumer: web, worker and beat meet there.
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
)
if not REDIS_URL:
    for _folder in ("queue", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", 180, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_TASK_TIME_LIMIT must be greater than CELERY_TASK_SOFT_TIME_LIMIT; got "
        f"{CELERY_TASK_TIME_LIMIT} and {CELERY_TASK_SOFT_TIME_LIMIT}"
    )
# A claim on a reminder or an email is a lease: longer than any task may run, so it only ever
# expires when its holder is gone (killed worker), and the next sweep takes the work over.
REMINDER_CLAIM_SECONDS = env.int("REMINDER_CLAIM_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=1)
if REMINDER_CLAIM_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("REMINDER_CLAIM_SECONDS must be greater than CELERY_TASK_TIME_LIMIT")
# Emails sent per task run (the sweep, then one chained task per batch until none wait): keeps
# each run short whatever the backlog and the mail server's pace (docs/reminders.md).
REMINDER_EMAIL_BATCH = env.int("REMINDER_EMAIL_BATCH", 1000, minimum=1)
from iqtrack.schedule import periodic  # noqa: E402 (kept inside the Celery section)

# The periodic schedule, in one place (why not django-celery-beat: docs/reminders.md). Cron
# strings are in UTC; each entry expires before its next run is due (iqtrack/schedule.py).
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "sweep-reminders": periodic(
        "notifications.tasks.sweep_reminders",
        "REMINDER_SWEEP_CRON",
        env.str("REMINDER_SWEEP_CRON", "*/5 * * * *"),
    ),
    "send-daily-digests": periodic(
        "notifications.tasks.send_daily_digests",
        "DIGEST_CRON",
        env.str("DIGEST_CRON", "0 7 * * *"),
    ),
}

# ---------------------------------------------------------------------------------------------
# Auth
# ---------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "questions:dashboard"
LOGOUT_REDIRECT_URL = "login"

# ---------------------------------------------------------------------------------------------
# Internationalisation: the evidence is multilingual; the interface is English, times are UTC.
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
try:
    ZoneInfo(TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"TIME_ZONE must be an IANA time zone such as UTC or Europe/London; got {TIME_ZONE!r}"
    ) from None
USE_I18N = True
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static files: vendored, served by whitenoise (no CDN at run time)
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").is_dir() else []
# Outside production whitenoise serves straight from the apps' static folders (no collectstatic),
# whether DEBUG is on or not; production serves the collected, hashed files in STATIC_ROOT.
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = not PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# ---------------------------------------------------------------------------------------------
# Email: console in development; SMTP when EMAIL_HOST is set (tests use locmem)
# ---------------------------------------------------------------------------------------------
EMAIL_HOST = env.str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env.int("EMAIL_PORT", 587, minimum=1)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "iqtrack <iqtrack@localhost>")

# ---------------------------------------------------------------------------------------------
# REST framework
# ---------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so an unauthenticated request gets 401 with WWW-Authenticate (not 403).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "iqtrack.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "iqtrack.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "iqtrack.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "iqtrack API",
    "DESCRIPTION": "Intelligence questions from asked to a signed-off assessment. See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc from the sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per scale, whichever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "SourceKindEnum": "evidence.choices.SourceKind",
        "ActorKindEnum": "evidence.choices.ActorKind",
        "DatePrecisionEnum": "evidence.choices.DatePrecision",
        "LanguageEnum": "evidence.choices.Language",
        "StatusEnum": "questions.choices.Status",
        "ActionEnum": "questions.choices.Action",
        "HistoryKindEnum": "questions.api.serializers.HISTORY_KINDS",
    },
}

# ---------------------------------------------------------------------------------------------
# Security (docs/security.md): HTTPS, cookies, headers, CSP, sign-in throttling, request limits,
# the security log. `manage.py check --deploy` is clean under IQTRACK_ENV=production.
# ---------------------------------------------------------------------------------------------
from datetime import timedelta  # noqa: E402 (kept inside the Security section)

from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["axes", "csp", "iqtrack.security"]
# Order matters: the size limit before anything reads the body (CSRF reads POST); the current
# request for model signals once the user is known; axes last, as it requires.
MIDDLEWARE.insert(2, "iqtrack.security.middleware.RequestSizeLimitMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "iqtrack.security.middleware.CurrentRequestMiddleware",
)
# The session and the user read as prepared statements (iqtrack/prepared.py).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "iqtrack.prepared.SignInWithReusedPlans",
)
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]

# HTTPS. Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER names the header it sets
# ("Header-Name: value"); "off" when nothing in front strips a client's own copy of it.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", PRODUCTION)
# Container health probes speak plain HTTP from inside the host.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_proxy_header = env.str(
    "SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https" if PRODUCTION else "off"
)
if _proxy_header.lower() not in ("off", "none"):
    _name, _sep, _value = _proxy_header.partition(":")
    if not _sep or not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            "SECURE_PROXY_SSL_HEADER must read 'Header-Name: value' or 'off'; "
            f"got {_proxy_header!r}"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
# How many proxies in front append to X-Forwarded-For: the client address logged and throttled
# is the one the outermost of them saw (0: REMOTE_ADDR, which a client cannot forge).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 0, minimum=0)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31_536_000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# On by default so that `check --deploy` is clean; set false if the domain must stay off
# browser preload lists (the directive alone submits nothing).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", PRODUCTION)

# Cookies: never readable by scripts. The pages send the CSRF token from the template (the
# hx-headers attribute in base.html, DRF's and Swagger's templates), never from the cookie.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = PRODUCTION
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", 14 * 24 * 3600, minimum=60)
CSRF_FAILURE_VIEW = "iqtrack.security.views.csrf_failure"

# Headers on every response.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content Security Policy (django-csp): only our own scripts, styles, images and requests. No
# inline script or style anywhere in the pages (static/js/iqtrack.js holds the behaviour, and
# htmx's indicator styles come from static/css, see base.html). The API docs pages relax
# style-src for their vendored viewers only (iqtrack/api/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Sign-in throttling (django-axes): LOGIN_FAILURE_LIMIT failures for one username from one
# address lock that pair out for LOGIN_COOLOFF_MINUTES, on every form that signs in (pages,
# admin, the API's browsable sign-in). A success clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "iqtrack.security.events.client_ip"
AXES_LOCKOUT_CALLABLE = "iqtrack.security.views.locked_out"
AXES_VERBOSE = False  # iqtrack.security logs each attempt and lockout itself

# Request limits. Nothing in iqtrack takes a file upload; these bound what a form or an API
# body may hold (iqtrack.security.middleware refuses larger bodies with 413).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 1000, minimum=10)
DATA_UPLOAD_MAX_NUMBER_FILES = 0

# Status and signed-off assessments change only through questions.workflow; "revert" on a history
# page would write an old status or version back behind its back. This hides the button;
# iqtrack.admin_base also refuses the POST.
SIMPLE_HISTORY_REVERT_DISABLED = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Sign-ins, lockouts, refusals, CSRF failures, marking changes (docs/security.md).
        "iqtrack.security": {"level": "INFO"},
        # axes repeats each attempt with the username masked; iqtrack.security says it better.
        "axes": {"level": "WARNING"},
    },
}
