"""Check a test-client response against the served OpenAPI document."""

import json

from jsonschema import Draft202012Validator

from envmanager.api.openapi import openapi_document


def assert_matches_openapi(response, path: str, method: str = "get", *, document: dict | None = None) -> None:
    """Fail unless `response` is a documented response of `method path`, with a body of the documented schema.

    `document`: the OpenAPI document to check against (the read API's by default).
    """
    document = document or openapi_document()
    operation = document["paths"][path][method]
    documented = operation["responses"]
    assert str(response.status_code) in documented, (
        f"{method.upper()} {path} answered {response.status_code}, which the OpenAPI document does not list"
    )
    spec = documented[str(response.status_code)]
    for header in spec.get("headers", {}):
        assert response.has_header(header), f"documented header {header} missing"
    content = spec.get("content")
    if not content:
        assert response.content == b""
        return
    media_type = response["Content-Type"].split(";")[0].strip()
    assert media_type in content
    schema = content[media_type].get("schema")
    if schema:
        validator = Draft202012Validator({**schema, "components": document["components"]})
        errors = sorted(validator.iter_errors(json.loads(response.content)), key=lambda e: list(e.path))
        assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
