"""The four types of environment object, their fields, and how each field is validated.

This is the one description of "what a connection / variable / environment variable / metrics
export is". Services, forms, the admin, commands and exports all read it; nothing else lists fields.
"""

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import models

from envmanager.word_characters import word_class


class Kind(models.TextChoices):
    CONNECTION = "connection", "Airflow connection"
    VARIABLE = "variable", "Airflow variable"
    ENV = "env", "Environment variable"
    METRICS = "metrics", "Metrics export"


KEY_MAX_LENGTH = 250  # the column; every rule below is at most this long


@dataclass(frozen=True)
class KeyRule:
    """What a key of one type may be, as one pattern that Python, SQLite and PostgreSQL read alike.

    `pattern` is anchored with `\\A`/`\\Z` (Python's `$` would also accept a final newline) and bounds
    the length, so the database CHECK constraint enforces the length on SQLite too.
    """

    noun: str  # "Airflow connection id"
    allowed: str  # the characters, in words
    source: str  # whose rule it is, for error messages
    # Bracket-expression bodies for the first character and the others; WORD stands for `\w`.
    first: str
    rest: str
    max_length: int = KEY_MAX_LENGTH

    def _pattern(self, start: str, end: str, *, json_schema: bool = False) -> str:
        first, rest = (part.replace(WORD, word_class(json_schema=json_schema)) for part in (self.first, self.rest))
        if first == rest:
            return rf"{start}[{rest}]{{1,{self.max_length}}}{end}"
        return rf"{start}[{first}][{rest}]{{0,{self.max_length - 1}}}{end}"

    @property
    def pattern(self) -> str:
        """The rule for Python's `re`, SQLite and PostgreSQL (the CHECK constraint)."""
        return self._pattern(r"\A", r"\Z")

    @property
    def json_schema_pattern(self) -> str:
        """The rule as an OpenAPI / JSON Schema (ECMA-262) pattern; Python's `re` reads it too."""
        return self._pattern("^", "$", json_schema=True)

    def character_pattern(self, *, first: bool) -> str:
        """Return the pattern of one character of a key, the first one or any other."""
        return rf"\A[{(self.first if first else self.rest).replace(WORD, word_class())}]\Z"

    @property
    def description(self) -> str:
        return f"{self.source}: {self.allowed}, 1 to {self.max_length} characters"

    def error(self, key: str) -> str | None:
        """Return why `key` breaks the rule (naming the first wrong character), or None."""
        if not key:
            return f"The {self.noun} must not be empty."
        if len(key) > self.max_length:
            return f"'{key[:40]}…' is {len(key)} characters long; {self.description}."
        if _matches(self.pattern, key):
            return None
        for position, character in enumerate(key):
            if not _matches(self.character_pattern(first=position == 0), character):
                where = "at the start" if position == 0 else f"at position {position + 1}"
                return (
                    f"'{key}' is not a valid {self.noun}: {describe_character(character)} {where} is not allowed. "
                    f"{self.description}."
                )
        return f"'{key}' is not a valid {self.noun}. {self.description}."  # pragma: no cover - the loop finds it


@cache
def _compiled(pattern: str) -> re.Pattern:
    return re.compile(pattern)


def _matches(pattern: str, text: str) -> bool:
    return _compiled(pattern).search(text) is not None


def describe_character(character: str) -> str:
    """Name a character for a message: "a space", "'#'", "U+200B (ZERO WIDTH SPACE)"."""
    names = {" ": "a space", "\t": "a tab", "\n": "a line break", "\r": "a carriage return"}
    if character in names:
        return names[character]
    if character.isprintable() and not character.isspace():
        return '"\'"' if character == "'" else f"'{character}'"
    return f"U+{ord(character):04X} ({unicodedata.name(character, 'unnamed character')})"


WORD = "{word}"  # placeholder in KeyRule classes for Python's Unicode `\w` (envmanager.word_characters)

