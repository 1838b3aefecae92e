"""The four types of environment object, their fields, and how each field is validated.

This is the one description of "what a connection / variable / environment variable / metrics
export is": its URL slug and nouns, its key rule, and every field with its label, help text, bounds,
widget hints and command-line option. Services, forms, the admin, commands, pages and exports all
read it; nothing else lists fields. Adding a field to a type is one edit to `KIND_SPECS`
(docs/architecture.md, "Kind registry").
"""

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models

from envmanager.key_rules import (
    CONNECTION_ID_RULE,
    ENV_NAME_RULE,
    KEY_MAX_LENGTH,
    METRICS_NAME_RULE,
    VARIABLE_KEY_RULE,
    KeyRule,
    is_env_name,
)
from envmanager.values import describe_character, is_empty, unstorable_text, whitespace_notice

# Re-exported: callers read every rule about a type's keys and values from here.
__all__ = ["KEY_MAX_LENGTH", "KeyRule", "describe_character", "is_empty", "is_env_name", "unstorable_text",
           "whitespace_notice"]


class Kind(models.TextChoices):
    CONNECTION = "connection", "Airflow connection"
    VARIABLE = "variable", "Airflow variable"
    ENV = "env", "Environment variable"
    METRICS = "metrics", "Metrics export"


AUTH_TYPES = ("none", "basic", "bearer", "sigv4")
# SigV4 (AWS, e.g. Amazon Managed Service for Prometheus): the collector's sigv4auth extension signs with
# the credentials of where it runs, optionally after assuming a role (STS in the given region).
EXPORTER_TYPES = ("prometheus_remote_write", "otlp_http", "otlp_grpc", "datadog", "statsd")

# Common Airflow connection types offered in forms; any other type is accepted as free text.
COMMON_CONN_TYPES = (
    "aws", "azure_data_lake", "databricks", "email", "fs", "ftp", "generic", "google_cloud_platform",
    "http", "mssql", "mysql", "oracle", "postgres", "redis", "s3", "sftp", "slack", "snowflake",
    "sqlite", "ssh", "trino",
)


