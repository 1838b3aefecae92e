"""Bearer-token authentication for the read API: no session, no cookie, so no CSRF."""

from functools import wraps

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from accounts.signin import api_client_throttled, api_failure_record
from envmanager.api.responses import api_error, api_unauthorized, method_not_allowed
from envmanager.crypto import SecretDecryptionError
from envmanager.services import tokens as token_services
from envmanager.services.readers import READER_HEADER, InvalidReader, reader_from_header


@sensitive_variables("header", "plain")
def bearer_token(request) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, plain = header.partition(" ")
    if scheme.lower() != "bearer" or not plain.strip():
        return None
    return plain.strip()


def _first_read(read):
    """Run a request's first database read as its own connection health check.

    With CONN_HEALTH_CHECKS, Django spends a `SELECT 1` round trip at the start of every request that
    reuses a connection. The read API, which Airflow calls constantly, skips it: it runs its first
    read and, only if the reused connection turns out to be dead (the database restarted, a proxy
    dropped it), reconnects and runs the read once more, which is safe for a read.
    """
    if connection.connection is None or not connection.health_check_enabled or connection.health_check_done:
        return read()
    connection.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return read()


def throttled(request):
    """Return a 429 while this address is locked out for sending invalid tokens, else None."""
    if not api_client_throttled(request):
        return None
    response = api_error("Too many requests with invalid API tokens from this address; try again later.", status=429)
    response["Retry-After"] = str(settings.ENVMANAGER_API_FAILURE_WINDOW_SECONDS)
    return response


def api_view(view):
    """Make `view` a read-API endpoint: GET only, token required, JSON errors.

    The view finds the authenticated token on `request.api_token`.
    """

    @wraps(view)
    @sensitive_variables("plain")
    def wrapper(request, *args, **kwargs):
        refused = method_not_allowed(request, ("GET", "HEAD"), use="GET") or throttled(request)
        if refused is not None:
            return refused
        plain = bearer_token(request)
        if plain is None:
            return api_unauthorized("Missing API token: send the header 'Authorization: Bearer <token>'.")
        try:
            reader, bad_reader = reader_from_header(request.headers.get(READER_HEADER)), None
        except InvalidReader as exc:
            reader, bad_reader = "", exc
        api_token = _first_read(lambda: token_services.api_token_authenticate(plain=plain, reader=reader))
        if api_token is None:
            api_failure_record(request)
            return api_unauthorized("The API token is not valid or has been revoked.")
        if bad_reader is not None:
            return api_error(str(bad_reader), status=400, extra={"header": READER_HEADER})
        request.api_token, request.api_reader = api_token, reader
        try:
            return view(request, *args, **kwargs)
        except SecretDecryptionError:
            # The message names no secret; the operator fixes ENVMANAGER_ENCRYPTION_KEYS.
            return api_error(
                "A stored secret cannot be decrypted with the server's encryption keys; ask the "
                "envmanager operator to check ENVMANAGER_ENCRYPTION_KEYS.",
                status=500,
            )

    return csrf_exempt(wrapper)
