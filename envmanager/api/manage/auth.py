"""The management API's one decorator: personal-access-token auth, JSON errors, Idempotency-Key on POST.

Every write inside a request is audited as made through the token (`services.audit.audit_via`).
"""

from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from accounts.signin import api_failure_record
from envmanager.api.auth import bearer_token, throttled
from envmanager.api.manage.shapes import BadRequest
from envmanager.api.responses import api_error, api_raw, api_unauthorized, method_not_allowed
from envmanager.crypto import SecretDecryptionError
from envmanager.services.audit import audit_via
from envmanager.services.idempotency import MAX_KEY_LENGTH, KeyReused, idempotent
from envmanager.services.personal_tokens import personal_token_authenticate

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _validation_error(exc: ValidationError):
    if hasattr(exc, "error_dict"):
        errors = exc.message_dict
        message = " ".join(f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
                           for name, messages in errors.items())
    else:
        errors = {"__all__": exc.messages}
        message = " ".join(exc.messages)
    return api_error(message, status=400, extra={"errors": errors})


def _answer(view, request, *args, **kwargs):
    """Run `view`, turning the services' and lookups' exceptions into the API's error shape."""
    try:
        return view(request, *args, **kwargs)
    except BadRequest as exc:
        return api_error(str(exc), status=400, extra=exc.extra)
    except ValidationError as exc:
        return _validation_error(exc)
    except Http404 as exc:
        return api_error(str(exc) or "Not found.", status=404)
    except PermissionDenied as exc:
        return api_error(str(exc) or "You do not have permission to do this.", status=403)
    except SecretDecryptionError:
        return api_error(
            "A stored secret cannot be decrypted with the server's encryption keys; ask the envmanager operator "
            "to check ENVMANAGER_ENCRYPTION_KEYS.", status=500,
        )


def _idempotent_answer(view, request, *args, **kwargs):
    key = request.headers[IDEMPOTENCY_HEADER]
    if not key or len(key) > MAX_KEY_LENGTH:
        return api_error(f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", status=400)

    def run():
        response = _answer(view, request, *args, **kwargs)
        return response.status_code, response.content

    try:
        stored = idempotent(user=request.user, key=key, method=request.method, path=request.get_full_path(),
                            body=request.body, run=run)
    except KeyReused as exc:
        return api_error(str(exc), status=422, extra={"header": IDEMPOTENCY_HEADER})
    response = api_raw(stored.body, status=stored.status)
    if stored.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def manage_view(*methods: str):
    """Make a view a management-API endpoint answering `methods`; it finds the user on `request.user`."""

    def decorator(view):
        @wraps(view)
        @sensitive_variables("plain")
        def wrapper(request, *args, **kwargs):
            refused = method_not_allowed(request, methods, use=", ".join(methods)) or throttled(request)
            if refused is not None:
                return refused
            plain = bearer_token(request)
            if plain is None:
                return api_unauthorized("Missing token: send 'Authorization: Bearer <personal access token>'.")
            token = personal_token_authenticate(plain=plain)
            if token is None:
                api_failure_record(request)
                return api_unauthorized("The personal access token is not valid, has expired or has been revoked.")
            request.user, request.personal_token = token.user, token
            with audit_via(token.label):
                if request.method == "POST" and IDEMPOTENCY_HEADER in request.headers:
                    return _idempotent_answer(view, request, *args, **kwargs)
                return _answer(view, request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator
