"""env_dump / env_apply and POST .../apply: the versioned document, the plan, all-or-nothing apply."""

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.selectors.env_objects import plaintext_values
from envmanager.services import declarative
from envmanager.services import links as link_services
from envmanager.services.personal_tokens import personal_token_create
from tests.api.manage.conftest import ManageClient, ws
from tests.commands.conftest import MARKER, db_state
from tests.factories import ConnectionFactory, EnvVarFactory, MetricsExportFactory, VariableFactory

pytestmark = pytest.mark.django_db
SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "gitops.schema.json").read_text())
NO_OP = "Plan: 0 to create, 0 to update, 0 to delete."


@pytest.fixture
def full(workspace, dev, prod, ide_project, warehouse):
    """Every type, both scopes, every link shape (linked, linked to all, excluded, IDE project) and overrides."""
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "  eu-west-1\n", "description": "é"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    link_services.link_create(env_object=region, actor=None, target=ide_project)
    link_services.link_set_override(env_object=region, actor=None, target=ide_project, fields={"value": "local"})
    link_services.link_exclude(env_object=warehouse, actor=None, target=prod)
    VariableFactory(workspace=workspace, deployment=dev, key="api_key", is_secret=True, fields={"value": MARKER})
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL", linked_to_all=True, fields={"value": "info"})
    EnvVarFactory(workspace=workspace, deployment=prod, key="ONLY_PROD", fields={"value": "yes"})
    MetricsExportFactory(workspace=workspace, key="prom", fields={
        "endpoint": "https://m.example.com/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "basic", "username": "u", "password": MARKER, "labels": {"team": "data"}})
    ConnectionFactory(workspace=workspace, deployment=dev, key="local", fields={"conn_type": "sqlite", "extra": '{"a": 1}'})
    return workspace


def _dump(run, tmp_path) -> Path:
    path = tmp_path / "workspace.yaml"
    run("env_dump", "--workspace", "Data Platform", "--output", str(path))
    return path


def _apply(run, path, *options):
    return run("env_apply", "--workspace", "Data Platform", "-f", str(path), *options)


def _edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))


def _object(document, kind, key, deployment=None) -> dict:
    return next(o for o in document["objects"] if (o["type"], o["key"], o.get("deployment")) == (kind, key, deployment))


def test_a_dump_holds_no_secret_and_matches_the_json_schema(run, full, tmp_path):
    text = _dump(run, tmp_path).read_text()
    document = yaml.safe_load(text)

    assert MARKER not in text and "wh-workspace-pw" not in text and "wh-dev-override" not in text
    assert not list(Draft202012Validator(SCHEMA).iter_errors(document))
    assert document["version"] == 1
    assert _object(document, "variable", "region")["fields"]["value"] == "  eu-west-1\n"  # exactly as stored
    assert {"deployment": "prod", "excluded": True} in _object(document, "connection", "warehouse")["links"]


def test_applying_a_fresh_dump_is_a_no_op(run, full, tmp_path):
    path = _dump(run, tmp_path)
    before = db_state()
    for options in ((), ("--prune", "--yes")):
        out = _apply(run, path, *options).out
        assert out.strip().splitlines() == [NO_OP]
    assert db_state() == before


def test_a_dump_of_one_workspace_recreates_it_in_another(run, full, tmp_path, other_workspace):
    from tests.factories import DeploymentFactory, IdeProjectFactory

    for name in ("dev", "prod"):
        DeploymentFactory(workspace=other_workspace, name=name)
    IdeProjectFactory(workspace=other_workspace, name="notebooks")
    path = _dump(run, tmp_path)
    _edit(path, lambda d: d.pop("workspace"))
    out = run("env_apply", "--workspace", "Other Team", "-f", str(path), "--yes").out
    assert "Plan: 7 to create, 0 to update, 0 to delete." in out
    assert run("env_apply", "--workspace", "Other Team", "-f", str(path)).out.strip() == NO_OP


