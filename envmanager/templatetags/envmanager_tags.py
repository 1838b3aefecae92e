"""Template tags for the site chrome and for showing environment object values."""

import json

from django import template

from envmanager.permissions import visible_workspaces

register = template.Library()


@register.inclusion_tag("envmanager/_workspace_switcher.html", takes_context=True)
def workspace_switcher(context):
    """List the user's Workspaces (only theirs) to switch between them."""
    request = context["request"]
    current = context.get("workspace")
    workspaces = list(visible_workspaces(request.user).only("id", "name").order_by("name"))
    return {"workspaces": workspaces, "current": current}


@register.filter
def display_value(value):
    """Show a plain field value: JSON objects compactly, None as an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value


@register.simple_tag(takes_context=True)
def query_url(context, **changes):
    """Return the current query string with `changes` applied (None removes a parameter)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value is None or value == "":
            params.pop(name, None)
        else:
            params[name] = value
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"




@register.filter
def pretty_json(value):
    """Show an audit snapshot as indented JSON."""
    return json.dumps(value, indent=2, sort_keys=True, default=str)
