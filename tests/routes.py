"""Every route of the URL conf, and a concrete path for each: tests that must cover every page build
their list from here, so a new page is covered the day it is added."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

from envmanager.kinds import Kind
from envmanager.models import MigrationRun
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.factories import EnvVarFactory, IdeProjectFactory, MetricsExportFactory, VariableFactory

# What a route's non-id parameters become (an id parameter takes the id given for its name).
PARAMETER_VALUES = {"kind": "connections", "export_format": "dotenv", "conn_id": "warehouse", "key": "region"}


def url_patterns(resolver=None, prefix=""):
    """Yield (route, URLPattern) for every route, the included ones with their prefix."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def concrete_path(route: str, ids: dict, bad_id: str | None = None, values: dict | None = None) -> str | None:
    """Turn a route into a path with real ids (or `bad_id` for every id); None when it cannot be filled.

    `ids` maps a parameter name (`workspace_id`, …) to its id, `object_id` standing in for unknown ones;
    `values` overrides PARAMETER_VALUES.
    """
    values = {**PARAMETER_VALUES, **(values or {})}
    route = route.lstrip("^").rstrip("$").replace("\\Z", "")
    if "(?P<" in route:  # regex routes: the API catch-all, admin's; only the simple ones
        route = re.sub(r"\(\?P<path>\.\*\)", "no/such/path", route)
        route = re.sub(r"\(\?P<app_label>[^)]*\)", "envmanager", route)
        if "(?P<" in route or "(" in route:
            return None

    def fill(match):
        name = match.group(2)
        if name.endswith("_id"):
            return bad_id or str(ids.get(name, ids["object_id"]))
        return values.get(name, "warehouse")

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def objects_for_every_route(workspace, dev, conn, *, actor=None) -> tuple[dict, str]:
    """Give every route something to show: beside the Workspace connection `conn`, a secret variable,
    an environment variable of `dev`, a metrics export, an IDE project linked to `conn`, an API token of
    `dev` and a finished migration run. Return the ids by route parameter, and the token."""
    VariableFactory(workspace=workspace, key="region", is_secret=True, fields={"value": "eu"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="TZ")
    MetricsExportFactory(workspace=workspace, key="prom")
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    link_services.link_create(env_object=conn, actor=None, target=ide)
    token = token_services.api_token_create(actor=actor, name="airflow", target=dev)
    run = MigrationRun.objects.create(deployment=dev, kind=Kind.CONNECTION, started_by_name="x", state="finished",
                                      finished_at="2026-01-01T00:00:00Z")
    ids = {"workspace_id": workspace.pk, "deployment_id": dev.pk, "object_id": conn.pk, "ide_project_id": ide.pk,
           "token_id": token.api_token.pk, "run_id": run.pk}
    return ids, token.plain
