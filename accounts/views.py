
"""The sign-in page and the two ends of single sign-on: the start (to the provider) and the return."""

import logging

import jwt
import requests
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from accounts.sso import SignInRefused, oidc_setting
from accounts.sso_provider import DiscoveryError, provider_configuration, sso_configured

logger = logging.getLogger(__name__)

SSO_FAILED_TEMPLATE = "accounts/sso_failed.html"


class BoundedAuthenticationForm(AuthenticationForm):
    """Django's form sets the username's max_length after the field is built, so no validator enforces it;
    an over-long name must not reach authenticate() (django-axes stores it in a varchar(255))."""

    def clean_username(self):
        username = self.cleaned_data.get("username") or ""
        if len(username) > self.fields["username"].max_length:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login",
                                  params={"username": self.username_field.verbose_name})
        return username


class LoginView(auth_views.LoginView):
    """Django's sign-in page, with "Sign in with SSO" when configured and no password form when it is off."""

    template_name = "accounts/login.html"
    authentication_form = BoundedAuthenticationForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            **kwargs, sso_enabled=sso_configured(), password_login=settings.ENVMANAGER_PASSWORD_LOGIN
        )

    def post(self, request, *args, **kwargs):
        if not settings.ENVMANAGER_PASSWORD_LOGIN:
            # Superusers sign in with a password at the admin's own sign-in page.
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)


def sso_failed(request, message: str, *, status: int = 400):
    """Render the page a failed single sign-on ends on; nothing was created."""
    return render(request, SSO_FAILED_TEMPLATE, {"message": message}, status=status)


class _SSOView:
    """What both ends share: settings from ENVMANAGER_OIDC_*, 404 unless configured, never cached."""

    get_settings = staticmethod(oidc_setting)

    @classmethod
    def as_view(cls, **initkwargs):
        return never_cache(super().as_view(**initkwargs))

    def dispatch(self, request, *args, **kwargs):
        if not sso_configured():
            raise Http404("Single sign-on is not configured.")
        return super().dispatch(request, *args, **kwargs)


class SSOStartView(_SSOView, OIDCAuthenticationRequestView):
    """Send the browser to the provider's authorization endpoint with the client id, state, nonce and PKCE."""

    def __init__(self, *args, **kwargs):
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)  # endpoints: in get(), not here

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_configuration().authorization_endpoint
        except DiscoveryError as exc:
            logger.warning("Single sign-on could not start: %s", exc)
            return sso_failed(request, f"Single sign-on is unavailable: {exc} Nothing changed.", status=503)
        self.OIDC_RP_CLIENT_ID = settings.ENVMANAGER_OIDC_CLIENT_ID
        return super().get(request)


class SSOCallbackView(_SSOView, OIDCAuthenticationCallbackView):
    """Finish the sign-in the provider sends back, or say clearly why it failed (no account is created)."""

    failure_message = "The identity provider did not confirm who you are."

    def get(self, request):
        if error := request.GET.get("error"):
            super().get(request)  # forgets the state and signs out, as the library does
            return sso_failed(request, _provider_error_message(error, request.GET.get("error_description", "")))
        state = request.GET.get("state")
        if "code" not in request.GET or not state or state not in request.session.get("oidc_states", {}):
            return sso_failed(
                request,
                "This sign-in cannot be finished: it was not started in this browser, or it was already used "
                "(state mismatch). Start again with \u201cSign in with SSO\u201d.",
            )
        try:
            return super().get(request)
        except SignInRefused as exc:
            return sso_failed(request, str(exc), status=403)
        except IntegrityError:  # a write racing this sign-in (the same person in two tabs, an Owner's edit)
            return sso_failed(request, "The sign-in met another change to this account at the same moment. Start again.")
        except DiscoveryError as exc:
            logger.warning("Single sign-on could not finish: %s", exc)
            return sso_failed(request, f"Single sign-on is unavailable: {exc}", status=503)
        except (requests.RequestException, SuspiciousOperation, jwt.PyJWTError, ValueError, KeyError) as exc:
            # The type only: a token endpoint's answer is no business of a log line.
            logger.warning("Single sign-on return refused: %s", type(exc).__name__)
            return sso_failed(request, "The identity provider's answer could not be verified. Start again.")

    def login_failure(self):
        return sso_failed(self.request, self.failure_message)


def _provider_error_message(error: str, description: str) -> str:
    if error == "access_denied":
        return "The sign-in was cancelled at the identity provider (access denied). Nothing changed."
    detail = f" ({description})" if description else ""
    return f"The identity provider refused the sign-in: {error}{detail}. Nothing changed."
