"""The override dialog edits a connection's Extra key by key: the HTML never holds a sensitive value, an edited
key overrides the Extra (the sensitive ones kept), unchanged rows keep the stored text exactly, and the
permissions are those of every override."""

import json

import pytest

from envmanager.models import AuditEntry, Link
from envmanager.selectors.environment import effective_entry, ide_project_effective_environment
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory
from tests.views.conftest import htmx_headers, sign_in, url

WORKSPACE_EXTRA = '{"region_name":  "eu-west-1", "aws_secret_access_key": "WS-SK-7f3a", "timeout": 5}'
OVERRIDE_EXTRA = '{"region_name": "us-east-1",   "aws_secret_access_key": "OV-SK-9c1d", "timeout": 7}'
SECRETS = ("WS-SK-7f3a", "OV-SK-9c1d", "hunter2")


@pytest.fixture
def aws(workspace, dev, ide):
    obj = ConnectionFactory(workspace=workspace, key="aws", fields={
        "conn_type": "aws", "password": "hunter2", "extra": WORKSPACE_EXTRA,
    })
    link_services.link_create(env_object=obj, actor=None, target=dev)
    link_services.link_create(env_object=obj, actor=None, target=ide)
    return obj


def _address(workspace, dev, obj):
    return url("deployment-override-edit", workspace.pk, dev.pk, obj.pk)


def _rows(*rows):
    keys, values, types, originals = zip(*rows, strict=True)
    return {"extra_rows_key": list(keys), "extra_rows_value": list(values), "extra_rows_type": list(types),
            "extra_rows_original": list(originals)}


def _extra(entry) -> str:
    return entry.reveal()["extra"]


def _assert_no_secret(html: str) -> None:
    assert not any(secret in html for secret in SECRETS), [secret for secret in SECRETS if secret in html]
    assert "gAAAAA" not in html  # no Fernet token either


@pytest.mark.parametrize("overridden", [False, True], ids=["workspace-extra", "overridden"])
def test_the_dialog_shows_plain_keys_and_never_a_sensitive_value(client, operator, workspace, dev, aws, overridden):
    if overridden:
        link_services.link_set_override(env_object=aws, actor=None, target=dev, fields={"extra": OVERRIDE_EXTRA})
    sign_in(client, operator)
    address = _address(workspace, dev, aws)
    for headers in ({}, htmx_headers(address)):
        html = client.get(address, headers=headers).content.decode()
        assert 'value="region_name"' in html and 'value="aws_secret_access_key"' in html
        assert ('value="us-east-1"' in html) is overridden and ('value="eu-west-1"' in html) is not overridden
        assert html.count('type="password" name="extra_rows_value"') == 1
        _assert_no_secret(html)


def test_editing_one_key_overrides_the_extra_with_the_workspace_secret_kept(client, operator, workspace, dev, prod, aws):
    sign_in(client, operator)
    address = _address(workspace, dev, aws)
    data = _rows(("region_name", "ap-south-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"), ("timeout", "5", "json", "timeout"),
                 ("", "", "text", ""))
    response = client.post(address, {"override_extra": "on", **data}, headers=htmx_headers(address))
    assert response.status_code == 200 and "env-changed" in response["HX-Trigger"]
    _assert_no_secret(response.content.decode())

    entry = effective_entry(deployment=dev, kind="connection", key="aws")
    assert entry.source_label == "Workspace + override"
    assert json.loads(_extra(entry)) == {"region_name": "ap-south-1", "aws_secret_access_key": "WS-SK-7f3a", "timeout": 5}
    assert entry.reveal()["password"] == "hunter2"  # other fields still the Workspace object's
    aws.refresh_from_db()
    assert aws.reveal("extra") == WORKSPACE_EXTRA  # the Workspace object is untouched
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.LINK_OVERRIDE).latest("pk")
    _assert_no_secret(json.dumps(entry.changes))


