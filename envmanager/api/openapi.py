"""The OpenAPI 3.1 document of the read API, served at /api/v1/openapi.json.

Entry schemas are generated from `envmanager.kinds`, so a field added to a type appears here
without a second list to keep in step. Tests validate real responses against this document.
"""

from functools import lru_cache

from envmanager.kinds import KIND_SPECS, Kind
from envmanager.selectors.environment import Source
from envmanager.selectors.revalidation import KIND_PARAMETER_NAMES
from envmanager.services.readers import READER_HEADER, READER_SHAPE

API_VERSION = "1.1.0"
_KINDS = "|".join(KIND_PARAMETER_NAMES)

FIELD_VALUE_TYPES = {
    "str": {"type": ["string", "null"]},
    "url": {"type": ["string", "null"], "format": "uri"},
    "int": {"type": ["integer", "null"]},
    "json_object": {"type": ["object", "null"]},
    # A connection's `extra`: the JSON object exactly as text, as Airflow stores it.
    "json_text": {"type": ["string", "null"], "contentMediaType": "application/json"},
    "json_or_text": {"type": ["string", "null"]},
}
_SOURCES = [Source.DEPLOYMENT, Source.WORKSPACE, Source.OVERRIDE]
_SCHEMA_NAMES = {
    Kind.CONNECTION: "ConnectionEntry",
    Kind.VARIABLE: "VariableEntry",
    Kind.ENV: "EnvEntry",
    Kind.METRICS: "MetricsEntry",
}


def schema_ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _field_schema(value_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["value", "secret", "is_set", "source"],
        "additionalProperties": False,
        "properties": {
            "value": {**value_schema, "description": "The value; a secret's value in clear (the token may read it)."},
            "secret": {"type": "boolean", "description": "Whether the field is a secret (masked everywhere else)."},
            "is_set": {"type": "boolean"},
            "source": {"enum": _SOURCES, "description": "Where this field's value comes from."},
        },
    }


def _entry_schema(kind: Kind) -> dict:
    spec = KIND_SPECS[kind]
    return {
        "type": "object",
        "description": f"One effective {kind.label.lower()}.",
        "required": ["type", "key", "source", "is_secret", "fields"],
        "additionalProperties": False,
        "properties": {
            "type": {"const": kind.value},
            "key": {"type": "string", "minLength": 1},
            "source": {
                "enum": _SOURCES,
                "description": "deployment: the Deployment's own object; workspace: a linked Workspace object; "
                "override: a linked Workspace object with Deployment-level overrides.",
            },
            "is_secret": {"type": "boolean", "description": "The object's secret flag (variables and env vars)."},
            "fields": {
                "type": "object",
                "required": list(spec.field_names),
                "additionalProperties": False,
                "properties": {f.name: _field_schema(FIELD_VALUE_TYPES[f.type]) for f in spec.fields},
            },
        },
    }


def error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema_ref("Error")}}}


UNAUTHORIZED = {
    **error_response("Missing, invalid or revoked token."),
    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
}


def _lookup_path(kind: Kind, parameter: str, summary: str) -> dict:
    rule = KIND_SPECS[kind].key_rule
    return {
        "get": {
            "operationId": f"get_{kind.value}",
            "summary": summary,
            "tags": ["environment"],
            "parameters": [
                {
                    "name": parameter, "in": "path", "required": True,
                    "description": (
                        f"The {rule.noun}, URL-encoded as UTF-8 (every character but A-Z a-z 0-9 _ . - ~ "
                        f"percent-encoded, '/' as %2F). {rule.description}."
                    ),
                    "schema": {
                        "type": "string", "minLength": 1, "maxLength": rule.max_length,
                        "pattern": rule.json_schema_pattern,
                    },
                }
            ],
            "responses": {
                "200": {
                    "description": f"The effective {kind.label.lower()}, secrets in clear.",
                    "content": {"application/json": {"schema": schema_ref(_SCHEMA_NAMES[kind])}},
                },
                "401": UNAUTHORIZED,
                "404": error_response(f"The token's target has no {kind.label.lower()} with this key."),
            },
        }
    }


