"""Two stand-in servers for `benchmarks/delivery.py`: where the cost of a per-key lookup lies.

The per-key target (≤ 1.5× Airflow's own metastore lookup) is measured against the real read API.
These two answer the same request (`GET /api/v1/variables/<key>`, with the same JSON) while doing
less, behind the same gunicorn command, so the benchmark can print, in the same run, what a lookup
costs before envmanager's own work starts:

- `constant_application`: a plain WSGI function that answers a fixed body. What is left is gunicorn,
  the loopback socket, the backend's HTTP client and Airflow: no Django, no database.
- `django_application()`: Django's WSGI handler with no middleware and one view that reads the
  variable in one prepared statement. No authentication, no overrides, no audit: the least a Django
  view that reads the database can cost.

Used only by the benchmark: the module is its own settings module and URLconf, so that Django loads
nothing of envmanager (DJANGO_SETTINGS_MODULE=benchmarks.per_key_floor).
"""

import json
import os

import dj_database_url
from django.urls import path

# --- Settings (this module is DJANGO_SETTINGS_MODULE for `django_application`) ---------------------

SECRET_KEY = os.environ.get("SECRET_KEY", "benchmark only")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = []
MIDDLEWARE = []
ROOT_URLCONF = __name__
USE_TZ = True
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", "sqlite://:memory:"), conn_max_age=600)}


def _entry(key: str, value: str) -> dict:
    """The read API's JSON for a Workspace variable (`selectors.environment.entry_as_dict`)."""
    return {
        "type": "variable", "key": key, "source": "workspace", "is_secret": False,
        "fields": {"value": {"value": value, "secret": False, "is_set": True, "source": "workspace"}},
    }


# --- No Django, no database ------------------------------------------------------------------------

_CONSTANT_BODY = json.dumps(_entry("VAR_0000", "value 0")).encode()


def constant_application(environ, start_response):
    """Answer every request with the same variable: the cost of everything around the server's work."""
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(_CONSTANT_BODY)))])
    return [_CONSTANT_BODY]


# --- Django with no middleware and one prepared statement -----------------------------------------

_VARIABLE_SQL = (
    "SELECT data FROM envmanager_envobject WHERE kind = 'variable' AND key = %s AND deployment_id IS NULL"
)


def variable_view(request, key):
    import psycopg
    from django.db import connection
    from django.http import JsonResponse

    connection.ensure_connection()
    raw = connection.connection
    raw.prepare_threshold = 2**31 - 1  # as the hot path does (selectors/hot_path.py): explicit prepares only
    with psycopg.Cursor(raw) as cursor:  # server-side binding, prepared on its first run
        cursor.execute(_VARIABLE_SQL, [key], prepare=True)
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"error": "not found"}, status=404)
    data = row[0] if isinstance(row[0], dict) else json.loads(row[0])
    return JsonResponse(_entry(key, data["value"]))


urlpatterns = [path("api/v1/variables/<str:key>", variable_view)]


def django_application():
    """gunicorn factory (`benchmarks.per_key_floor:django_application()`): Django's bare WSGI handler."""
    os.environ["DJANGO_SETTINGS_MODULE"] = __name__
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()