def test_unchanged_rows_keep_an_extra_override_byte_for_byte(client, operator, workspace, dev, aws):
    link = link_services.link_set_override(env_object=aws, actor=None, target=dev, fields={"extra": OVERRIDE_EXTRA})
    token = link.override_secrets["extra"]
    sign_in(client, operator)
    data = _rows(("region_name", "us-east-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"), ("timeout", "7", "json", "timeout"))
    response = client.post(_address(workspace, dev, aws), {"override_extra": "on", "host": "dev-host", **data})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.override_secrets["extra"] == token and link.reveal_override("extra") == OVERRIDE_EXTRA
    assert link.override_data == {"host": "dev-host"}


def test_unticking_override_removes_the_extra_override(client, operator, workspace, dev, aws):
    link_services.link_set_override(env_object=aws, actor=None, target=dev, fields={"extra": OVERRIDE_EXTRA})
    sign_in(client, operator)
    data = _rows(("region_name", "us-east-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"), ("timeout", "7", "json", "timeout"))
    assert client.post(_address(workspace, dev, aws), data).status_code == 302
    assert not Link.objects.get(env_object=aws, deployment=dev).has_override
    assert _extra(effective_entry(deployment=dev, kind="connection", key="aws")) == WORKSPACE_EXTRA


def test_an_error_keeps_what_was_typed_and_changes_nothing(client, operator, workspace, dev, aws):
    sign_in(client, operator)
    address = _address(workspace, dev, aws)
    data = _rows(("region_name", "typed-region", "text", "region_name"),
                 ("aws_secret_access_key", "typed-SK-5e2b", "text", "aws_secret_access_key"),
                 ("timeout", "{5", "json", "timeout"), ("timeout", "6", "json", ""))
    for headers in ({}, htmx_headers(address)):
        response = client.post(address, {"override_extra": "on", **data}, headers=headers)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Extra key &#x27;timeout&#x27;: not valid JSON" in html and "is given twice" in html
        assert 'value="typed-region"' in html and 'value="{5"' in html
        assert "typed-SK-5e2b" not in html
        _assert_no_secret(html)
    assert not Link.objects.get(env_object=aws, deployment=dev).has_override


def test_an_ide_project_override_edits_the_extra_key_by_key(client, operator, workspace, ide, aws):
    sign_in(client, operator)
    address = url("ide-project-override-edit", workspace.pk, ide.pk, aws.pk)
    _assert_no_secret(client.get(address).content.decode())
    data = _rows(("region_name", "eu-west-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"), ("timeout", "5", "text", "timeout"))
    assert client.post(address, data).status_code == 302
    (entry,) = ide_project_effective_environment(ide_project=ide, key="aws")
    assert list(json.loads(_extra(entry)).items()) == [
        ("region_name", "eu-west-1"), ("aws_secret_access_key", "WS-SK-7f3a"), ("timeout", "5"),
    ]


@pytest.mark.parametrize("role", ["author", "member", "outsider"])
def test_roles_without_the_permission_cannot_override_the_extra(client, users, workspace, dev, aws, role):
    sign_in(client, users[role])
    address = _address(workspace, dev, aws)
    data = _rows(("region_name", "evil", "text", "region_name"))
    expected = 404 if role == "outsider" else 403
    assert client.get(address).status_code == expected
    response = client.post(address, {"override_extra": "on", **data})
    assert response.status_code == expected
    _assert_no_secret(response.content.decode())
    assert not Link.objects.get(env_object=aws, deployment=dev).has_override


def test_an_object_linked_to_all_gets_its_extra_override_row(client, operator, workspace, dev):
    everywhere = ConnectionFactory(workspace=workspace, key="s3", linked_to_all=True,
                                   fields={"conn_type": "aws", "extra": WORKSPACE_EXTRA})
    assert not Link.objects.filter(env_object=everywhere).exists()
    sign_in(client, operator)
    address = _address(workspace, dev, everywhere)
    _assert_no_secret(client.get(address).content.decode())
    data = _rows(("region_name", "eu-west-1", "text", "region_name"),
                 ("aws_secret_access_key", "", "text", "aws_secret_access_key"), ("timeout", "6", "json", "timeout"))
    assert client.post(address, data).status_code == 302
    link = Link.objects.get(env_object=everywhere, deployment=dev)
    assert json.loads(link.reveal_override("extra")) == {
        "region_name": "eu-west-1", "aws_secret_access_key": "WS-SK-7f3a", "timeout": 6,
    }
