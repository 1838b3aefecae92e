"""The four types of environment object, their fields, and how each field is validated.

This is the one description of "what a connection / variable / environment variable / metrics
export is". Services, forms, the admin, commands and exports all read it; nothing else lists fields.
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models


class Kind(models.TextChoices):
    CONNECTION = "connection", "Airflow connection"
    VARIABLE = "variable", "Airflow variable"
    ENV = "env", "Environment variable"
    METRICS = "metrics", "Metrics export"


# Airflow accepts `[\w.-]+` for variable keys and a little more for connection ids; envmanager keeps
# to the portable ASCII subset so a key means the same thing in Python, PostgreSQL and SQLite checks.
AIRFLOW_KEY_PATTERN = r"^[A-Za-z0-9_.-]+$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
KEY_MAX_LENGTH = 250

KEY_PATTERNS = {
    Kind.CONNECTION: AIRFLOW_KEY_PATTERN,
    Kind.VARIABLE: AIRFLOW_KEY_PATTERN,
    Kind.ENV: ENV_NAME_PATTERN,
    Kind.METRICS: AIRFLOW_KEY_PATTERN,
}

KIND_ALIASES = {
    "connection": Kind.CONNECTION,
    "connections": Kind.CONNECTION,
    "conn": Kind.CONNECTION,
    "variable": Kind.VARIABLE,
    "variables": Kind.VARIABLE,
    "var": Kind.VARIABLE,
    "env": Kind.ENV,
    "envs": Kind.ENV,
    "env_var": Kind.ENV,
    "metrics": Kind.METRICS,
    "metric": Kind.METRICS,
    "metrics_export": Kind.METRICS,
}

AUTH_TYPES = ("none", "basic", "bearer")
EXPORTER_TYPES = ("prometheus_remote_write", "otlp_http", "otlp_grpc", "datadog", "statsd")

# Common Airflow connection types offered in forms; any other type is accepted as free text.
COMMON_CONN_TYPES = (
    "aws", "azure_data_lake", "databricks", "email", "fs", "ftp", "generic", "google_cloud_platform",
    "http", "mssql", "mysql", "oracle", "postgres", "redis", "s3", "sftp", "slack", "snowflake",
    "sqlite", "ssh", "trino",
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str = "str"  # str | int | json_object | json_or_text | url
    secret: bool = False
    # A field whose secrecy follows the object's "secret" flag (variable and environment values).
    secret_when_flagged: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    fields: tuple[FieldSpec, ...]
    has_secret_flag: bool = False

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


KIND_SPECS: dict[Kind, KindSpec] = {
    Kind.CONNECTION: KindSpec(
        Kind.CONNECTION,
        (
            FieldSpec("conn_type", "Connection type", required=True),
            FieldSpec("description", "Description"),
            FieldSpec("host", "Host"),
            FieldSpec("schema", "Schema"),
            FieldSpec("login", "Login"),
            FieldSpec("password", "Password", secret=True),
            FieldSpec("port", "Port", type="int"),
            FieldSpec("extra", "Extra", type="json_object", secret=True),
        ),
    ),
    Kind.VARIABLE: KindSpec(
        Kind.VARIABLE,
        (
            FieldSpec("value", "Value", type="json_or_text", secret_when_flagged=True),
            FieldSpec("description", "Description"),
        ),
        has_secret_flag=True,
    ),
    Kind.ENV: KindSpec(
        Kind.ENV,
        (FieldSpec("value", "Value", secret_when_flagged=True),),
        has_secret_flag=True,
    ),
    Kind.METRICS: KindSpec(
        Kind.METRICS,
        (
            FieldSpec("endpoint", "Endpoint URL", type="url", required=True),
            FieldSpec("exporter_type", "Exporter type", required=True, choices=EXPORTER_TYPES),
            FieldSpec("auth_type", "Auth type", required=True, choices=AUTH_TYPES),
            FieldSpec("username", "Username"),
            FieldSpec("password", "Password or token", secret=True),
            FieldSpec("headers", "Extra HTTP headers", type="json_object", secret=True),
            FieldSpec("labels", "Labels", type="json_object"),
        ),
    ),
}

DEFAULTS = {Kind.METRICS: {"exporter_type": "prometheus_remote_write", "auth_type": "none"}}


def parse_kind(value: str) -> Kind:
    """Return the Kind named by `value` (singular or plural, as the CLI accepts)."""
    try:
        return KIND_ALIASES[value.strip().lower()]
    except KeyError:
        raise ValidationError(
            f"Unknown type '{value}'. Use one of: connection, variable, env, metrics."
        ) from None


def key_error(kind: Kind, key: str) -> str | None:
    """Return why `key` is not a valid key for `kind`, or None when it is."""
    if not key:
        return "The key must not be empty."
    if len(key) > KEY_MAX_LENGTH:
        return f"The key is longer than {KEY_MAX_LENGTH} characters."
    if not re.fullmatch(KEY_PATTERNS[kind], key):
        if kind == Kind.ENV:
            return (
                f"'{key}' is not a valid environment variable name: use letters, digits and "
                "underscores, not starting with a digit."
            )
        return f"'{key}' is not a valid key: use letters, digits, '_', '.' and '-'."
    return None


def validate_key(kind: Kind, key: str) -> None:
    if error := key_error(kind, key):
        raise ValidationError({"key": error})


def clean_field_value(spec: FieldSpec, value):
    """Return `value` normalised for storage, or raise ValidationError naming the field.

    None and "" both mean "no value" and are stored as None, except where the field is required.
    """
    if isinstance(value, str) and spec.type not in ("json_or_text",):
        value = value.strip()
    if value is None or value == "":
        if spec.required:
            raise ValidationError({spec.name: f"{spec.label} is required."})
        return None
    if spec.type == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValidationError({spec.name: f"{spec.label} must be a whole number."}) from None
        if not 0 <= number <= 65535 and spec.name == "port":
            raise ValidationError({spec.name: "Port must be between 0 and 65535."})
        return number
    if spec.type == "json_object":
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValidationError({spec.name: f"{spec.label} is not valid JSON: {exc.msg}."}) from None
        if not isinstance(value, dict):
            raise ValidationError({spec.name: f"{spec.label} must be a JSON object, like {{\"key\": \"value\"}}."})
        return value
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


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(value) -> bool:
    """Return whether `value` (text, or JSON of any depth) holds a NUL or a lone surrogate.

    Neither can be stored (PostgreSQL refuses NUL in text and JSON; lone surrogates are not UTF-8), so such a
    value is refused as it is given rather than failing in the database.
    """
    if isinstance(value, str):
        return bool(_UNSTORABLE.search(value))
    if isinstance(value, dict):
        return any(unstorable_text(key) or unstorable_text(item) for key, item in value.items())
    if isinstance(value, list):
        return any(unstorable_text(item) for item in value)
    return False


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
        f.name: f"{f.label} is required." for f in KIND_SPECS[kind].fields if f.required and values.get(f.name) in (None, "")
    }
    if missing:
        raise ValidationError(missing)


def check_consistency(kind: Kind, values: dict) -> None:
    """Raise for combinations of fields that make no sense together."""
    if kind == Kind.METRICS:
        auth = values.get("auth_type") or "none"
        if auth == "basic" and not values.get("username"):
            raise ValidationError({"username": "Basic auth needs a username."})


def unused_fields(kind: Kind, values: dict) -> set[str]:
    """Return fields the other values make meaningless: credentials a metrics export's auth type does not use.

    Services drop them on save, so a switch to auth type "none" leaves no forgotten password behind.
    """
    if kind != Kind.METRICS:
        return set()
    auth = values.get("auth_type") or "none"
    unused = set()
    if auth != "basic":
        unused.add("username")
    if auth == "none":
        unused.add("password")
    return unused
