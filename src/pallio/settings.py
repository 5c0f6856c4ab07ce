"""Pallio settings: one module, every knob an environment variable with a safe default.

Only ``PALLIO_ENV=development`` (set by ``make run``) or the test suite may run with the
development key; every other mode, unset or misspelt included, is production and refuses to
start with DEBUG on, the default secret key, or no allowed hosts. Secrets may be given as
``NAME_FILE`` (a path to read).
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("PALLIO_VAR_DIR", PROJECT_DIR / "var"))

_INSECURE_DEV_KEY = "pallio-development-only-key-not-for-production"


def env(name: str, default: str = "") -> str:
    """Read a setting from NAME, or from the file named by NAME_FILE (for secrets)."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    return value in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Fail closed: only an explicit development mode (what `make run` sets) or the test suite
# may run with the development key, insecure cookies and no HSTS. Any other value of
# PALLIO_ENV, misspelt or missing, gets every production rule.
PALLIO_ENV = env("PALLIO_ENV", "").strip().lower()
TESTING = env_bool("PALLIO_TESTING")
DEVELOPMENT = PALLIO_ENV == "development" or (TESTING and not PALLIO_ENV)
PRODUCTION = not DEVELOPMENT

DEBUG = env_bool("PALLIO_DEBUG", default=False)
SECRET_KEY = env("PALLIO_SECRET_KEY", _INSECURE_DEV_KEY)
ALLOWED_HOSTS = env_list("PALLIO_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("PALLIO_DEBUG must be off")
    if SECRET_KEY == _INSECURE_DEV_KEY or len(SECRET_KEY) < 50:
        problems.append("PALLIO_SECRET_KEY (or PALLIO_SECRET_KEY_FILE) must be set, 50+ characters")
    if not ALLOWED_HOSTS:
        problems.append("PALLIO_ALLOWED_HOSTS must name the hosts Pallio answers to")
    if problems and PALLIO_ENV != "production":
        problems.insert(
            0,
            f"PALLIO_ENV is {PALLIO_ENV or 'not set'}, not development, so the production "
            "rules apply (set PALLIO_ENV=production, or PALLIO_ENV=development on a "
            "developer's machine)",
        )
    if problems:
        raise ImproperlyConfigured("Pallio will not start in production: " + "; ".join(problems))

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "csp",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "pallio.core",
    "pallio.accounts",
    "pallio.programs",
    "pallio.patients",
    "pallio.referrals",
    "pallio.episodes",
    "pallio.careplans",
    "pallio.visits",
    "pallio.support",
    "pallio.acp",
    "pallio.assessments",
    "pallio.medications",
    "pallio.audit",
    "pallio.adt",
    "pallio.coordination",
    "pallio.portal",
    "pallio.messaging",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files may be cached, nothing else may.
    "pallio.core.middleware.PrivateResponseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session, before CommonMiddleware: the language cookie or the browser's.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The language chosen on the account comes before the cookie and the browser's.
    "pallio.core.language.AccountLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After MessageMiddleware: it tells the user why they were signed out.
    "pallio.accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "pallio.accounts.middleware.ThrottledSignInMiddleware",
    "pallio.accounts.middleware.RequireMFAMiddleware",
    # Portal accounts (patients and families) reach the portal and nothing else.
    "pallio.portal.middleware.PortalSeparationMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "pallio.core.middleware.RequestContextMiddleware",
    # Inside RequestContextMiddleware, so a refusal it records carries the client's address.
    "pallio.audit.middleware.DeniedAccessAuditMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pallio.urls"
WSGI_APPLICATION = "pallio.wsgi.application"
ASGI_APPLICATION = "pallio.asgi.application"

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
                "pallio.core.context_processors.pallio",
                "pallio.support.context_processors.on_call_now",
                "pallio.portal.context_processors.portal",
            ],
        },
    }
]
# Form widgets, selects and labels written in Python, to the byte what Django's templates
# write (core/form_renderer.py): a form page spends less on its widgets than on its queries.
FORM_RENDERER = "pallio.core.form_renderer.FormRenderer"

