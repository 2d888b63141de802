"""The one settings module. Every value comes from the environment; README lists them all.

With DEBUG off the platform refuses to start unless the secrets and hosts are set, naming the
variable that is missing. With DEBUG on (the embedded default that `make run` uses) it falls back
to development keys that are printed nowhere and must never reach production.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


def env_str(name: str, default: str = "") -> str:
    """A string, read from NAME or from the file NAME_FILE points to (Docker/K8s secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = env_str(name, "")
    if raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from exc


def env_floats(name: str, default: list[float]) -> tuple[float, ...]:
    try:
        return tuple(float(x) for x in env_list(name, [str(d) for d in default]))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be comma-separated numbers") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = env_str(name, "")
    if raw == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_required(name: str, dev_default: str) -> str:
    """Required in production; the development default applies only while DEBUG is on."""
    value = env_str(name, "")
    if value:
        return value
    if DEBUG:
        return dev_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")


DEBUG = env_bool("DEBUG", False)

# Development-only values: usable with DEBUG on, refused with DEBUG off.
_DEV_SECRET_KEY = "dev-only-insecure-secret-key-change-me-0123456789abcdef"  # noqa: S105
_DEV_FIELD_KEY = "ZGV2LW9ubHktZmllbGQta2V5LW5vdC1mb3ItcHJvZCE="

SECRET_KEY = env_required("SECRET_KEY", _DEV_SECRET_KEY)
if not DEBUG and not env_list("ALLOWED_HOSTS"):
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Fernet keys, comma-separated: the first encrypts, all decrypt (rotation: put the new key
# first, run `manage.py rotate_field_key`, then drop the old one).
FIELD_ENCRYPTION_KEYS = [
    k.strip() for k in env_required("FIELD_ENCRYPTION_KEY", _DEV_FIELD_KEY).split(",") if k.strip()
]
for _key in FIELD_ENCRYPTION_KEYS:
    try:
        _valid = len(base64.urlsafe_b64decode(_key)) == 32
    except ValueError:
        _valid = False
    if not _valid:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys (32 url-safe base64 bytes; "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        )

SITE_NAME = env_str("SITE_NAME", "党建引领基层治理平台")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "treebeard",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "huey.contrib.djhuey",
    "rules.apps.AutodiscoverRulesConfig",
    "grassroots.core",
    "grassroots.accounts",
    "grassroots.territory",
    "grassroots.alliance",
    "grassroots.party",
    "grassroots.tickets",
    "grassroots.whistles",
    "grassroots.notices",
    "grassroots.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "grassroots.accounts.middleware.StaffSessionMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "grassroots.urls"
WSGI_APPLICATION = "grassroots.wsgi.application"

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
                "grassroots.web.context.shell",
            ],
        },
    }
]

DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var")))

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'grassroots.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: WAL lets readers run beside a writer, and
    # IMMEDIATE transactions take the write lock up front so two writers queue instead of
    # failing with "database is locked" when a read transaction upgrades.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Lists and details join a ticket to up to eight small lookup tables (category, areas,
    # departments). PostgreSQL's planner tries every join order of up to 8 tables, and that
    # cost more than running the query: 8.8 ms to plan a ticket detail that runs in 0.3 ms
    # (bench/, issue 8). Join orders are searched within groups of this many tables.
    _collapse = env_int("DB_JOIN_COLLAPSE_LIMIT", 4)
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (
        f"{_options.get('options', '')} -c join_collapse_limit={_collapse} "
        f"-c from_collapse_limit={_collapse}"
    ).strip()
    # The hand-written single-row statements of the hot paths (core/sql.py: sessions, the
    # signed-in user, filing, the audit chain) are prepared once per connection and planned
    # once; everything the ORM sends is planned for its own parameters, as before (a generic
    # plan of a scoped list could fit one scope and not another). Any threshold lets psycopg
    # prepare when asked; the ORM's client-side binding never asks. Off with
    # DB_PREPARED_STATEMENTS=0, e.g. behind a pooler that cannot keep prepared statements.
    if env_bool("DB_PREPARED_STATEMENTS", True):
        _options["prepare_threshold"] = 5

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "grassroots.accounts.backends.StaffUsernameBackend",
    "grassroots.accounts.backends.ResidentMobileBackend",
    "grassroots.accounts.backends.SmsCodeBackend",
    "rules.permissions.ObjectPermissionBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
if env_bool("FAST_PASSWORD_HASHER", False):
    # Only for the test suite (set in pyproject/Makefile): hashing cost is not under test.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "grassroots.accounts.validators.LettersAndDigitsValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (等保: lock 30 minutes after 5 failures). Keyed by the login name only, so an