def test_changes_are_planned_per_object_and_applied_with_audit_entries(run, full, tmp_path, monkeypatch):
    path = _dump(run, tmp_path)
    monkeypatch.setenv("NEW_PASSWORD", "from-env-pw")

    def change(document):
        _object(document, "connection", "warehouse")["fields"]["port"] = 6543
        _object(document, "connection", "warehouse")["fields"]["password"] = {"from_env": "NEW_PASSWORD"}
        document["objects"].append({"type": "env", "key": "NEW", "fields": {"value": "1"}, "links": [{"deployment": "dev"}]})

    _edit(path, change)
    entries = AuditEntry.objects.count()
    out = _apply(run, path).out

    assert "~ update airflow connection 'warehouse' (Workspace): fields port, password (secret)" in out
    assert "+ create environment variable 'NEW' (Workspace): fields value; link Deployment 'dev'" in out
    assert "Plan: 1 to create, 1 to update, 0 to delete." in out and "from-env-pw" not in out
    warehouse = EnvObject.objects.get(key="warehouse")
    assert plaintext_values(warehouse)["password"] == "from-env-pw" and warehouse.data["port"] == 6543
    assert Link.objects.filter(env_object__key="NEW", deployment__name="dev").exists()
    assert AuditEntry.objects.count() == entries + 3
    assert _apply(run, path).out.strip() == NO_OP  # the same secret again is no change


def test_from_file_reads_the_value_exactly(run, full, tmp_path):
    secret = tmp_path / "pw"
    secret.write_bytes(b"line one\r\nline two\n")
    path = _dump(run, tmp_path)
    _edit(path, lambda d: _object(d, "variable", "api_key", "dev")["fields"].update(value={"from_file": str(secret)}))
    _apply(run, path)
    assert plaintext_values(EnvObject.objects.get(key="api_key"))["value"] == "line one\r\nline two\n"


def test_without_prune_nothing_is_deleted_with_prune_it_is(run, full, tmp_path):
    path = _dump(run, tmp_path)

    def drop(document):
        document["objects"] = [o for o in document["objects"] if o["key"] not in ("ONLY_PROD", "prom")]
        _object(document, "variable", "region")["links"] = [{"deployment": "dev"}]

    _edit(path, drop)
    assert _apply(run, path).out.strip() == NO_OP
    assert EnvObject.objects.filter(key__in=["ONLY_PROD", "prom"]).count() == 2

    refused = pytest.raises(Exception, match="Refusing without confirmation")
    with refused:
        _apply(run, path, "--prune")
    out = _apply(run, path, "--prune", "--yes").out
    assert "- delete environment variable 'ONLY_PROD' (Deployment 'prod')" in out
    assert "unlink IDE project 'notebooks'" in out
    assert "Plan: 0 to create, 1 to update, 2 to delete." in out
    assert not EnvObject.objects.filter(key__in=["ONLY_PROD", "prom"]).exists()
    assert not Link.objects.filter(ide_project__isnull=False).exists()


def test_bad_items_are_reported_with_their_paths_and_nothing_is_applied(run, full, tmp_path):
    path = _dump(run, tmp_path)

    def spoil(document):
        document["objects"][0]["fields"]["port"] = "five"
        document["objects"][1]["colour"] = "red"
        document["objects"][2].setdefault("links", []).append({"deployment": "nowhere"})
        document["objects"][3]["fields"]["value"] = {"from_env": "ENVMANAGER_TEST_UNSET"}
        document["objects"].append({"type": "env", "key": "NEW", "fields": {"value": "1"}})

    _edit(path, spoil)
    before = db_state()
    with pytest.raises(Exception, match=r"4 error\(s\) in .*nothing was applied"):
        _apply(run, path)
    assert db_state() == before