# Database: SQLite under var/ by default; DATABASE_URL for PostgreSQL.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pallio.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high: on
    # the alert worklist and the chart that took 40-50 ms of a 60 ms query, every request,
    # for queries that run in 15 ms (docs/performance.md). Pages ask short queries: no JIT.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # Parameters bound by the server, so that a statement can be prepared: planning took
    # most of the chart's one query (6-9 ms planned, 2 ms run). Only the reads measured to
    # gain are kept prepared (core.read_together.prepared: the pages' combined reads, the
    # alert worklist's two): a generic plan cannot use a partial index whose condition is a
    # parameter (the referral queue's counts went from 3 to 19 ms when every repeated
    # statement was).
    options.setdefault("server_side_binding", True)
# How many times a connection runs one combined read before keeping it prepared (planned
# once for every patient); `never` prepares nothing (PgBouncer before 1.21).
_prepare = env("PALLIO_PG_PREPARE_THRESHOLD", "1").strip().lower()
PALLIO_PG_PREPARE_THRESHOLD = None if _prepare == "never" else int(_prepare)
# A page's combined read is compiled once and run with each record's ids (ADR 0013); the
# test suite also compiles it afresh on every call and fails when the two differ.
PALLIO_VERIFY_COMPILED_READS = TESTING or env_bool("PALLIO_VERIFY_COMPILED_READS")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env("REDIS_URL")}
        if env("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pallio_cache",
        }
    )
}

