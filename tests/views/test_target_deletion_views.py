"""Delete Deployment / Delete IDE project: a confirmation that lists what goes and wants the name typed."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.models import (
    ApiToken,
    AuditEntry,
    Deployment,
    EnvObject,
    IdeProject,
    Link,
)
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from tests.commands.conftest import db_state
from tests.factories import VariableFactory
from tests.views.conftest import htmx_headers, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def planted(workspace, dev, prod, ide):
    shared = VariableFactory(workspace=workspace, key="shared_var")
    link_services.link_create(env_object=shared, actor=None, target=dev)
    link_services.link_set_override(env_object=shared, actor=None, target=dev, fields={"value": "dev"})
    link_services.link_create(env_object=shared, actor=None, target=prod)
    link_services.link_create(env_object=shared, actor=None, target=ide)
    VariableFactory(workspace=workspace, deployment=dev, key="dev_own_var")
    token_services.api_token_create(actor=None, name="dev-token", target=dev)
    token_services.api_token_create(actor=None, name="ide-token", target=ide)
    return shared


def _state():
    return {m.__name__: m.objects.count() for m in (Deployment, IdeProject, EnvObject, Link, ApiToken)}


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_the_dialog_lists_what_goes_and_the_typed_name_deletes(client, request, workspace, dev, planted, role):
    client.force_login(request.getfixturevalue(role))
    settings_page = client.get(url("deployment-settings", workspace.pk, dev.pk)).text
    assert url("deployment-delete", workspace.pk, dev.pk) in settings_page

    dialog = client.get(url("deployment-delete", workspace.pk, dev.pk), headers=htmx_headers())
    assert dialog.status_code == 200
    text = dialog.text
    assert "dev_own_var" in text and "shared_var" in text and "(with override)" in text and "dev-token" in text
    assert "<strong>1</strong> Deployment object" in text and "<strong>0</strong> migration runs" in text
    assert "<html" not in text  # the fragment only

    before = _state()
    response = client.post(url("deployment-delete", workspace.pk, dev.pk), {"confirm_name": "dev"}, headers=htmx_headers())

    assert response.status_code == 200 and response.headers["HX-Redirect"] == url("deployment-list", workspace.pk)
    after = _state()
    assert before["Deployment"] - after["Deployment"] == 1
    assert before["EnvObject"] - after["EnvObject"] == 1  # dev_own_var; shared_var stays
    assert before["Link"] - after["Link"] == 1 and before["ApiToken"] - after["ApiToken"] == 1
    assert EnvObject.objects.filter(key="shared_var").exists()
    listing = client.get(url("deployment-list", workspace.pk)).text
    assert "Deleted Deployment &#x27;dev&#x27;." in listing or "Deleted Deployment 'dev'." in listing


def test_without_htmx_a_delete_redirects_to_the_list(client, workspace, dev, owner, planted):
    client.force_login(owner)
    response = client.post(url("deployment-delete", workspace.pk, dev.pk), {"confirm_name": "dev"})
    assert response.status_code == 302 and response.url == url("deployment-list", workspace.pk)
    assert not Deployment.objects.filter(pk=dev.pk).exists()


@pytest.mark.parametrize("typed", ["", "de", "dev ", "DEV", "prod"])
def test_a_wrong_name_is_refused_and_nothing_changes(client, workspace, dev, owner, planted, typed):
    client.force_login(owner)
    before = db_state()
    response = client.post(url("deployment-delete", workspace.pk, dev.pk), {"confirm_name": typed}, headers=htmx_headers())
    assert response.status_code == 400
    assert "Type the Deployment&#x27;s name, dev, exactly; nothing was deleted." in response.text
    assert db_state() == before


@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_get_403_and_no_delete_button(client, request, workspace, dev, ide, planted, role):
    client.force_login(request.getfixturevalue(role))
    before = db_state()
    for name, target in (("deployment-delete", dev), ("ide-project-delete", ide)):
        assert client.get(url(name, workspace.pk, target.pk)).status_code == 403
        assert client.post(url(name, workspace.pk, target.pk), {"confirm_name": target.name}).status_code == 403
    assert url("ide-project-delete", workspace.pk, ide.pk) not in client.get(url("ide-project-detail", workspace.pk, ide.pk)).text
    assert db_state() == before


def test_other_workspaces_get_404(client, workspace, dev, ide, outsider, planted):
    client.force_login(outsider)
    before = db_state()
    for name, target in (("deployment-delete", dev), ("ide-project-delete", ide)):
        assert client.get(url(name, workspace.pk, target.pk)).status_code == 404
        assert client.post(url(name, workspace.pk, target.pk), {"confirm_name": target.name}).status_code == 404
    assert db_state() == before


def test_a_deployment_of_another_workspace_under_this_workspace_is_404(client, workspace, other_workspace, owner):
    from tests.factories import DeploymentFactory

    theirs = DeploymentFactory(workspace=other_workspace, name="theirs")
    client.force_login(owner)
    assert client.post(url("deployment-delete", workspace.pk, theirs.pk), {"confirm_name": "theirs"}).status_code == 404
    assert client.post(url("deployment-delete", workspace.pk, 2**63), {"confirm_name": "x"}).status_code == 404
    assert Deployment.objects.filter(pk=theirs.pk).exists()


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_ide_project_delete_with_typed_name(client, request, workspace, dev, ide, planted, role):
    client.force_login(request.getfixturevalue(role))
    detail = client.get(url("ide-project-detail", workspace.pk, ide.pk)).text
    assert url("ide-project-delete", workspace.pk, ide.pk) in detail
    dialog = client.get(url("ide-project-delete", workspace.pk, ide.pk), headers=htmx_headers()).text
    assert "shared_var" in dialog and "ide-token" in dialog and "migration run" not in dialog

    refused = client.post(url("ide-project-delete", workspace.pk, ide.pk), {"confirm_name": "nope"})
    assert refused.status_code == 400 and IdeProject.objects.filter(pk=ide.pk).exists()

    response = client.post(url("ide-project-delete", workspace.pk, ide.pk), {"confirm_name": "notebooks"})
    assert response.status_code == 302 and response.url == url("ide-project-list", workspace.pk)
    assert not IdeProject.objects.exists() and Link.objects.filter(deployment__isnull=False).count() == 2
    assert AuditEntry.objects.filter(action="ide_project.delete").count() == 1


def test_the_dialog_query_count_does_not_grow_with_what_goes(client, workspace, dev, owner, planted):
    client.force_login(owner)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("deployment-delete", workspace.pk, dev.pk), headers=htmx_headers()).status_code == 200
        return len(queries)

    first = count()
    for n in range(5):
        VariableFactory(workspace=workspace, deployment=dev, key=f"more_{n}")
        token_services.api_token_create(actor=None, name=f"more-{n}", target=dev)
        link_services.link_create(env_object=VariableFactory(workspace=workspace, key=f"ws_{n}"), actor=None, target=dev)
    assert count() == first


def test_refused_while_a_migration_runs(client, workspace, dev, owner, planted):
    from envmanager.services.migration import deployment_migration_lock

    client.force_login(owner)
    before = db_state()
    with deployment_migration_lock(dev) as locked:
        assert locked
        response = client.post(url("deployment-delete", workspace.pk, dev.pk), {"confirm_name": "dev"})
    assert response.status_code == 400 and "Migrate from Airflow run is in progress" in response.text
    assert db_state() == before