def test_error_paths_are_exact(full):
    from envmanager.services.declarative_document import DocumentInvalid, operator_resolver, read_document

    document = {"version": 1, "objects": [
        {"type": "connection", "key": "c", "fields": {"conn_type": "x", "port": "five"}},
        {"type": "variable", "key": "v", "colour": 1},
        {"type": "variable", "key": "w", "links": [{"deployment": "nowhere"}]},
        {"type": "variable", "key": "x", "is_secret": True, "fields": {"value": {"from_env": "ENVMANAGER_TEST_UNSET"}}},
        {"type": "variable", "key": "y", "is_secret": True, "fields": {"value": "plain secret"}},
        {"type": "variable", "key": "bad key"},
    ]}
    with pytest.raises(DocumentInvalid) as failure:
        read_document(document, workspace=full, resolver=operator_resolver)
    paths = [error["path"] for error in failure.value.errors]
    assert paths == ["objects[0].fields.port", "objects[1].colour", "objects[2].links[0].deployment",
                     "objects[3].fields.value", "objects[4].fields.value", "objects[5].key"]
    assert "plain secret" not in str(failure.value.errors)


def test_apply_is_atomic_when_a_change_fails_halfway(run, full, tmp_path, monkeypatch):
    path = _dump(run, tmp_path)

    def change(document):
        _object(document, "connection", "warehouse")["fields"]["port"] = 1
        _object(document, "variable", "region")["fields"]["description"] = "second"
        document["objects"].append({"type": "env", "key": "NEW", "fields": {"value": "1"}})

    _edit(path, change)
    real = declarative.object_services.env_object_update
    calls = []

    def fail_second(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            from django.core.exceptions import ValidationError

            raise ValidationError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(declarative.object_services, "env_object_update", fail_second)
    before = db_state()
    with pytest.raises(Exception, match="nothing was applied"):
        _apply(run, path)
    assert len(calls) == 2 and db_state() == before


def test_dry_run_prints_the_plan_and_changes_nothing(run, full, tmp_path):
    path = _dump(run, tmp_path)
    _edit(path, lambda d: d["objects"].append({"type": "env", "key": "NEW", "fields": {"value": "1"}}))
    before = db_state()
    out = _apply(run, path, "--dry-run").out
    assert "Plan: 1 to create, 0 to update, 0 to delete." in out and "Dry run: nothing changed." in out
    assert db_state() == before


def _api(user) -> ManageClient:
    return ManageClient(personal_token_create(user=user, name=f"ci-{user.personal_tokens.count()}").plain)


def test_the_api_applies_the_same_document(owner, author, full):
    from envmanager.selectors.declarative import workspace_document

    document = workspace_document(workspace=full)
    document["objects"].append({"type": "env", "key": "NEW", "fields": {"value": "1"}})
    url = ws(full.name) + "/apply"
    dry = _api(owner).post(url, {"document": document, "dry_run": True}).json()
    assert dry["summary"] == "Plan: 1 to create, 0 to update, 0 to delete." and not dry["applied"]
    assert not EnvObject.objects.filter(key="NEW").exists()
    assert _api(author).post(url, {"document": document}).status_code == 403
    done = _api(owner).post(url, {"document": document}).json()
    assert done["applied"] and EnvObject.objects.filter(key="NEW").exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ENV_OBJECT_CREATE, target_label__contains="NEW")
    assert entry.changes["via"].startswith("personal access token")


@pytest.mark.parametrize("reference", [{"from_file": "/etc/passwd"}, {"from_env": "PATH"}])
def test_the_api_resolves_no_reference_on_the_server(owner, full, reference):
    document = {"version": 1, "objects": [
        {"type": "variable", "key": "leak", "is_secret": True, "fields": {"value": reference}}]}
    response = _api(owner).post(ws(full.name) + "/apply", {"document": document})
    assert response.status_code == 400
    assert response.json()["extra"]["errors"][0]["path"] == "objects[0].fields.value"
    assert not EnvObject.objects.filter(key="leak").exists()


def test_a_file_for_another_workspace_or_version_is_refused(run, full, tmp_path):
    path = _dump(run, tmp_path)
    text = path.read_text()
    with pytest.raises(Exception, match="nothing was applied"):
        run("env_apply", "--workspace", "Data Platform", "-f", "-", stdin=text.replace("version: 1", "version: 2"))
    _edit(path, lambda d: d.update(workspace="Other Team"))
    before = db_state()
    with pytest.raises(Exception, match="nothing was applied"):
        _apply(run, path)
    assert db_state() == before
    assert run("env_apply", "--workspace", "Data Platform", "-f", "-", stdin=text).out.strip() == NO_OP