TASKS = {
    "default": {
        "BACKEND": env("PALLIO_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# How many symptom reports the alert worker claims and judges in one transaction.
PALLIO_ALERT_BATCH = env_int("PALLIO_ALERT_BATCH", 500)

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Argon2id (ADR 0010); a PBKDF2 hash still verifies and is replaced by Argon2 at the next
# sign-in. Tests hash with MD5 for speed; the upgrade test sets these hashers itself.
PALLIO_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"] if TESTING else PALLIO_PASSWORD_HASHERS
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"

# django-allauth: username login, no self-signup (staff accounts are made by the program).
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "pallio.accounts.adapter.StaffAccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = False
# Failed sign-ins: per address (enough for a hospital's shared address), and per
# (username, address) pair (the adapter's key); authenticator codes: per account.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pallio"
MFA_TOTP_TOLERANCE = 1

# django-axes: lock out after repeated failed logins.
AXES_FAILURE_LIMIT = env_int("PALLIO_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PALLIO_LOCKOUT_MINUTES", 15))
# Lock the (username, address) pair, never either alone: a shared address or a guessed
# username must not lock out the rest of the team.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "login"
# allauth authenticates with `username=`, not the form's `login` field.
AXES_USERNAME_CALLABLE = "pallio.accounts.adapter.axes_username"
AXES_LOCKOUT_CALLABLE = "pallio.accounts.throttle.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# Sessions: idle timeout (staff default 15 minutes) and an absolute lifetime.
PALLIO_IDLE_TIMEOUT_MINUTES = env_int("PALLIO_IDLE_TIMEOUT_MINUTES", 15)
PALLIO_ABSOLUTE_SESSION_HOURS = env_int("PALLIO_ABSOLUTE_SESSION_HOURS", 12)
# The session row lives at most the absolute lifetime and is written only when its content
# changes; the idle timeout is kept exact by a signed "last seen" cookie bound to the session
# (pallio.accounts.middleware.SessionTimeoutMiddleware), so a page view writes nothing.
SESSION_COOKIE_AGE = PALLIO_ABSOLUTE_SESSION_HOURS * 3600
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# A refused form gets the site's 403 page with words a user can act on.
CSRF_FAILURE_VIEW = "pallio.core.errors.csrf_failure"

# MFA may be waived only for the demo outside production, and never in production.
PALLIO_REQUIRE_MFA = True

# Break-the-glass access lasts this long.
PALLIO_BREAK_GLASS_MINUTES = env_int("PALLIO_BREAK_GLASS_MINUTES", 60)

# Public referral form: submissions per address per hour; attachment limits.
PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR = env_int("PALLIO_REFERRAL_RATE_LIMIT_PER_HOUR", 20)
PALLIO_ATTACHMENT_MAX_BYTES = env_int("PALLIO_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
PALLIO_ATTACHMENT_TYPES = ["application/pdf", "image/png", "image/jpeg"]
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

MEDIA_ROOT = Path(env("PALLIO_MEDIA_ROOT", str(VAR_DIR / "uploads")))
MEDIA_URL = "/uploads-not-served/"  # uploads are served only through access-checked views

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
_NODE_MODULES = PROJECT_DIR / "node_modules"
# Only the built files of the front-end packages are served, never the rest of node_modules.
for _prefix, _dist in (
    ("vendor/bootstrap", "bootstrap/dist"),
    ("vendor/htmx", "htmx.org/dist"),
    ("vendor/chartjs", "chart.js/dist"),
):
    if (_NODE_MODULES / _dist).exists():
        STATICFILES_DIRS.append((_prefix, _NODE_MODULES / _dist))
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
WHITENOISE_USE_FINDERS = not PRODUCTION
# The test client builds the middleware afresh for every client: look static files up when
# asked rather than listing every file each time (the listing is what production serves).
WHITENOISE_AUTOREFRESH = TESTING

LANGUAGE_CODE = "en"
# English and Spanish (issue 15): the portal is fully translated; staff pages translate their
# layout and sign-in. Catalogues are kept as .po files and compiled at install (make install).
LANGUAGES = [("en", "English"), ("es", "Español")]
# The staff layout's catalogue; each app's own (the portal's) is in its locale/ folder.
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "pallio_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Email: a local SMTP server by default (tests start a real one).
# Without a mail server configured, mail is written to files under var/outbox.
EMAIL_HOST = env("PALLIO_EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "outbox"
EMAIL_PORT = env_int("PALLIO_EMAIL_PORT", 1025)
EMAIL_HOST_USER = env("PALLIO_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("PALLIO_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("PALLIO_EMAIL_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env("PALLIO_FROM_EMAIL", "Pallio <no-reply@pallio.invalid>")
# Text messages (pages from the 24/7 line): a dotted path to a backend class. The default
# writes each message under var/outbox/sms and sends nothing (support/paging.py).
PALLIO_SMS_BACKEND = env("PALLIO_SMS_BACKEND", "pallio.support.paging.OutboxSmsBackend")
# Text messages to patients and families (visit reminders): a dotted path to a backend class
# (core/sms.py). The default writes each message to standard output and sends nothing.
PALLIO_PATIENT_SMS_BACKEND = env("PALLIO_PATIENT_SMS_BACKEND", "pallio.core.sms.ConsoleSmsBackend")

# Security headers.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("PALLIO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PALLIO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("PALLIO_CSRF_TRUSTED_ORIGINS")

# Logging: no PHI, CR/LF escaped by the formatter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"safe": {"()": "pallio.core.logging.SafeFormatter"}},
    # Refused requests (4xx) in one line, without a traceback; on the request logger itself
    # and on the handler (for django.security.*, whose records start on child loggers).
    "filters": {"refusal": {"()": "pallio.core.logging.RefusalWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "safe", "filters": ["refusal"]}
    },
    "loggers": {"django.request": {"filters": ["refusal"]}},
    "root": {"handlers": ["console"], "level": env("PALLIO_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50

# The audit trail's key (ADR 0003): the hash chain is an HMAC under this key, held outside the
# database so that someone who can write the database cannot recompute the chain. Production
# requires it (32+ characters, not the secret key); elsewhere a development key is derived.
# Signed checkpoints of the chain's head are appended to a file the database role cannot write.
PALLIO_AUDIT_KEY = env("PALLIO_AUDIT_KEY")
if not PALLIO_AUDIT_KEY and not PRODUCTION:
    PALLIO_AUDIT_KEY = hashlib.sha256(f"pallio-audit-development|{SECRET_KEY}".encode()).hexdigest()
if PRODUCTION and (len(PALLIO_AUDIT_KEY) < 32 or PALLIO_AUDIT_KEY == SECRET_KEY):
    raise ImproperlyConfigured(
        "Pallio will not start in production: PALLIO_AUDIT_KEY (or PALLIO_AUDIT_KEY_FILE) must "
        "be set, 32+ characters, and differ from PALLIO_SECRET_KEY"
    )
# Wrong and throttled authenticator codes go to the audit trail (outcome "denied").
MFA_FORMS = {
    "authenticate": "pallio.accounts.forms.AuditedAuthenticateForm",
    "reauthenticate": "pallio.accounts.forms.AuditedReauthenticateForm",
}
PALLIO_AUDIT_CHECKPOINT_FILE = Path(
    env("PALLIO_AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.log"))
)
