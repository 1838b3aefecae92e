"""Every route of the URL conf, and a concrete path for each: tests that must cover every page build
their list from here, so a new page is covered the day it is added."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

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
