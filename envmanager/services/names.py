"""The rule for the names people give Workspaces, Deployments, IDE projects and tokens."""

from django.core.exceptions import ValidationError


def clean_name(name: str, *, what: str, max_length: int, example: str = "") -> str:
    """Return `name` without surrounding white space; ValidationError on `name` if that leaves nothing or
    more than `max_length` characters. `what` names the thing in the message ("Deployment", "token"), and
    `example` suggests a name ("the CI pipeline that uses it").
    """
    name = (name or "").strip()
    if not name:
        suggestion = f", e.g. {example}" if example else ""
        raise ValidationError({"name": f"The {what} needs a name{suggestion}."})
    if len(name) > max_length:
        raise ValidationError({"name": f"The {what} name is longer than {max_length} characters."})
    return name
