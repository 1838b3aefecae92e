"""`manage.py check` (and every start) says when single sign-on is half configured."""

from django.conf import settings
from django.core import checks

SSO_SETTINGS = ("ENVMANAGER_OIDC_ISSUER", "ENVMANAGER_OIDC_CLIENT_ID", "ENVMANAGER_OIDC_CLIENT_SECRET")


@checks.register(checks.Tags.security)
def sso_settings_check(app_configs, **kwargs):
    given = [name for name in SSO_SETTINGS if getattr(settings, name)]
    problems = []
    if given and len(given) < len(SSO_SETTINGS):
        missing = ", ".join(name for name in SSO_SETTINGS if name not in given)
        problems.append(checks.Warning(
            f"Single sign-on is off: {missing} is not set (all of {', '.join(SSO_SETTINGS)} are needed).",
            id="accounts.W001",
        ))
    if not settings.ENVMANAGER_PASSWORD_LOGIN and len(given) < len(SSO_SETTINGS):
        problems.append(checks.Warning(
            "ENVMANAGER_PASSWORD_LOGIN=0 without single sign-on: only superusers can sign in (at /admin/).",
            id="accounts.W002",
        ))
    return problems
