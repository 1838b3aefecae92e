"""Template tags for the site chrome and for showing environment object values."""

import json

from django import template
from django.utils.html import format_html

from envmanager.forms.secrets import SECRET_NOT_SET, SECRET_SET, secret_status
from envmanager.permissions import visible_workspaces, workspace_access
from envmanager.targets import Target

register = template.Library()


@register.inclusion_tag("envmanager/_workspace_switcher.html", takes_context=True)
def workspace_switcher(context):
    """List the user's Workspaces (only theirs) to switch between them."""
    request = context["request"]
    current = context.get("workspace")
    workspaces = list(visible_workspaces(request.user).only("id", "name").order_by("name"))
    return {"workspaces": workspaces, "current": current}


@register.simple_tag(takes_context=True)
def access_in(context, workspace):
    """The user's `WorkspaceAccess` in `workspace`: the view's `access`, else looked up (once per request,
    `workspace_access` keeps it on the instance), so every page inside a Workspace has its navigation and role."""
    return context.get("access") or workspace_access(context["request"].user, workspace)


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


@register.simple_tag
def secret_badge(is_set):
    """A secret's status as a badge ("set" / "not set", forms.secrets' words); never its value."""
    return format_html('<span class="badge {}">{}</span>', "set" if is_set else "unset", secret_status(is_set))


@register.simple_tag
def secret_mask(is_set):
    """A secret where a value would be: dots when it is set, "not set" otherwise; never its value."""
    if is_set:
        return format_html('<span class="masked" title="Secret: {}">•••</span>', SECRET_SET)
    return format_html('<span class="muted">{}</span>', SECRET_NOT_SET)


@register.simple_tag
def target_url(target, page, *more):
    """The URL of one of a Deployment's or IDE project's pages: `{% target_url target "environment-home" %}`.

    `target` is a Target, or the Deployment or IDE project itself (a row of a list page).
    """
    return Target.of(target).url(page, *more)


@register.simple_tag(takes_context=True)
def form_post_attrs(context, url, hx_target="this"):
    """The attributes of a form that is a page or, with `dialog` in the context, a dialog (views.base).

    A page's form posts and follows the redirect; a dialog's form posts with htmx and is swapped for the
    answer (the form again with its errors, or what the view sends on success).
    """
    attrs = format_html('method="post" action="{}"', url)
    if context.get("dialog"):
        attrs += format_html(' hx-post="{}" hx-target="{}" hx-swap="outerHTML"', url, hx_target)
    return attrs