@dataclass(frozen=True)
class UsedWhen:
    """A field that means something only for some values of another field of the same object.

    A metrics export's username is used by basic auth only: `UsedWhen("auth_type", ("basic",))`.
    Forms hide the field otherwise, and services drop its value on save.
    """

    field: str
    values: tuple[str, ...]
    # A value of `field` that makes this field required, and the error when it is missing.
    required_for: tuple[str, ...] = ()
    required_message: str = ""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    # str | int | url | json_or_text (a variable value: any text) | json_object (a dict, e.g. labels)
    # | json_text (a JSON object kept as the exact text given: a connection's extra, as Airflow stores it)
    type: str = "str"
    secret: bool = False
    # A field whose secrecy follows the object's "secret" flag (variable and environment values).
    secret_when_flagged: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()
    default: str | None = None  # stored when a new object gives no value
    min_value: int | None = None  # bounds of an "int" field
    max_value: int | None = None
    help_text: str = ""
    # How forms show it: text rows (0 is one line), the whole width of a two-column form, values
    # offered while typing (any other text is accepted), name/value rows with these two column labels.
    rows: int = 0
    wide: bool = False
    suggestions: tuple[str, ...] = ()
    key_value_labels: tuple[str, str] | None = None
    used_when: UsedWhen | None = None
    option: str = ""  # the command-line option when it is not `--<name>` (e.g. `--exporter`)
    # A secret JSON object (a connection's extra) that pages edit key by key: keys Airflow treats as
    # sensitive stay write-only, the others are shown (forms/extra.py). Stored encrypted as a whole.
    key_rows: bool = False

    @property
    def may_be_secret(self) -> bool:
        """Whether the field is, or can become, write-only (the secret flag may be set later)."""
        return self.secret or self.secret_when_flagged

    @property
    def cli_option(self) -> str:
        return "--" + (self.option or self.name).replace("_", "-")

    def is_used(self, values: dict) -> bool:
        """Return whether the object's other `values` (defaults filled in) give this field a meaning."""
        return self.used_when is None or values.get(self.used_when.field) in self.used_when.values

    def missing_error(self, values: dict) -> str | None:
        """Return the error when the other `values` (defaults filled in) require this empty field, else None."""
        when = self.used_when
        if when is None or values.get(when.field) not in when.required_for or not is_empty(values.get(self.name)):
            return None
        return when.required_message

    def formfield(self, *, secret: bool, required: bool, key_value_rows: bool = True):
        """Return the Django form field for this field (as a model Field's `formfield()`); see forms.fields."""
        from envmanager.forms.fields import spec_form_field  # forms build on kinds, not the other way

        return spec_form_field(self, secret=secret, required=required, key_value_rows=key_value_rows)


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    key_rule: KeyRule
    fields: tuple[FieldSpec, ...]
    has_secret_flag: bool = False
    slug: str = ""  # in URLs: /environment/<slug>/
    menu_label: str = ""  # the type menu and page titles: "Airflow Variables"
    noun: str = ""  # in sentences: "Created Airflow variable 'x'."
    key_label: str = "Key"  # the key's label in forms: "Connection ID"
    aliases: tuple[str, ...] = ()  # other names the command line accepts besides the Kind's value
    summary_fields: tuple[str, ...] = ()  # what a table shows besides the key
    promote_needs_typed_key: bool = False  # Promote to Workspace asks the user to type the key (names mix up)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise ValidationError({name: f"{self.kind.label}s have no field '{name}'."})

    def is_secret(self, name: str, *, is_secret_flag: bool) -> bool:
        spec = self.field(name)
        return spec.secret or (spec.secret_when_flagged and is_secret_flag)

    def secret_field_names(self, *, is_secret_flag: bool) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if self.is_secret(f.name, is_secret_flag=is_secret_flag))

    @property
    def defaults(self) -> dict:
        return {f.name: f.default for f in self.fields if f.default is not None}

    def with_defaults(self, values: dict) -> dict:
        """Return `values` with each empty field that has a default set to it."""
        return {**values, **{name: value for name, value in self.defaults.items() if is_empty(values.get(name))}}


_DESCRIPTION = FieldSpec("description", "Description", rows=2)