# attacker cannot lock out a whole office behind one NAT address; a mobile number is stored
# as its keyed digest, never in clear.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "grassroots.accounts.lockout.username_key"
AXES_LOCKOUT_CALLABLE = "grassroots.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_SENSITIVE_PARAMETERS = ["password", "code", "otp_token", "username"]
AXES_VERBOSE = False
# axes.W006 asks for per-IP lockout as well. Not here: a community office or a 12345 seat room
# sits behind one NAT address, and one mistyped password there must not lock out everyone.
# Failures are summed per account whatever the IP or user agent, which is what 等保 asks.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# Staff sessions end after 30 idle minutes (等保); residents on their phones stay signed in.
STAFF_IDLE_TIMEOUT_SECONDS = env_int("STAFF_IDLE_TIMEOUT_SECONDS", 30 * 60)
RESIDENT_SESSION_SECONDS = env_int("RESIDENT_SESSION_SECONDS", 30 * 24 * 3600)
SESSION_COOKIE_AGE = RESIDENT_SESSION_SECONDS
# Database sessions, read by one prepared statement (accounts/sessions.py).
SESSION_ENGINE = "grassroots.accounts.sessions"
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = SITE_NAME
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)

# 党员联系户: how many households one member keeps in touch with (local practice).
HOUSEHOLD_LINK_LIMIT = env_int("HOUSEHOLD_LINK_LIMIT", 10)
# Remind a committee this many days before its term ends (换届提醒).
TERM_REMINDER_DAYS = env_int("TERM_REMINDER_DAYS", 90)

# Requests (接诉即办), local practice (DOMAIN.md §2).
# A unit may return (退单) a ticket within this many working days of dispatch.
TICKET_RETURN_WORKING_DAYS = env_int("TICKET_RETURN_WORKING_DAYS", 2)
# A requester may reopen a closed ticket within this many days.
TICKET_REOPEN_DAYS = env_int("TICKET_REOPEN_DAYS", 30)
# A resolved ticket nobody reviews closes after this many days (and counts in no rate).
TICKET_REVIEW_DAYS = env_int("TICKET_REVIEW_DAYS", 7)
# 三率: composite weights of response, resolution and satisfaction (准格尔旗 30/35/35), and the
# weight of 基本满意 in the satisfaction rate (1.0 as publicly reported; some count 0.9).
RATES_WEIGHTS = env_floats("RATES_WEIGHTS", [0.30, 0.35, 0.35])
RATES_BASIC_WEIGHT = env_float("RATES_BASIC_WEIGHT", 1.0)
if len(RATES_WEIGHTS) != 3:
    raise ImproperlyConfigured(
        "RATES_WEIGHTS must be three numbers: response,resolution,satisfaction"
    )
# The overdue and warning sweep runs this often (minutes).
TICKET_SWEEP_MINUTES = env_int("TICKET_SWEEP_MINUTES", 5)

# 吹哨报到 (DOMAIN.md §3): how long a summoned department has to report in, per whistle kind.
# No city-wide rule was found; Pinggu's 30 minutes is the emergency default.
WHISTLE_EMERGENCY_MINUTES = env_int("WHISTLE_EMERGENCY_MINUTES", 30)
WHISTLE_TOUGH_HOURS = env_int("WHISTLE_TOUGH_HOURS", 24)
WHISTLE_ROUTINE_WORKING_DAYS = env_int("WHISTLE_ROUTINE_WORKING_DAYS", 2)
# The reminder, escalation and ping-pong sweep runs this often (minutes).
WHISTLE_SWEEP_MINUTES = env_int("WHISTLE_SWEEP_MINUTES", 5)

# Open311 discovery: who to contact, and how a client organisation gets an API key.
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "区12345热线办公室")
OPEN311_KEY_SERVICE = env_str("OPEN311_KEY_SERVICE", "请联系平台安全管理员申请 api_key。")

# API lists: no client may ask for more than this many rows in one page.
NINJA_PAGINATION_MAX_LIMIT = 500

SMS_BACKEND = env_str("SMS_BACKEND", "grassroots.accounts.sms.LogSmsBackend")
SMS_CODE_TTL_SECONDS = env_int("SMS_CODE_TTL_SECONDS", 300)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = []
if (BASE_DIR / "node_modules" / "echarts" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

HUEY_IMMEDIATE = env_bool("HUEY_IMMEDIATE", False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "grassroots",
        "url": REDIS_URL,
        "immediate": HUEY_IMMEDIATE,
        "utc": False,  # periodic crontabs read in local time (Asia/Shanghai)
        "consumer": {"workers": env_int("WORKER_THREADS", 2), "worker_type": "thread"},
    }
else:
    # The SQLite queue opens its file as soon as Django starts: the folder must exist.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "grassroots",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "utc": False,  # periodic crontabs read in local time (Asia/Shanghai)
        "consumer": {"workers": env_int("WORKER_THREADS", 2), "worker_type": "thread"},
    }

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "grassroots@localhost")

# Security headers. HTTPS settings follow DEBUG so `check --deploy` is clean in production
# and plain http://127.0.0.1:8000 works in the embedded default.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "huey": {"level": "INFO"},
    },
}
