"""The identity provider envmanager signs in with (OpenID Connect), configured by ENVMANAGER_OIDC_* only.

Its endpoints come from `<issuer>/.well-known/openid-configuration`, read at the first sign-in and then
cached, never at import: a misconfigured or unreachable issuer leaves the rest of envmanager running, and
the sign-in says what is wrong (`DiscoveryError`).
"""

import hashlib
from dataclasses import asdict, dataclass

import requests
from django.conf import settings
from django.core.cache import cache

DISCOVERY_PATH = "/.well-known/openid-configuration"
DISCOVERY_CACHE_SECONDS = 3600


class DiscoveryError(Exception):
    """The issuer's discovery document could not be read or is unusable; the message says why."""


@dataclass(frozen=True)
class ProviderConfiguration:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str


def sso_configured() -> bool:
    """Return whether single sign-on is set up (ENVMANAGER_OIDC_ISSUER, CLIENT_ID and CLIENT_SECRET)."""
    return bool(settings.ENVMANAGER_OIDC_ISSUER and settings.ENVMANAGER_OIDC_CLIENT_ID and settings.ENVMANAGER_OIDC_CLIENT_SECRET)


def discovery_url(issuer: str) -> str:
    # OpenID Connect Discovery 1.0, section 4: a trailing slash of the issuer is dropped first.
    return issuer.rstrip("/") + DISCOVERY_PATH


def _cache_key(issuer: str) -> str:
    return "envmanager:oidc-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()


def provider_configuration() -> ProviderConfiguration:
    """Return the configured issuer's endpoints, from the cache or its discovery document."""
    issuer = settings.ENVMANAGER_OIDC_ISSUER
    if cached := cache.get(_cache_key(issuer)):
        return ProviderConfiguration(**cached)
    configuration = _discover(issuer)
    cache.set(_cache_key(issuer), asdict(configuration), DISCOVERY_CACHE_SECONDS)
    return configuration


def discovery_forget() -> None:
    """Drop the cached discovery document (tests; an administrator changing the issuer restarts anyway)."""
    cache.delete(_cache_key(settings.ENVMANAGER_OIDC_ISSUER))


def _discover(issuer: str) -> ProviderConfiguration:
    url = discovery_url(issuer)
    timeout = settings.OIDC_TIMEOUT
    try:
        response = requests.get(url, timeout=timeout, verify=settings.OIDC_VERIFY_SSL, allow_redirects=False)
    except requests.Timeout:
        raise DiscoveryError(f"The identity provider did not answer within {timeout} s at {url}.") from None
    except requests.RequestException:
        raise DiscoveryError(f"The identity provider could not be reached at {url}.") from None
    if response.status_code != 200:
        raise DiscoveryError(f"The identity provider answered HTTP {response.status_code} at {url}.")
    try:
        document = response.json()
    except ValueError:
        raise DiscoveryError(f"The identity provider's discovery document at {url} is not JSON.") from None
    if not isinstance(document, dict):
        raise DiscoveryError(f"The identity provider's discovery document at {url} is not a JSON object.")
    # Discovery 1.0, section 4.3: the document's issuer must be the one asked for, exactly.
    if document.get("issuer") != issuer:
        raise DiscoveryError(
            f"The discovery document at {url} names the issuer {document.get('issuer')!r}, "
            f"not the configured ENVMANAGER_OIDC_ISSUER {issuer!r}."
        )
    fields = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
    missing = [name for name in fields if not isinstance(document.get(name), str) or not document[name]]
    if missing:
        raise DiscoveryError(f"The discovery document at {url} lacks {', '.join(missing)}.")
    return ProviderConfiguration(issuer=issuer, **{name: document[name] for name in fields})
