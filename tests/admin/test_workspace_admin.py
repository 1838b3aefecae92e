"""Workspaces, Deployments and IDE projects in the admin."""

import json

import pytest
from cryptography.fernet import Fernet

from envmanager.models import (
    AuditEntry,
    Deployment,
    ExecutionMode,
    IdeProject,
    Workspace,
    WorkspaceRoleGroup,
)
from envmanager.services import workspaces as workspace_services
from tests.admin.conftest import MARKER, admin_url, change_form_data, form_errors
from tests.conftest import airflow_url
from tests.factories import (
    ConnectionFactory,
    IdeProjectFactory,
    MembershipFactory,
    UserFactory,
)


def _only_new_audit_entry(before_count: int) -> AuditEntry:
    assert AuditEntry.objects.count() == before_count + 1
    return AuditEntry.objects.order_by("-id").first()


def _shown_fields(response) -> list[str]:
    return [name for fieldset in response.context["adminform"] for line in fieldset for name in line.fields]


@pytest.mark.parametrize(("model", "add_fields"), [
    (Workspace, ["name", "description"]),
    (IdeProject, ["workspace", "name"]),
])
def test_create_only_pages_show_the_add_form_then_created_at(su_client, workspace, model, add_fields):
    obj = workspace if model is Workspace else IdeProjectFactory(workspace=workspace)

    assert _shown_fields(su_client.get(admin_url(model, "add"))) == add_fields
    assert _shown_fields(su_client.get(admin_url(obj, "change"))) == [*add_fields, "created_at"]


# Workspaces


def test_add_workspace_creates_its_role_groups(su_client, superuser):
    response = su_client.post(admin_url(Workspace, "add"), {"name": "Analytics", "description": "BI team"})

    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Analytics")
    assert workspace.description == "BI team"
    assert set(WorkspaceRoleGroup.objects.filter(workspace=workspace).values_list("role", flat=True)) == {
        "owner", "operator", "author", "member",
    }
    entry = AuditEntry.objects.get(action="workspace.create")
    assert (entry.actor, entry.workspace) == (superuser, workspace)


@pytest.mark.parametrize(("name", "message"), [
    ("Data Platform", "A Workspace named 'Data Platform' already exists."),
    ("   ", "This field is required."),
    ("x" * 101, "The Workspace name is longer than 100 characters."),
])
def test_add_workspace_with_bad_name_creates_nothing(su_client, workspace, name, message):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(Workspace, "add"), {"name": name})

    assert form_errors(response)["name"] == [message]
    assert Workspace.objects.count() == 1
    assert AuditEntry.objects.count() == audit_count


def test_workspace_is_read_only_after_creation(su_client, workspace):
    assert su_client.get(admin_url(workspace, "change")).status_code == 200  # view only

    assert su_client.post(admin_url(workspace, "change"), {"name": "Renamed"}).status_code == 403
    assert su_client.post(admin_url(workspace, "delete"), {"post": "yes"}).status_code == 403
    workspace.refresh_from_db()
    assert workspace.name == "Data Platform"


def test_workspace_list_counts_each_workspaces_rows(su_client, workspace, other_workspace, dev, prod, owner):
    ConnectionFactory.create_batch(3, workspace=workspace)
    IdeProjectFactory(workspace=workspace)
    MembershipFactory(workspace=workspace, user=UserFactory(username="second"), role="member")

    response = su_client.get(admin_url(Workspace))

    rows = {w.name: w for w in response.context["cl"].result_list}
    counts = lambda w: (w.deployment_count, w.ide_project_count, w.env_object_count, w.member_count)  # noqa: E731
    assert counts(rows["Data Platform"]) == (2, 1, 3, 2)
    assert counts(rows["Other Team"]) == (0, 0, 0, 0)


# Deployments


def test_add_deployment_with_write_only_secrets(su_client, superuser, workspace):
    fernet_key = Fernet.generate_key().decode()
    url = airflow_url(f"prod-{MARKER}")

    response = su_client.post(admin_url(Deployment, "add"), {
        "workspace": workspace.pk, "name": "prod", "execution_mode": "standard",
        "metadata_db_url": url, "fernet_keys": fernet_key,
    })

    assert response.status_code == 302
    deployment = Deployment.objects.get(name="prod")
    assert deployment.reveal_metadata_db_url() == url
    assert deployment.reveal_fernet_keys() == [fernet_key]
    entry = AuditEntry.objects.get(action="deployment.create")
    assert entry.actor == superuser
    assert entry.changes["after"]["metadata_db_url"] == "[secret: set]"
    assert MARKER not in json.dumps(entry.changes) and fernet_key not in json.dumps(entry.changes)
    # The Workspace's role groups got their permissions on the new Deployment.
    owner_group = WorkspaceRoleGroup.objects.get(workspace=workspace, role="owner").group
    assert owner_group.deploymentgroupobjectpermission_set.filter(content_object=deployment).exists()


