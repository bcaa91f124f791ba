"""Django settings: wiring only, every value from the environment (see .env.example)."""

from pathlib import Path

import dj_database_url
import plotly

from inferops_site.env import env_bool, env_choice, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("INFEROPS_DATA_DIR", str(BASE_DIR / "data"))).resolve()

DEBUG = env_bool("INFEROPS_DEBUG", False)
SECRET_KEY = env_str("INFEROPS_SECRET_KEY", "insecure-dev-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    # Embedded mode generates and keeps a key in the data folder so that two commands suffice.
    _key_file = DATA_DIR / "secret_key"
    if not _key_file.exists():
        import os
        import secrets

        DATA_DIR.mkdir(parents=True, exist_ok=True)
        # Created private (0600) from the start: no window with default permissions.
        with os.fdopen(os.open(_key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as key_out:
            key_out.write(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("INFEROPS_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("INFEROPS_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "apps.core",
    "apps.telemetry",
    "apps.simulator",
    "apps.slo",
    "apps.alerts",
    "apps.dashboards",
    "apps.cost",
    "apps.anomaly",
    "apps.audit",
    "frontend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static assets (CSS, vendored JS such as Plotly) straight from the installed apps: no CDN,
    # no collectstatic step needed in embedded mode.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who acts and from where, for the audit records the request writes.
    "apps.audit.context.AuditContextMiddleware",
    # Failed sign-ins past the limits: refused before the password is checked.
    "apps.core.signin.SignInThrottleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "inferops_site.urls"
ASGI_APPLICATION = "inferops_site.asgi.application"
WSGI_APPLICATION = "inferops_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.pages.navigation",
            ],
        },
    },
]

# SQLite in the data folder by default; DATABASE_URL=postgres://... in distributed mode.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'inferops.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Embedded mode: one process, many threads (web, ingest key look-ups, workers). WAL lets readers
    # run beside the writer; IMMEDIATE transactions take the write lock up front, so two threads never
    # deadlock upgrading a read to a write (SQLite answers that with "database is locked" at once).
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE",
                                       "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# Plotly.js from the installed plotly package (static/vendor/plotly/plotly.min.js): no CDN, works offline.
STATICFILES_DIRS = [("vendor/plotly", str(Path(plotly.__file__).parent / "package_data"))]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

HTTPS = env_bool("INFEROPS_HTTPS", False)
SESSION_COOKIE_SECURE = env_bool("INFEROPS_SECURE_COOKIES", not DEBUG and HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("INFEROPS_SESSION_HOURS", 12, minimum=1, maximum=24 * 30) * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS and not DEBUG:
    # Behind a TLS-terminating proxy: trust its scheme header, send plain HTTP to HTTPS, and tell
    # browsers to come back over HTTPS only (a year, subdomains included).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("INFEROPS_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]    # probes from inside the deployment speak plain HTTP
    SECURE_HSTS_SECONDS = env_int("INFEROPS_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False         # preloading is a commitment for the whole domain: the operator's choice
    SILENCED_SYSTEM_CHECKS = ["security.W021"]    # (that the preload flag is off)

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {"TITLE": "InferOps API", "VERSION": "0.1.0"}

# --- ClickHouse warehouse -------------------------------------------------------------------
# chdb:///path (embedded, default) or clickhouse://user:pass@host:9000/db (server / cluster).
CLICKHOUSE_URL = env_str("CLICKHOUSE_URL", f"chdb://{DATA_DIR / 'clickhouse'}")
CLICKHOUSE_CLUSTER = env_str("CLICKHOUSE_CLUSTER", "")
CLICKHOUSE_MAX_MEMORY_BYTES = env_int("CLICKHOUSE_MAX_MEMORY_BYTES", 2 * 1024**3, minimum=0)
RETENTION_DAYS = {
    "traces": env_int("INFEROPS_RETENTION_TRACES_DAYS", 30, minimum=1),
    "metrics": env_int("INFEROPS_RETENTION_METRICS_DAYS", 30, minimum=1),
    "logs": env_int("INFEROPS_RETENTION_LOGS_DAYS", 14, minimum=1),
    "rollups": env_int("INFEROPS_RETENTION_ROLLUPS_DAYS", 400, minimum=1),
    "guardrails": env_int("INFEROPS_RETENTION_GUARDRAILS_DAYS", 400, minimum=1),
    # Finance closes books yearly and audits look back further: the cost ledger outlives traces.
    "cost": env_int("INFEROPS_RETENTION_COST_DAYS", 800, minimum=1),
    # The decision ledger (audit evidence) outlives the traces it points to: seven years by default.
    "audit": env_int("INFEROPS_RETENTION_AUDIT_DAYS", 2557, minimum=1),
}

# --- Cost -----------------------------------------------------------------------------------
# The every-minute costing job re-costs the last COST_LOOKBACK_MINUTES (late spans, GPU metrics),
# stopping COST_SETTLE_MINUTES before now; a nightly sweep re-costs the previous two days.
COST_LOOKBACK_MINUTES = env_int("INFEROPS_COST_LOOKBACK_MINUTES", 30, minimum=5, maximum=1440)
COST_SETTLE_MINUTES = env_int("INFEROPS_COST_SETTLE_MINUTES", 2, minimum=1, maximum=60)

# --- Audit ---------------------------------------------------------------------------------
# The Ed25519 key that signs audit checkpoints (PEM, PKCS#8); by default created in the data folder.
AUDIT_SIGNING_KEY = env_str("INFEROPS_AUDIT_SIGNING_KEY", "")
# Projects that hash prompt and completion content use a key derived from this secret (default: the
# secret key). Changing it changes every hash from then on.
REDACTION_KEY = env_str("INFEROPS_REDACTION_KEY", "")
# Every signed checkpoint is also POSTed (JSON) here, off this machine (AU-9(2)): a log archive or
# another organisation's endpoint. Then a rewrite of the trail here, even re-signed with the key,
# disagrees with the copies held there. Optional bearer token.
AUDIT_PUBLISH_URL = env_str("INFEROPS_AUDIT_PUBLISH_URL", "")
AUDIT_PUBLISH_TOKEN = env_str("INFEROPS_AUDIT_PUBLISH_TOKEN", "")
# Guardrail decisions are chained into the decision ledger once they are this many seconds old, so
# that an insert still in flight when the seal task runs is not passed over.
AUDIT_DECISION_SETTLE_SECONDS = env_int("INFEROPS_AUDIT_DECISION_SETTLE_SECONDS", 60, minimum=0, maximum=3600)

# --- Ingest ---------------------------------------------------------------------------------
INGEST_HOST = env_str("INFEROPS_INGEST_HOST", "127.0.0.1")
WEB_HOST = env_str("INFEROPS_WEB_HOST", "127.0.0.1")
WEB_PORT = env_int("INFEROPS_WEB_PORT", 8000, minimum=0, maximum=65535)
OTLP_GRPC_PORT = env_int("INFEROPS_OTLP_GRPC_PORT", 4317, minimum=0, maximum=65535)
OTLP_HTTP_PORT = env_int("INFEROPS_OTLP_HTTP_PORT", 4318, minimum=0, maximum=65535)

# Alert delivery (apps/alerts): links in notifications point here; receivers get this long to answer.
PUBLIC_URL = env_str("INFEROPS_PUBLIC_URL", "http://127.0.0.1:8000")
ALERTS_HTTP_TIMEOUT_S = env_float("INFEROPS_ALERTS_HTTP_TIMEOUT_S", 15.0)
ALERTS_ALLOW_HTTP = env_bool("INFEROPS_ALERTS_ALLOW_HTTP", False)
# A delivery claimed longer ago than this (a worker died mid-attempt) is handed out again.
ALERTS_LEASE_S = env_float("INFEROPS_ALERTS_LEASE_S", 120.0)
# New or redefined SLOs whose whole period is read and sealed per evaluation cycle (the rest wait a minute).
SLO_FIRST_SEALS_PER_CYCLE = env_int("INFEROPS_SLO_FIRST_SEALS_PER_CYCLE", 40, minimum=1, maximum=100_000)
# PagerDuty Events API v2 takes about 120 events a minute per integration key; we stay under it.
ALERTS_PAGERDUTY_PER_MINUTE = env_int("INFEROPS_ALERTS_PAGERDUTY_PER_MINUTE", 120, minimum=1, maximum=10_000)

# The demo project: simulated traffic started by `manage.py serve` (apps/simulator).
DEMO_ENABLED = env_bool("INFEROPS_DEMO", True)
DEMO_RATE = env_float("INFEROPS_DEMO_RATE", 20.0)
DEMO_BACKFILL = env_str("INFEROPS_DEMO_BACKFILL", "6h")
INGEST_MAX_BODY_BYTES = env_int("INFEROPS_INGEST_MAX_BODY_BYTES", 64 * 1024 * 1024, minimum=1024)
# Rows per insert at most. Each insert plans every view and writes a part per table (~0.1 s of CPU
# whatever its size) that merges later rewrite, so fuller batches store more per core: saturated, one
# core stored 101-103k spans/s with 131,072 against 89-90k with 65,536, and at a steady 50k spans/s
# ingest took 0.56-0.58 of the core against 0.66-0.70 (bench/README.md, 2026-12-01 b). It costs memory:
# the server's peak RSS ~1.9 GB at 50k spans/s and ~2.1 GB saturated, against ~1.35 and ~1.5 GB.
INGEST_BATCH_MAX_ITEMS = env_int("INFEROPS_INGEST_BATCH_MAX_ITEMS", 131072, minimum=1)
INGEST_BATCH_MAX_DELAY_MS = env_int("INFEROPS_INGEST_BATCH_MAX_DELAY_MS", 10, minimum=0)
# The same linger when requests are answered from the ingest log: there it delays only when rows
# become readable, not any answer, so it can be long enough to gather light traffic into one insert
# (each insert costs ~0.1–0.2 s of CPU whatever its size).
INGEST_LOG_BATCH_MAX_DELAY_MS = env_int("INFEROPS_INGEST_LOG_BATCH_MAX_DELAY_MS", 250, minimum=0, maximum=60_000)
# Past that linger, under sustained load (requests that would bring the batch to a quarter of
# INGEST_BATCH_MAX_ITEMS by then), a free writer waits up to this much longer for the batch to fill:
# inserts plan once per large batch instead of once per what arrived during the previous insert.
INGEST_LOG_BATCH_FILL_WAIT_MS = env_int("INFEROPS_INGEST_LOG_BATCH_FILL_WAIT_MS", 1000, minimum=0, maximum=60_000)
# The queue's bound holds a batch being inserted and what refused clients leave queued while they back
# off (Retry-After): with 256 MB and 131,072-span batches (~97 MB) the writer drained the rest within
# the backoff and the core idled 10 % of a saturated run.
INGEST_MAX_PENDING_BYTES = env_int("INFEROPS_INGEST_MAX_PENDING_BYTES", 512 * 1024 * 1024, minimum=1)
INGEST_MAX_INFLIGHT_BYTES = env_int("INFEROPS_INGEST_MAX_INFLIGHT_BYTES", 512 * 1024 * 1024, minimum=1)
INGEST_RETRY_AFTER_S = env_int("INFEROPS_INGEST_RETRY_AFTER_S", 2, minimum=1)
# When a request is answered: "logged" once its envelope is synced to the ingest log on local disk
# (about a millisecond; rows reach ClickHouse moments later, and a restart replays what had not),
# or "stored" once its rows are in ClickHouse (read-your-writes, at the cost of an insert's latency).
INGEST_ACK = env_choice("INFEROPS_INGEST_ACK", "logged", ("logged", "stored"))
# The ingest log's folder. Each ingest process takes a free numbered slot in it (slot-0, slot-1, …),
# so replicas can share one volume, and a replacement process replays what a dead one left.
INGEST_LOG_DIR = Path(env_str("INFEROPS_INGEST_LOG_DIR", str(DATA_DIR / "ingest-log"))).resolve()

# --- Celery and Channels --------------------------------------------------------------------
# Embedded mode: in-process broker and channel layer; distributed mode: Redis.
REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
# Results are rarely needed (tasks write their effects); the in-process cache serves embedded mode.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", REDIS_URL or "cache+memory://")
CELERY_TASK_IGNORE_RESULT = True
# Shared by every process in distributed mode (sign-in throttling counts failures across web replicas).
CACHES = (
    {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    if REDIS_URL
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
# Failed sign-ins allowed per username, and per client address, within the window.
SIGN_IN_FAILURES_PER_USER = env_int("INFEROPS_SIGN_IN_FAILURES_PER_USER", 5, minimum=1)
SIGN_IN_FAILURES_PER_ADDRESS = env_int("INFEROPS_SIGN_IN_FAILURES_PER_ADDRESS", 20, minimum=1)
SIGN_IN_WINDOW_S = env_int("INFEROPS_SIGN_IN_WINDOW_S", 900, minimum=60)

CHANNEL_LAYERS = (
    {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [REDIS_URL]}}}
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("INFEROPS_LOG_LEVEL", "INFO")},
    "loggers": {"uvicorn.access": {"level": "WARNING"}},
}
LOGIN_REDIRECT_URL = '/'
LOGOUT_REDIRECT_URL = '/'
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