KIND_SPECS: dict[Kind, KindSpec] = {
    Kind.CONNECTION: KindSpec(
        Kind.CONNECTION,
        CONNECTION_ID_RULE,
        (
            FieldSpec(
                "conn_type", "Connection type", required=True, wide=True, suggestions=COMMON_CONN_TYPES,
                help_text="Pick a common type or type any Airflow connection type.",
            ),
            _DESCRIPTION,
            FieldSpec("host", "Host"),
            FieldSpec("schema", "Schema"),
            FieldSpec("login", "Login"),
            FieldSpec("password", "Password", secret=True),
            FieldSpec("port", "Port", type="int", min_value=0, max_value=65535),
            FieldSpec(
                "extra", "Extra", type="json_text", secret=True, key_rows=True,
                help_text='A JSON object, like {"region_name": "eu-west-1"}.',
            ),
        ),
        slug="connections", menu_label="Connections", noun="connection", key_label="Connection ID",
        aliases=("connections", "conn"), summary_fields=("conn_type", "host", "port"),
    ),
    Kind.VARIABLE: KindSpec(
        Kind.VARIABLE,
        VARIABLE_KEY_RULE,
        (
            FieldSpec(
                "value", "Value", type="json_or_text", secret_when_flagged=True, rows=3,
                help_text="Text or JSON, stored as typed.",
            ),
            _DESCRIPTION,
        ),
        has_secret_flag=True,
        slug="variables", menu_label="Airflow Variables", noun="Airflow variable", key_label="Key",
        aliases=("variables", "var"), summary_fields=("value",),
    ),
    Kind.ENV: KindSpec(
        Kind.ENV,
        ENV_NAME_RULE,
        (FieldSpec("value", "Value", secret_when_flagged=True, rows=3),),
        has_secret_flag=True,
        slug="environment-variables", menu_label="Environment Variables", noun="environment variable",
        key_label="Name", aliases=("envs", "env_var"), summary_fields=("value",), promote_needs_typed_key=True,
    ),
    Kind.METRICS: KindSpec(
        Kind.METRICS,
        METRICS_NAME_RULE,
        (
            FieldSpec("endpoint", "Endpoint URL", type="url", required=True, wide=True),
            FieldSpec(
                "exporter_type", "Exporter type", required=True, choices=EXPORTER_TYPES,
                default="prometheus_remote_write", option="exporter",
            ),
            FieldSpec("auth_type", "Auth type", required=True, choices=AUTH_TYPES, default="none"),
            FieldSpec(
                "username", "Username",
                used_when=UsedWhen("auth_type", ("basic",), required_for=("basic",),
                                   required_message="Basic auth needs a username."),
            ),
            FieldSpec(
                "password", "Password or token", secret=True, used_when=UsedWhen("auth_type", ("basic", "bearer")),
                help_text="The password (basic auth) or the token (bearer auth).",
            ),
            FieldSpec("headers", "Extra HTTP headers", type="json_object", secret=True,
                      key_value_labels=("Header", "Value")),
            FieldSpec("labels", "Labels", type="json_object", key_value_labels=("Label", "Value")),
            FieldSpec("sigv4_region", "AWS region (SigV4)", used_when=UsedWhen("auth_type", ("sigv4",))),
            FieldSpec("sigv4_role_arn", "Assume-role ARN (SigV4)", used_when=UsedWhen("auth_type", ("sigv4",))),
            FieldSpec("sigv4_sts_region", "STS region (SigV4)", used_when=UsedWhen("auth_type", ("sigv4",))),
        ),
        slug="metrics-exports", menu_label="Metrics Exports", noun="metrics export", key_label="Name",
        aliases=("metric", "metrics_export"), summary_fields=("exporter_type", "endpoint", "auth_type"),
    ),
}

def defaults(kind: Kind) -> dict:
    """Return the values a new object of `kind` starts with (a metrics export's exporter and auth type)."""
    return KIND_SPECS[kind].defaults


def parse_kind(value: str) -> Kind:
    """Return the Kind named by `value` (its value or one of its aliases, as the CLI accepts)."""
    name = value.strip().lower()
    for kind, spec in KIND_SPECS.items():
        if name == kind.value or name in spec.aliases:
            return kind
    raise ValidationError(f"Unknown type '{value}'. Use one of: {', '.join(Kind.values)}.")


def key_error(kind: Kind, key: str) -> str | None:
    """Return why `key` is not a valid key for `kind` (naming the rule), or None when it is.

    Keys are checked, never altered: a key with a space around it is an error, not trimmed.
    """
    return KIND_SPECS[kind].key_rule.error(key)


def validate_key(kind: Kind, key: str) -> None:
    if error := key_error(kind, key):
        raise ValidationError({"key": error})


def value_notices(kind: Kind, values: dict) -> list[str]:
    """Return a whitespace notice for each given field of `kind` whose text starts or ends with whitespace.

    Names fields only, never values, so it is safe for secrets too.
    """
    spec = KIND_SPECS[kind]
    return [
        notice for name, value in values.items()
        if name in spec.field_names and (notice := whitespace_notice(value, label=spec.field(name).label))
    ]


def _json_object(spec: FieldSpec, value):
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError({spec.name: f"{spec.label} is not valid JSON: {exc.msg}."}) from None
    if not isinstance(value, dict):
        raise ValidationError({spec.name: f"{spec.label} must be a JSON object, like {{\"key\": \"value\"}}."})
    return value


