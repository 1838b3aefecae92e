"""The admin's inputs for the fields of one environment object type, and the service arguments they give.

The inputs are the pages' own (`FieldSpec.formfield`, from `envmanager.forms.fields`), with
name/value fields entered as JSON text (the admin has no script to add rows) and every secret
write-only, its help saying only whether it is set.
"""

import json

from django.utils.html import format_html

from envmanager.forms.fields import JSON_TYPES
from envmanager.forms.secrets import clear_field, secret_help
from envmanager.kinds import JSON_HELP, KIND_SPECS, Kind


def _display_value(value):
    """Return a stored plain value as the initial value of its input (a JSON object as indented text)."""
    if isinstance(value, dict):
        return json.dumps(value, indent=2, sort_keys=True)
    return value


def _override_help(value) -> str:
    if value is None:
        return "Empty: the Workspace value applies (it has none)."
    return format_html("Empty: the Workspace value applies (<code>{}</code>).", str(_display_value(value)))


def add_kind_fields(form, kind: Kind, *, secret, plain_values: dict, secret_tokens: dict, override: bool,
                    base_values: dict | None = None) -> tuple[str, ...]:
    """Add an input to `form` for every field of `kind`, in spec order; return the names of the secret ones.

    `secret(name)` says whether a field is write-only. `override` builds a Link's override inputs:
    nothing is required there, and an empty plain input means "use the Workspace value".
    """
    secret_names = []
    for spec in KIND_SPECS[kind].fields:
        if secret(spec.name):
            extra = JSON_HELP if spec.type in JSON_TYPES else ""
            if override:
                extra = f"{extra} Empty and not set: the Workspace value applies.".strip()
            is_set = spec.name in secret_tokens
            field = spec.formfield(secret=True, required=False, key_value_rows=False)
            field.help_text = secret_help(is_set=is_set, help_text=extra)
            form.fields[spec.name] = field
            if is_set:
                form.fields[f"clear_{spec.name}"] = clear_field(spec.label)
            secret_names.append(spec.name)
            continue
        field = spec.formfield(secret=False, required=spec.required and not override, key_value_rows=False)
        field.initial = _display_value(plain_values.get(spec.name))
        if override:
            field.help_text = _override_help((base_values or {}).get(spec.name))
        form.fields[spec.name] = field
    return tuple(secret_names)


def values_for_service(form, names, *, only_changed: bool = True, empty_clears: bool = False):
    """Return (fields, clear) for a service call from a form built by `add_kind_fields`.

    A secret is given only when typed (empty keeps it) and cleared only when its box is ticked. A
    plain field is given as entered (changed ones only, with `only_changed`); with `empty_clears`
    an emptied one is cleared instead.
    """
    fields, clear = {}, []
    for name in names:
        value = form.cleaned_data.get(name)
        if name in form.secret_names:
            if value:
                fields[name] = value
            if form.cleaned_data.get(f"clear_{name}"):
                clear.append(name)
        elif only_changed and name not in form.changed_data:
            continue
        elif empty_clears and value in (None, ""):
            clear.append(name)
        else:
            fields[name] = value
    return fields, tuple(clear)


def secret_capable_fields() -> tuple[str, ...]:
    """Every field that is, or can become, secret: kept out of error reports whatever the object's kind."""
    return tuple(sorted({f.name for spec in KIND_SPECS.values() for f in spec.fields if f.may_be_secret}))