@lru_cache(maxsize=1)
def openapi_document() -> dict:
    """Return the OpenAPI document (built once per process)."""
    schemas = {_SCHEMA_NAMES[kind]: _entry_schema(kind) for kind in Kind}
    schemas["Entry"] = {"oneOf": [schema_ref(_SCHEMA_NAMES[kind]) for kind in Kind]}
    schemas["Target"] = {
        "type": "object",
        "required": ["type", "name", "workspace"],
        "additionalProperties": False,
        "properties": {
            "type": {"enum": ["deployment", "ide_project"]},
            "name": {"type": "string"},
            "workspace": {"type": "string"},
        },
    }
    schemas["Environment"] = {
        "type": "object",
        "required": ["target", "entries", "airflow_metrics_settings"],
        "additionalProperties": False,
        "properties": {
            "target": schema_ref("Target"),
            "entries": {"type": "array", "items": schema_ref("Entry"), "description": "Ordered by type, then key."},
            "airflow_metrics_settings": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": (
                    "When the returned entries include metrics exports: the environment variables "
                    "(AIRFLOW__METRICS__OTEL_*) that point Airflow at the OpenTelemetry Collector the "
                    "otel-collector export configures, on its default address; otherwise empty."
                ),
            },
        },
    }
    schemas["Error"] = {
        "type": "object",
        "required": ["message", "extra"],
        "additionalProperties": False,
        "properties": {"message": {"type": "string"}, "extra": {"type": "object"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "envmanager read API",
            "version": API_VERSION,
            "description": (
                "Read the effective environment (Airflow connections, Airflow variables, environment "
                "variables, metrics exports) of the Deployment or IDE project an API token belongs to. "
                "Authenticate with `Authorization: Bearer <token>`. Responses hold secrets in clear and "
                "are sent with `Cache-Control: no-store`."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/environment": {
                "get": {
                    "operationId": "get_environment",
                    "summary": "The whole effective environment, every type, with each value's source.",
                    "tags": ["environment"],
                    "parameters": [
                        {
                            "name": "If-None-Match", "in": "header", "required": False,
                            "schema": {"type": "string"},
                            "description": "The ETag of a previous response; 304 when nothing changed.",
                        },
                        {
                            "name": "kinds", "in": "query", "required": False,
                            "schema": {"type": "string", "pattern": f"^({_KINDS})(,({_KINDS}))*$"},
                            "description": (
                                "A comma-separated subset of connections, variables, env, metrics; every "
                                "type when absent. The ETag differs per subset."
                            ),
                        },
                        {
                            "name": READER_HEADER, "in": "header", "required": False,
                            "schema": {"type": "string", "pattern": f"^{READER_SHAPE.pattern}$", "maxLength": 200},
                            "description": (
                                "Names the reading process (<host>:<pid>:<random>). envmanager records the "
                                "version each reader holds, so Migrate from Airflow deletes a source row only "
                                "once every recent reader fetched the copy."
                            ),
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The effective environment.",
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                            "content": {"application/json": {"schema": schema_ref("Environment")}},
                        },
                        "304": {
                            "description": "Unchanged since the ETag given in If-None-Match.",
                            "headers": {"ETag": {"schema": {"type": "string"}}},
                        },
                        "400": error_response(f"Unknown type in 'kinds', or a malformed {READER_HEADER} header."),
                        "401": UNAUTHORIZED,
                    },
                }
            },
            "/connections/{conn_id}": _lookup_path(
                Kind.CONNECTION, "conn_id", "One Airflow connection by connection id."
            ),
            "/variables/{key}": _lookup_path(Kind.VARIABLE, "key", "One Airflow variable by key."),
            "/env/{name}": _lookup_path(Kind.ENV, "name", "One environment variable by name."),
            "/metrics/{key}": _lookup_path(Kind.METRICS, "key", "One metrics export by name."),
            "/openapi.json": {
                "get": {
                    "operationId": "get_openapi",
                    "summary": "This document.",
                    "tags": ["meta"],
                    "security": [],
                    "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer",
                    "description": "An API token of one Deployment or IDE project (starts with 'emt_').",
                }
            },
            "schemas": schemas,
        },
    }