# Airflow connection ids. Airflow 3.3: airflow/models/connection.py, RE_SANITIZE_CONN_ID =
# r"^[\w#!()\-.:/\\]{1,}$" (Python `re`, Unicode \w) and CONN_ID_MAX_LEN = 250, applied by
# `sanitize_conn_id` in `Connection.__init__`. Airflow 2.10: the same file and names, compiled with
# re2, whose \w is ASCII: Unicode connection ids are Airflow 3 only. (Airflow's CLI and REST API are
# stricter, KEY_REGEX and 200 characters, but a row made through the model may hold any of these.)
CONNECTION_ID_RULE = KeyRule(
    noun="Airflow connection id", allowed="letters, digits, '_' and # ! ( ) - . : / \\",
    source="Airflow's rule (RE_SANITIZE_CONN_ID)", first=WORD + r"#!().:/\\-", rest=WORD + r"#!().:/\\-",
)
# Airflow variable keys: Airflow's key rule, airflow/utils/helpers.py KEY_REGEX = r"^[\w.-]+$" with
# validate_key(max_length=250), the same in 2.10 and 3.3 (Python `re`, Unicode \w; 3.3 repeats it in
# airflow/sdk/definitions/_internal/node.py). Variable.set (airflow/models/variable.py) stores any key
# of the `key` column's String(ID_LEN), ID_LEN = 250, without a pattern; a variable whose key breaks
# KEY_REGEX stays in Airflow ("cannot be migrated", with this rule as the reason).
VARIABLE_KEY_RULE = KeyRule(
    noun="Airflow variable key", allowed="letters, digits, '_', '.' and '-'",
    source="Airflow's rule (KEY_REGEX)", first=WORD + ".-", rest=WORD + ".-",
)
# POSIX (IEEE Std 1003.1, 8.1 Environment Variable Names) portable names: what shells, Docker and
# Kubernetes accept alike.
ENV_NAME_RULE = KeyRule(
    noun="environment variable name", allowed="ASCII letters, digits and '_', not starting with a digit",
    source="POSIX environment variable names", first="A-Za-z_", rest="A-Za-z0-9_",
)
# envmanager's own names (not Airflow objects): they become OpenTelemetry Collector component names.
METRICS_NAME_RULE = KeyRule(
    noun="metrics export name", allowed="ASCII letters, digits, '_', '.' and '-'",
    source="envmanager's rule for metrics export names", first="A-Za-z0-9_.-", rest="A-Za-z0-9_.-",
)


def is_env_name(name: str) -> bool:
    """Return whether `name` can be an environment variable (exports, `AIRFLOW_CONN_<ID>`)."""
    return _matches(ENV_NAME_RULE.pattern, name)


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

