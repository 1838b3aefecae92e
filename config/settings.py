"""Settings for envmanager, read from the environment.

Every value that differs between a laptop and production comes from an environment variable.
For a first run without any, a secret key and an encryption key are generated once and kept in
`var/dev-secrets.json` (git-ignored) so that restarts can still decrypt what was stored.
"""

import json
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from cryptography.fernet import Fernet
from django.core.management.utils import get_random_secret_key
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ENVMANAGER_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def _dev_secrets() -> dict:
    """Return the generated development secrets, creating them on first use."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    secrets = {"SECRET_KEY": get_random_secret_key(), "ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    # Created with owner-only permissions: the file holds the key to every stored secret.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(secrets, handle)
    return secrets


_needs_dev_secrets = not (os.environ.get("SECRET_KEY") and os.environ.get("ENVMANAGER_ENCRYPTION_KEYS"))
_dev = _dev_secrets() if _needs_dev_secrets else {}

SECRET_KEY = os.environ.get("SECRET_KEY") or _dev["SECRET_KEY"]
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# Which Airflow metadata databases a Deployment's URL may reach: comma-separated patterns such as
# postgres://*.airflow.internal:5432/*,sqlite:///var/lib/airflow/*.db (`*` within one path segment, `**`
# across). Empty: PostgreSQL on any host except envmanager's own database, SQLite under <VAR_DIR>/airflow/.
# See envmanager/airflow_db/confinement.py.
ENVMANAGER_METADATA_DB_ALLOWED = [
    p.strip() for p in os.environ.get("ENVMANAGER_METADATA_DB_ALLOWED", "").split(",") if p.strip()
]

# Comma-separated Fernet keys, newest first: the first encrypts, all of them decrypt.
ENVMANAGER_ENCRYPTION_KEYS = [
    k.strip() for k in (os.environ.get("ENVMANAGER_ENCRYPTION_KEYS") or _dev["ENCRYPTION_KEYS"]).split(",") if k.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "django_htmx",
    "axes",
    "accounts",
    "envmanager",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "envmanager.middleware.RejectUnstorableInputMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lock-out into the lock-out page
]

# The read API's bearer-token JSON requests (envmanager/api/wsgi.py) run with these only: the page
# middleware above (sessions, CSRF, sign-in, messages, HTML policies, htmx, lock-out) has no part in them.
READ_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",  # checks the Host against ALLOWED_HOSTS; sets Content-Length
    "envmanager.middleware.RejectUnstorableInputMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'envmanager.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and a command write at the same time.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # One test database per test process, so two suites can share one PostgreSQL server at once.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: a locked-out user or address is refused before the password is checked
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Single sign-on with OpenID Connect (accounts/sso.py, docs/sso.md): set the issuer, the client id and the
# client secret to offer "Sign in with SSO". The issuer's discovery document is read at the first sign-in.
ENVMANAGER_OIDC_ISSUER = os.environ.get("ENVMANAGER_OIDC_ISSUER", "")
ENVMANAGER_OIDC_CLIENT_ID = os.environ.get("ENVMANAGER_OIDC_CLIENT_ID", "")
ENVMANAGER_OIDC_CLIENT_SECRET = os.environ.get("ENVMANAGER_OIDC_CLIENT_SECRET", "")
# A claim whose values `envmanager:<workspace>:<role>` decide memberships at each sign-in (optional).
ENVMANAGER_OIDC_ROLE_CLAIM = os.environ.get("ENVMANAGER_OIDC_ROLE_CLAIM", "")
# 0: no local password sign-in on the sign-in page; superusers keep the admin's password sign-in.
ENVMANAGER_PASSWORD_LOGIN = _env_bool("ENVMANAGER_PASSWORD_LOGIN", True)
if ENVMANAGER_OIDC_ISSUER:
    AUTHENTICATION_BACKENDS.insert(1, "accounts.sso.SSOBackend")
if not ENVMANAGER_PASSWORD_LOGIN:
    AUTHENTICATION_BACKENDS[AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend")] = (
        "accounts.sso.PasswordBackend"
    )
# mozilla-django-oidc: the authorization code flow with state, nonce and PKCE (S256); RS256 ID tokens
# checked against the provider's published keys (jwks_uri).
OIDC_USE_PKCE = True
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_RP_SCOPES = "openid email profile"
OIDC_RP_SIGN_ALGO = os.environ.get("ENVMANAGER_OIDC_SIGN_ALGO", "RS256")
OIDC_TIMEOUT = 10
OIDC_VERIFY_SSL = True
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:sso-callback"
OIDC_REDIRECT_ALLOWED_HOSTS = []  # `next` after sign-in: this site only

ANONYMOUS_USER_NAME = None  # guardian: anonymous users never hold object permissions
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Sign-in throttling (django-axes): after this many failures in a row, the username and the address are
# each locked out for the cool-off time. Admins unlock in the admin or with `manage.py user_unlock`.
AXES_FAILURE_LIMIT = int(os.environ.get("ENVMANAGER_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("ENVMANAGER_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.client_ip"
AXES_VERBOSE = False
# The read API: failed token attempts per address within the window, then 429 until it ends.
# PostgreSQL: the read API's two hot-path statements run prepared (envmanager/selectors/hot_path.py).
# Set 0 behind a pooler that cannot carry prepared statements (PgBouncer in transaction mode before 1.21).
ENVMANAGER_PREPARED_STATEMENTS = os.environ.get("ENVMANAGER_PREPARED_STATEMENTS", "1") != "0"
ENVMANAGER_API_FAILURE_LIMIT = int(os.environ.get("ENVMANAGER_API_FAILURE_LIMIT", "20"))
ENVMANAGER_API_FAILURE_WINDOW_SECONDS = int(os.environ.get("ENVMANAGER_API_FAILURE_WINDOW_SECONDS", "300"))
# Migrate from Airflow: how long the delete phase waits at most for the Deployment's snapshot readers
# to fetch the copies (longer than the secrets backend's 5 s refresh).
ENVMANAGER_MIGRATION_READER_GRACE_SECONDS = float(os.environ.get("ENVMANAGER_MIGRATION_READER_GRACE_SECONDS", "15"))
# Who creates Workspaces from the home page: staff users, or everyone signed in when this is on.
ENVMANAGER_ALLOW_WORKSPACE_CREATE = _env_bool("ENVMANAGER_ALLOW_WORKSPACE_CREATE")

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Files served at the site's root, as browsers and crawlers ask for them (/favicon.ico).
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Behind TLS (ENVMANAGER_HTTPS=1): cookies only over HTTPS, HSTS, and HTTP redirected to HTTPS.
ENVMANAGER_HTTPS = _env_bool("ENVMANAGER_HTTPS")
# A reverse proxy that sets X-Forwarded-Proto (and X-Forwarded-For) and strips what clients send.
ENVMANAGER_TRUSTED_PROXY = _env_bool("ENVMANAGER_TRUSTED_PROXY")
if ENVMANAGER_HTTPS:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = int(os.environ.get("ENVMANAGER_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("ENVMANAGER_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_bool("ENVMANAGER_HSTS_PRELOAD")
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a promise to browser vendors an administrator makes on purpose (ENVMANAGER_HSTS_PRELOAD=1).
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
if ENVMANAGER_TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Messages live in the session, never in a cookie of their own.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; kept default
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"forbidden_one_line": {"()": "envmanager.logs.ForbiddenOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["forbidden_one_line"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Debug pages (DEBUG=1) hide envmanager's secrets too: every value in envmanager's own frames.
DEFAULT_EXCEPTION_REPORTER_FILTER = "envmanager.logs.SecretSafeExceptionReporterFilter"
