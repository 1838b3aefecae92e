"""The read API's `/environment` ETag, made without resolving the environment, and its `kinds` filter.

ETag = (format, target, Workspace environment version, requested types). The version is bumped in
the transaction of every change that can alter what a target receives
(`services/environment_versions.py`), and it is read by the token's authentication query, before
the body is resolved: an ETag therefore never names newer data than its body holds, and a 304 costs
the authentication query alone.
"""

from envmanager.kinds import Kind
from envmanager.models import ApiToken

# Bumped when the body's shape changes, so clients of an older server download the new shape.
BODY_FORMAT = 2
# `?kinds=` names: the collection names of the lookups (`/connections/<id>`, `/env/<name>`, ...).
KIND_PARAMETER_NAMES = {
    "connections": Kind.CONNECTION,
    "variables": Kind.VARIABLE,
    "env": Kind.ENV,
    "metrics": Kind.METRICS,
}


class UnknownKinds(ValueError):
    def __init__(self, unknown: list[str]):
        self.unknown = unknown
        super().__init__(
            f"Unknown type{'s' if len(unknown) > 1 else ''} in 'kinds': {', '.join(repr(u) for u in unknown)}. "
            f"Use a comma-separated list of: {', '.join(KIND_PARAMETER_NAMES)}."
        )


def requested_kinds(parameter: str | None) -> tuple[Kind, ...]:
    """Return the types a `kinds` query parameter asks for, in Kind order; every type when absent."""
    if parameter is None:
        return tuple(Kind)
    names = parameter.split(",")
    unknown = [name for name in names if name not in KIND_PARAMETER_NAMES]
    if unknown:
        raise UnknownKinds(unknown)
    wanted = {KIND_PARAMETER_NAMES[name] for name in names}
    return tuple(kind for kind in Kind if kind in wanted)


def environment_etag(api_token: ApiToken, *, kinds: tuple[Kind, ...]) -> str:
    """Return the strong ETag (quoted) of the token target's environment, as authentication read it."""
    target = f"d{api_token.deployment_id}" if api_token.deployment_id else f"p{api_token.ide_project_id}"
    version = api_token.workspace.environment_version
    types = "".join(sorted(kind.value[0] for kind in kinds)) if kinds != tuple(Kind) else "all"
    return f'"f{BODY_FORMAT}-{target}-v{version}-{types}"'