@pytest.mark.parametrize(("post", "field", "message"), [
    ({"metadata_db_url": f"mysql://u:{MARKER}@h/db"}, "metadata_db_url", "must start with postgresql:// or sqlite://"),
    ({"fernet_keys": f"{MARKER}"}, "fernet_keys", "Fernet key #1 is not a valid Fernet key"),
    ({"name": "dev"}, "name", "already has a Deployment named 'dev'"),
])
def test_add_deployment_with_bad_input_creates_nothing(su_client, workspace, dev, post, field, message):
    count, audit_count = Deployment.objects.count(), AuditEntry.objects.count()

    response = su_client.post(admin_url(Deployment, "add"), {
        "workspace": workspace.pk, "name": "new", "execution_mode": "standard", **post,
    })

    assert any(message in error for error in form_errors(response)[field])
    assert (Deployment.objects.count(), AuditEntry.objects.count()) == (count, audit_count)
    assert MARKER not in response.content.decode()


@pytest.fixture
def staging(workspace):
    return workspace_services.deployment_create(
        workspace=workspace, name="staging", metadata_db_url=airflow_url(f"staging-{MARKER}"),
        fernet_keys=Fernet.generate_key().decode(),
    )


def _secrets(deployment):
    deployment.refresh_from_db()
    return deployment.metadata_db_url_encrypted, deployment.fernet_keys_encrypted


def test_deployment_change_keeps_secrets_left_empty(su_client, superuser, staging):
    before = _secrets(staging)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(staging, "change"),
        change_form_data(su_client, staging, name="staging-2", execution_mode=ExecutionMode.REMOTE),
    )

    assert response.status_code == 302
    assert _secrets(staging) == before
    assert (staging.name, staging.execution_mode) == ("staging-2", "remote_execution")
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor, entry.changes["secrets_written"]) == ("deployment.update", superuser, [])


def test_deployment_change_replaces_and_clears_secrets(su_client, staging):
    new_key = Fernet.generate_key().decode()

    su_client.post(admin_url(staging, "change"), change_form_data(su_client, staging, fernet_keys=new_key))

    staging.refresh_from_db()
    assert staging.reveal_fernet_keys() == [new_key]
    assert staging.reveal_metadata_db_url().startswith("sqlite:///")

    audit_count = AuditEntry.objects.count()
    su_client.post(admin_url(staging, "change"), change_form_data(su_client, staging, clear_metadata_db_url="on"))

    assert _secrets(staging)[0] == ""
    assert staging.reveal_fernet_keys() == [new_key]
    assert _only_new_audit_entry(audit_count).changes["secrets_written"] == ["metadata_db_url"]
    form = su_client.get(admin_url(staging, "change")).context["adminform"].form
    assert "clear_metadata_db_url" not in form.fields
    assert "currently not set" in form.fields["metadata_db_url"].help_text


def test_deployment_change_with_bad_secret_changes_nothing(su_client, staging):
    before = _secrets(staging)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(staging, "change"),
        change_form_data(su_client, staging, name="renamed", fernet_keys=f"{MARKER},also-bad"),
    )

    assert form_errors(response)["fernet_keys"] == [
        "Fernet key #1 is not a valid Fernet key (32 url-safe base64 bytes)."
    ]
    assert _secrets(staging) == before
    assert staging.name == "staging"
    assert AuditEntry.objects.count() == audit_count
    assert MARKER not in response.content.decode()


def test_deployment_cannot_be_deleted_from_the_admin(su_client, staging):
    assert su_client.post(admin_url(staging, "delete"), {"post": "yes"}).status_code == 403
    assert Deployment.objects.filter(pk=staging.pk).exists()


# IDE projects


def test_add_ide_project(su_client, superuser, workspace):
    response = su_client.post(admin_url(IdeProject, "add"), {"workspace": workspace.pk, "name": "laptop"})

    assert response.status_code == 302
    project = IdeProject.objects.get()
    assert (project.workspace, project.name) == (workspace, "laptop")
    assert AuditEntry.objects.get(action="ide_project.create").actor == superuser


def test_add_duplicate_ide_project_is_an_error(su_client, workspace):
    IdeProjectFactory(workspace=workspace, name="laptop")

    response = su_client.post(admin_url(IdeProject, "add"), {"workspace": workspace.pk, "name": "laptop"})

    assert form_errors(response)["name"] == ["Workspace 'Data Platform' already has an IDE project named 'laptop'."]
    assert IdeProject.objects.count() == 1