AUTH_TYPES = ("none", "basic", "bearer", "sigv4")
# SigV4 (AWS, e.g. Amazon Managed Service for Prometheus): the collector's sigv4auth extension signs with
# the credentials of where it runs, optionally after assuming a role (STS in the given region).
SIGV4_FIELDS = ("sigv4_region", "sigv4_role_arn", "sigv4_sts_region")
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
    # str | int | url | json_or_text (a variable value: any text) | json_object (a dict, e.g. labels)
    # | json_text (a JSON object kept as the exact text given: a connection's extra, as Airflow stores it)
    type: str = "str"
    secret: bool = False
    # A field whose secrecy follows the object's "secret" flag (variable and environment values).
    secret_when_flagged: bool = False
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    key_rule: KeyRule
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
        CONNECTION_ID_RULE,
        (
            FieldSpec("conn_type", "Connection type", required=True),
            FieldSpec("description", "Description"),
            FieldSpec("host", "Host"),
            FieldSpec("schema", "Schema"),
            FieldSpec("login", "Login"),
            FieldSpec("password", "Password", secret=True),
            FieldSpec("port", "Port", type="int"),
            FieldSpec("extra", "Extra", type="json_text", secret=True),
        ),
    ),
    Kind.VARIABLE: KindSpec(
        Kind.VARIABLE,
        VARIABLE_KEY_RULE,
        (
            FieldSpec("value", "Value", type="json_or_text", secret_when_flagged=True),
            FieldSpec("description", "Description"),
        ),
        has_secret_flag=True,
    ),
    Kind.ENV: KindSpec(
        Kind.ENV,
        ENV_NAME_RULE,
        (FieldSpec("value", "Value", secret_when_flagged=True),),
        has_secret_flag=True,
    ),
    Kind.METRICS: KindSpec(
        Kind.METRICS,
        METRICS_NAME_RULE,
        (
            FieldSpec("endpoint", "Endpoint URL", type="url", required=True),
            FieldSpec("exporter_type", "Exporter type", required=True, choices=EXPORTER_TYPES),
            FieldSpec("auth_type", "Auth type", required=True, choices=AUTH_TYPES),
            FieldSpec("username", "Username"),
            FieldSpec("password", "Password or token", secret=True),
            FieldSpec("headers", "Extra HTTP headers", type="json_object", secret=True),
            FieldSpec("labels", "Labels", type="json_object"),
            FieldSpec("sigv4_region", "AWS region (SigV4)"),
            FieldSpec("sigv4_role_arn", "Assume-role ARN (SigV4)"),
            FieldSpec("sigv4_sts_region", "STS region (SigV4)"),
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
    """Return why `key` is not a valid key for `kind` (naming the rule), or None when it is.

    Keys are checked, never altered: a key with a space around it is an error, not trimmed.
    """
    return KIND_SPECS[kind].key_rule.error(key)


def validate_key(kind: Kind, key: str) -> None:
    if error := key_error(kind, key):
        raise ValidationError({"key": error})


def is_empty(value) -> bool:
    """Return whether `value` means "no value": None or "". Whitespace is a value and is kept."""
    return value is None or value == ""


def whitespace_notice(value, *, label: str = "This value") -> str | None:
    """Return a notice for text that starts or ends with whitespace, which is stored as is; else None.

    Forms and commands show it: a value is never trimmed, so a stray space must at least be visible.
    """
    if not isinstance(value, str) or not value:
        return None
    if value.isspace():
        return f"{label} is only whitespace ({describe_character(value[0])} …); it is kept as is."
    edges = []
    if value[0].isspace():
        edges.append(f"starts with {describe_character(value[0])}")
    if value[-1].isspace():
        edges.append(f"ends with {describe_character(value[-1])}")
    if not edges:
        return None
    return f"{label} {' and '.join(edges)}; it is kept as is."


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
            raise ValidationError({spec.name: f"{spec.label} must be a whole number."}) from None
        if not 0 <= number <= 65535 and spec.name == "port":
            raise ValidationError({spec.name: "Port must be between 0 and 65535."})
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
        f.name: f"{f.label} is required." for f in KIND_SPECS[kind].fields if f.required and is_empty(values.get(f.name))
    }
    if missing:
        raise ValidationError(missing)


def check_consistency(kind: Kind, values: dict) -> None:
    """Raise for combinations of fields that make no sense together."""
    if kind == Kind.METRICS:
        auth = values.get("auth_type") or "none"
        if auth == "basic" and not values.get("username"):
            raise ValidationError({"username": "Basic auth needs a username."})
        if auth == "sigv4":
            role_arn = values.get("sigv4_role_arn") or ""
            if role_arn and not role_arn.startswith("arn:"):
                raise ValidationError({"sigv4_role_arn": "An IAM role ARN starts with 'arn:' (arn:aws:iam::<account>:role/<name>)."})
            if values.get("sigv4_sts_region") and not role_arn:
                raise ValidationError({"sigv4_sts_region": "The STS region is used to assume a role: give the role ARN too."})


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
    if auth in ("none", "sigv4"):
        unused.add("password")
    if auth != "sigv4":
        unused.update(SIGV4_FIELDS)
    return unused
