"""A connection's Extra key by key: keys Airflow treats as sensitive stay write-only, the others are shown and
edited; unchanged rows keep the stored text exactly; an error keeps what was typed, never a secret."""

import json

import pytest

from envmanager.models import EnvObject
from tests.factories import ConnectionFactory
from tests.views.conftest import sign_in, url

STORED = '{"region_name":  "eu-west-1", "aws_secret_access_key": "SK-canary", "nested": {"password": "NP-canary"}, "timeout": 5}'


@pytest.fixture
def aws(workspace):
    return ConnectionFactory(workspace=workspace, key="aws", fields={"conn_type": "aws", "extra": STORED})


def _rows(*rows):
    keys, values, types, originals = zip(*rows, strict=True)
    return {"extra_rows_key": list(keys), "extra_rows_value": list(values), "extra_rows_type": list(types),
            "extra_rows_original": list(originals)}


STORED_ROWS = [
    ("region_name", "eu-west-1", "text", "region_name"), ("aws_secret_access_key", "", "text", "aws_secret_access_key"),
    ("nested", "", "json", "nested"), ("timeout", "5", "json", "timeout"), ("", "", "text", ""),
]


def _edit(client, workspace, obj, rows, **extra):
    return client.post(url("env-object-edit", workspace.pk, obj.pk), {"conn_type": "aws", **_rows(*rows), **extra})


def test_the_form_shows_plain_keys_and_hides_sensitive_ones(client, operator, workspace, aws):
    sign_in(client, operator)
    html = client.get(url("env-object-edit", workspace.pk, aws.pk)).content.decode()
    assert 'value="region_name"' in html and 'value="eu-west-1"' in html and 'value="5"' in html
    assert 'value="aws_secret_access_key"' in html and 'value="nested"' in html  # the keys, not their values
    assert "SK-canary" not in html and "NP-canary" not in html
    assert html.count('type="password" name="extra_rows_value"') == 2


def test_unchanged_rows_keep_the_stored_text_exactly(client, operator, workspace, aws):
    sign_in(client, operator)
    assert _edit(client, workspace, aws, STORED_ROWS).status_code == 302
    aws.refresh_from_db()
    assert aws.reveal("extra") == STORED


def test_editing_one_key_keeps_the_write_only_ones(client, operator, workspace, aws):
    sign_in(client, operator)
    rows = [("region_name", "  us-east-1 ", "text", "region_name"), *STORED_ROWS[1:3],
            ("timeout", "5", "text", "timeout"), ("verify", "false", "json", "")]
    assert _edit(client, workspace, aws, rows).status_code == 302
    aws.refresh_from_db()
    assert list(json.loads(aws.reveal("extra")).items()) == [
        ("region_name", "  us-east-1 "), ("aws_secret_access_key", "SK-canary"), ("nested", {"password": "NP-canary"}),
        ("timeout", "5"), ("verify", False),
    ]


def test_a_sensitive_value_is_replaced_and_a_key_removed(client, operator, workspace, aws):
    sign_in(client, operator)
    rows = [STORED_ROWS[0], ("aws_secret_access_key", "new-SK", "text", "aws_secret_access_key"),
            ("", "", "json", "nested"), STORED_ROWS[3]]
    _edit(client, workspace, aws, rows)
    aws.refresh_from_db()
    assert json.loads(aws.reveal("extra")) == {"region_name": "eu-west-1", "aws_secret_access_key": "new-SK", "timeout": 5}


def test_an_error_keeps_what_was_typed_but_never_a_secret(client, operator, workspace, aws):
    sign_in(client, operator)
    rows = [("region_name", "typed-region", "text", "region_name"), ("api_token", "typed-TOKEN-canary", "text", ""),
            ("retries", "{not json", "json", ""), ("", "orphan", "text", "")]
    response = _edit(client, workspace, aws, rows)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Extra key &#x27;retries&#x27;: not valid JSON" in html and "Extra row 4 has a value but no key." in html
    assert 'value="typed-region"' in html and 'value="{not json"' in html and 'value="api_token"' in html
    assert "typed-TOKEN-canary" not in html and "SK-canary" not in html
    aws.refresh_from_db()
    assert aws.reveal("extra") == STORED


def test_rows_and_the_whole_text_together_are_refused(client, operator, workspace, aws):
    sign_in(client, operator)
    rows = [("region_name", "x", "text", "region_name"), *STORED_ROWS[1:]]
    html = _edit(client, workspace, aws, rows, extra='{"a": 1}').content.decode()
    assert "Either edit the Extra keys or paste the whole Extra, not both." in html


def test_create_with_rows(client, operator, workspace):
    sign_in(client, operator)
    data = {"key": "api", "conn_type": "http", **_rows(("endpoint", "/v1", "text", ""), ("token", "t0k", "text", ""))}
    assert client.post(url("env-object-create", workspace.pk, "connections"), data).status_code == 302
    assert json.loads(EnvObject.objects.get(key="api").reveal("extra")) == {"endpoint": "/v1", "token": "t0k"}
