"""The management API's JSON shapes: objects and links with secrets as "set" / "not set", request bodies."""

import json

from django.core.exceptions import ValidationError

from envmanager.forms.secrets import secret_status
from envmanager.kinds import KIND_SPECS, Kind
from envmanager.models import EnvObject, Link
from envmanager.values import structured_type_error


class BadRequest(Exception):
    """A body or parameter the API refuses before any service runs (400)."""

    def __init__(self, message: str, extra: dict | None = None):
        super().__init__(message)
        self.extra = extra or {}


def json_body(request, *, allowed: set[str], required: set[str] = frozenset()) -> dict:
    """Return the request's JSON object, refusing other shapes, unknown and missing members."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise BadRequest(f"Unknown member(s): {', '.join(unknown)}.", {"unknown": unknown, "allowed": sorted(allowed)})
    missing = sorted(required - set(body))
    if missing:
        raise BadRequest(f"Missing member(s): {', '.join(missing)}.", {"missing": missing})
    return body


def expect(body: dict, name: str, types: tuple, label: str):
    """Return body[name] (None when absent), refusing a value of another JSON type."""
    value = body.get(name)
    if value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool))):
        raise BadRequest(f"'{name}' must be {label}.", {"member": name})
    return value


def field_values(kind: Kind, fields) -> dict:
    """Check the JSON types of `fields` (names and values); kinds.py validates the values themselves."""
    if fields is None:
        return {}
    if not isinstance(fields, dict):
        raise BadRequest("'fields' must be an object.", {"member": "fields"})
    spec, errors = KIND_SPECS[kind], {}
    for name, value in fields.items():
        try:
            error = structured_type_error(spec.field(name).type, value)
        except ValidationError as exc:
            errors.update({f"fields.{k}": v for k, v in exc.message_dict.items()})
            continue
        if error:
            errors[f"fields.{name}"] = [f"{spec.field(name).label} {error}"]
    if errors:
        raise BadRequest("Some fields are not valid.", {"errors": errors})
    return fields


def split_secret_clears(kind: Kind, is_secret_flag: bool, fields: dict) -> tuple[dict, tuple[str, ...]]:
    """A secret field given as null clears it (services read None as "keep"); return (fields, clear)."""
    spec = KIND_SPECS[kind]
    clear = tuple(n for n, v in fields.items() if v is None and spec.is_secret(n, is_secret_flag=is_secret_flag))
    return {n: v for n, v in fields.items() if n not in clear}, clear


def _values(kind: str, is_secret_flag: bool, plain: dict, sealed: dict, *, every_field: bool) -> dict:
    spec = KIND_SPECS[Kind(kind)]
    values = {}
    for name in spec.field_names:
        if spec.is_secret(name, is_secret_flag=is_secret_flag):
            if every_field or name in sealed:
                values[name] = secret_status(bool(sealed.get(name)))
        elif every_field or name in plain:
            values[name] = plain.get(name)
    return values


def link_dict(link: Link, env_object: EnvObject) -> dict:
    return {
        "target_type": "deployment" if link.deployment_id else "ide_project",
        "name": link.deployment.name if link.deployment_id else link.ide_project.name,
        "excluded": link.excluded,
        "override": _values(env_object.kind, env_object.is_secret, link.override_data, link.override_secrets,
                            every_field=False),
    }


def env_object_dict(env_object: EnvObject) -> dict:
    """One object as the API shows it; its `links` must be prefetched with their targets."""
    links = [link_dict(link, env_object) for link in env_object.links.all()]
    return {
        "type": env_object.kind,
        "key": env_object.key,
        "deployment": env_object.deployment.name if env_object.deployment_id else None,
        "is_secret": env_object.is_secret,
        "linked_to_all": env_object.linked_to_all,
        "secret_fields": list(env_object.spec.secret_field_names(is_secret_flag=env_object.is_secret)),
        "fields": _values(env_object.kind, env_object.is_secret, env_object.data, env_object.secrets, every_field=True),
        "links": sorted(links, key=lambda link: (link["target_type"], link["name"])),
        "updated_at": env_object.updated_at.isoformat(),
    }
