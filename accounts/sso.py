"""Single sign-on with OpenID Connect: mozilla-django-oidc's code flow (state, nonce, PKCE S256), with
endpoints from discovery (`accounts.sso_provider`) and users matched by subject first, then verified email.

`sso_signed_in` is sent inside the sign-in's transaction with the user and the provider's claims, so
envmanager can grant memberships from a role claim without accounts knowing about Workspaces.
"""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import SuspiciousOperation
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings

from accounts.models import SSOIdentity
from accounts.sso_provider import provider_configuration, sso_configured

logger = logging.getLogger(__name__)

# Sent with `user` and `claims` (the ID token's claims, then the userinfo claims over them).
sso_signed_in = Signal()


class SignInRefused(Exception):
    """The provider vouched for someone envmanager will not sign in; the message says why, for the page."""


def oidc_setting(attr, *args):
    """Answer mozilla-django-oidc's settings: client from ENVMANAGER_OIDC_*, endpoints from discovery."""
    answers = {
        "OIDC_RP_CLIENT_ID": lambda: settings.ENVMANAGER_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": lambda: settings.ENVMANAGER_OIDC_CLIENT_SECRET,
        "OIDC_OP_AUTHORIZATION_ENDPOINT": lambda: provider_configuration().authorization_endpoint,
        "OIDC_OP_TOKEN_ENDPOINT": lambda: provider_configuration().token_endpoint,
        "OIDC_OP_USER_ENDPOINT": lambda: provider_configuration().userinfo_endpoint,
        "OIDC_OP_JWKS_ENDPOINT": lambda: provider_configuration().jwks_uri,
    }
    if attr in answers:
        return answers[attr]()
    return import_from_settings(attr, *args)


def _lazy(name: str) -> property:
    return property(lambda self: oidc_setting(name))


class SSOBackend(OIDCAuthenticationBackend):
    """Authenticate the return from the identity provider; every other sign-in is left to other backends."""

    get_settings = staticmethod(oidc_setting)
    # The library reads these in __init__; Django builds a backend for every request of a signed-in user,
    # so here they are read when a sign-in needs them, and discovery runs at the first sign-in only.
    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _lazy("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _lazy("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _lazy("OIDC_RP_SIGN_ALGO")
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs):
        ModelBackend.__init__(self, *args, **kwargs)
        self.UserModel = get_user_model()

    # Django's, not the library's: a user deactivated since signing in is signed out at the next request.
    get_user = ModelBackend.get_user

    def authenticate(self, request, **kwargs):
        if not sso_configured() or "code_verifier" not in kwargs:  # not the SSO callback's call
            return None
        return super().authenticate(request, **kwargs)

    def verify_token(self, token, **kwargs):
        """Check the ID token's signature and nonce (the library), then its issuer and audience."""
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued for another client.")
        if payload.get("iss") != provider_configuration().issuer:
            raise SuspiciousOperation("The ID token was issued by another issuer.")
        return payload

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        # OpenID Connect Core 5.3.2: userinfo must describe the ID token's subject.
        if not payload.get("sub") or userinfo.get("sub") != payload.get("sub"):
            raise SignInRefused("The identity provider's user information does not match its ID token.")
        claims = {**payload, **userinfo}
        with transaction.atomic():
            user = user_for_claims(issuer=payload["iss"], claims=claims)
            if not user.is_active:
                raise SignInRefused("This account is deactivated in envmanager. Ask an administrator.")
            sso_signed_in.send(sender=SSOBackend, user=user, claims=claims)
        return user


def _email_verified(claims: dict) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def user_for_claims(*, issuer: str, claims: dict):
    """Return the user the provider's `claims` sign in as: by subject, else by verified email, else new."""
    subject = claims["sub"]
    identity = SSOIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if identity is not None:
        return identity.user
    User = get_user_model()
    email = claims.get("email") or ""
    matches = list(User.objects.filter(email__iexact=email)[:2]) if email else []
    if matches:
        if not _email_verified(claims):
            raise SignInRefused(
                f"An envmanager account with the email address {email} exists, but the identity provider does "
                "not say the address is verified, so the two are not joined. Ask an administrator."
            )
        if len(matches) > 1:
            raise SignInRefused(f"More than one envmanager account has the email address {email}. Ask an administrator.")
        user = matches[0]
        if SSOIdentity.objects.filter(issuer=issuer, user=user).exists():
            raise SignInRefused(
                f"The envmanager account with the email address {email} already signs in as another user "
                "of this identity provider. Ask an administrator."
            )
    try:
        with transaction.atomic():
            if not matches:
                user = User.objects.create_user(_free_username(claims), email=email)  # no password: an unusable one
            SSOIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    except IntegrityError:  # the same person's other sign-in, at the same moment, got there first
        raise SignInRefused("Another sign-in of this account is in progress; try again.") from None
    logger.info("Single sign-on: %s joined to subject %s of %s", user.get_username(), subject, issuer)
    return user


def _free_username(claims: dict) -> str:
    User = get_user_model()
    wanted = str(claims.get("preferred_username") or claims.get("email") or claims["sub"])[:150]
    if not User.objects.filter(username=wanted).exists():
        return wanted
    # A local account already has that name: the new one gets a suffix from the subject, never that account.
    suffixed = f"{wanted[:140]}-{hashlib.sha256(str(claims['sub']).encode()).hexdigest()[:8]}"
    if User.objects.filter(username=suffixed).exists():
        raise SignInRefused(f"No free username for this account ('{wanted}' is taken). Ask an administrator.")
    return suffixed


class PasswordBackend(ModelBackend):
    """Django's password sign-in for superusers only (ENVMANAGER_PASSWORD_LOGIN=0: everyone else uses SSO)."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and user.is_superuser