JSON_HELP = 'A JSON object, like {"key": "value"}.'


def whole_number_error(spec: FieldSpec) -> str:
    return f"{spec.label} must be a whole number."


def bounds_error(spec: FieldSpec) -> str:
    return f"{spec.label} must be between {spec.min_value} and {spec.max_value}."


def clean_field_value(spec: FieldSpec, value):
    """Return `value` as stored, or raise ValidationError naming the field. Text is never altered.

    None and "" both mean "no value" and are stored as None, except where the field is required.
    Whitespace is a value: "  " is stored as "  ".
    """
    if is_empty(value):
        if spec.required:
            raise ValidationError({spec.name: f"{spec.label} is required."})
        return None
    if spec.type == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError({spec.name: whole_number_error(spec)}) from None
        too_small = spec.min_value is not None and number < spec.min_value
        if too_small or (spec.max_value is not None and number > spec.max_value):
            raise ValidationError({spec.name: bounds_error(spec)})
        return number
    if spec.type == "json_object":
        return _json_object(spec, value)
    if spec.type == "json_text":
        # Airflow stores `extra` as text; keep that text (key order, spacing, escapes) exactly.
        _json_object(spec, value)
        return value if isinstance(value, str) else json.dumps(value)
    if spec.type == "url":
        value = str(value)
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError({spec.name: f"{spec.label} must be an http:// or https:// URL."})
        return value
    value = str(value)
    if spec.choices and value not in spec.choices:
        raise ValidationError({spec.name: f"{spec.label} must be one of: {', '.join(spec.choices)}."})
    return value


def clean_fields(kind: Kind, fields: dict) -> dict:
    """Validate every given field of `kind`; collect all errors before raising."""
    spec = KIND_SPECS[kind]
    cleaned, errors = {}, {}
    for name, value in fields.items():
        try:
            cleaned[name] = clean_field_value(spec.field(name), value)
            if unstorable_text(cleaned[name]):
                raise ValidationError({name: f"{spec.field(name).label} contains a NUL character or an invalid "
                                             "Unicode character (a lone surrogate), which cannot be stored."})
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def check_required(kind: Kind, values: dict) -> None:
    """Raise if a required field of `kind` has no value in the complete `values`."""
    missing = {
        f.name: f"{f.label} is required." for f in KIND_SPECS[kind].fields if f.required and is_empty(values.get(f.name))
    }
    if missing:
        raise ValidationError(missing)


def check_consistency(kind: Kind, values: dict) -> None:
    """Raise for combinations of fields that make no sense together (`FieldSpec.used_when`, SigV4's role)."""
    spec = KIND_SPECS[kind]
    values = spec.with_defaults(values)
    errors = {f.name: error for f in spec.fields if (error := f.missing_error(values))}
    if kind == Kind.METRICS and values.get("auth_type") == "sigv4":
        errors.update(_sigv4_errors(values))
    if errors:
        raise ValidationError(errors)


def _sigv4_errors(values: dict) -> dict:
    role_arn = values.get("sigv4_role_arn") or ""
    if role_arn and not role_arn.startswith("arn:"):
        return {"sigv4_role_arn": "An IAM role ARN starts with 'arn:' (arn:aws:iam::<account>:role/<name>)."}
    if values.get("sigv4_sts_region") and not role_arn:
        return {"sigv4_sts_region": "The STS region is used to assume a role: give the role ARN too."}
    return {}


def unused_fields(kind: Kind, values: dict) -> set[str]:
    """Return fields the other values make meaningless: credentials a metrics export's auth type does not use.

    Services drop them on save, so a switch to auth type "none" leaves no forgotten password behind.
    """
    spec = KIND_SPECS[kind]
    values = spec.with_defaults(values)
    return {f.name for f in spec.fields if not f.is_used(values)}
