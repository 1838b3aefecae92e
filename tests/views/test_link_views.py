"""Linking objects to Deployments and IDE projects, exclusions, and per-Deployment overrides."""

import json
import re

import pytest

from envmanager.models import AuditEntry, Link
from envmanager.selectors.environment import effective_entry
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


def links_url(workspace, obj):
    return url("env-object-links", workspace.pk, obj.pk)


def test_links_dialog_shows_targets_and_current_links(client, operator, workspace, dev, prod, ide, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    address = links_url(workspace, conn)
    html = client.get(address, headers=htmx_headers(address)).content.decode()
    assert html.lstrip().startswith("<form")
    assert f'name="deployments" value="{dev.pk}" checked' in html
    assert f'name="deployments" value="{prod.pk}">' in html
    assert f'name="ide_projects" value="{ide.pk}">' in html
    assert re.search(r'<input type="radio" name="mode" value="selected"[^>]* checked>', html)
    assert not re.search(r'<input type="radio" name="mode" value="all"[^>]* checked>', html)


def test_link_to_selected_deployments_and_ide_projects_then_unlink(client, operator, workspace, dev, prod, ide, conn):
    sign_in(client, operator)
    response = client.post(
        links_url(workspace, conn), {"mode": "selected", "deployments": [dev.pk, prod.pk], "ide_projects": [ide.pk]}
    )
    assert response.status_code == 302
    assert set(Link.objects.filter(env_object=conn).values_list("deployment__name", "ide_project__name")) == {
        ("dev", None), ("prod", None), (None, "notebooks"),
    }
    client.post(links_url(workspace, conn), {"mode": "selected", "deployments": [prod.pk]})
    assert list(Link.objects.filter(env_object=conn).values_list("deployment__name", flat=True)) == ["prod"]
    assert AuditEntry.objects.filter(action="link.delete").count() == 2


def test_link_to_all_deployments_then_exclude_and_include_one(client, operator, workspace, dev, prod, conn):
    sign_in(client, operator)
    address = links_url(workspace, conn)
    response = client.post(address, {"mode": "all"}, headers=htmx_headers(address))
    assert "env-changed" in response["HX-Trigger"]
    conn.refresh_from_db()
    assert conn.linked_to_all

    # Exclusions are part of the one Save: the dialog comes back with the new state.
    response = client.post(address, {"mode": "all", "excluded": [prod.pk]}, headers=htmx_headers(address))
    html = response.content.decode()
    assert html.lstrip().startswith("<form")
    assert f'name="excluded" value="{prod.pk}" checked' in html
    assert "Saved the links" in html
    assert json.loads(response["HX-Trigger"]) == {"env-changed": {}}
    assert effective_entry(deployment=prod, kind="connection", key="warehouse") is None
    assert effective_entry(deployment=dev, kind="connection", key="warehouse") is not None

    client.post(url("env-object-include", workspace.pk, conn.pk, prod.pk))
    assert effective_entry(deployment=prod, kind="connection", key="warehouse") is not None


def test_exclude_from_the_deployment_tab(client, operator, workspace, dev):
    everywhere = ConnectionFactory(workspace=workspace, key="everywhere", linked_to_all=True)
    sign_in(client, operator)
    tab = url("deployment-environment", workspace.pk, dev.pk, "connections")
    html = client.get(tab).content.decode()
    exclude = url("env-object-exclude", workspace.pk, everywhere.pk, dev.pk)
    assert exclude in html
    response = client.post(exclude, {"next": tab}, headers=htmx_headers(tab))
    assert response.status_code == 200 and "env-changed" in response["HX-Trigger"]
    assert "everywhere" not in client.get(tab, headers=htmx_headers(tab)).content.decode()


def test_unlink_from_the_deployment_tab_without_htmx(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    tab = url("deployment-environment", workspace.pk, dev.pk, "connections")
    response = client.post(url("env-object-unlink", workspace.pk, conn.pk, dev.pk), {"next": tab})
    assert response["Location"] == tab
    assert not Link.objects.filter(env_object=conn).exists()
    assert "Unlinked connection" in client.get(tab).content.decode()


def test_refused_link_change_says_why_and_changes_nothing(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    before = AuditEntry.objects.count()
    tab = url("deployment-environment", workspace.pk, dev.pk, "connections")
    # Not linked to all: excluding makes no sense.
    response = client.post(url("env-object-exclude", workspace.pk, conn.pk, dev.pk), headers=htmx_headers(tab))
    assert response.status_code == 200
    assert "HX-Trigger" not in response
    assert "is not linked to all Deployments" in response.content.decode().replace("&#x27;", "'")
    assert AuditEntry.objects.count() == before
    assert Link.objects.get(env_object=conn).excluded is False


def test_links_of_a_deployment_object_are_404(client, operator, workspace, dev):
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="own")
    sign_in(client, operator)
    assert client.get(links_url(workspace, own)).status_code == 404
    assert client.get(url("deployment-override-edit", workspace.pk, dev.pk, own.pk)).status_code == 404


def test_ide_project_unlink(client, operator, workspace, ide, conn):
    link_services.link_create(env_object=conn, actor=None, target=ide)
    sign_in(client, operator)
    response = client.post(url("env-object-ide-project-unlink", workspace.pk, conn.pk, ide.pk))
    assert response.status_code == 302
    assert not Link.objects.filter(env_object=conn).exists()


def override_url(workspace, deployment, obj):
    return url("deployment-override-edit", workspace.pk, deployment.pk, obj.pk)


def test_override_form_shows_workspace_values_with_secrets_masked(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    html = client.get(override_url(workspace, dev, conn)).content.decode()
    assert "db.internal" in html  # the Workspace value of a plain field
    assert "hunter2-pw" not in html
    assert 'value="sslmode"' in html and 'value="require"' in html  # a non-sensitive Extra key, editable
    assert html.count("•••") == 2  # password and extra are set on the Workspace object
    assert "Override Password" in html


def test_override_password_in_one_deployment(client, operator, workspace, dev, prod, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_create(env_object=conn, actor=None, target=prod)
    sign_in(client, operator)
    address = override_url(workspace, dev, conn)
    response = client.post(address, {"override_password": "on", "password": "dev-pw"}, headers=htmx_headers(address))
    assert response.status_code == 200 and "env-changed" in response["HX-Trigger"]
    dev_entry = effective_entry(deployment=dev, kind="connection", key="warehouse")
    prod_entry = effective_entry(deployment=prod, kind="connection", key="warehouse")
    assert dev_entry.source_label == "Workspace + override"
    assert dev_entry.reveal()["password"] == "dev-pw" and dev_entry.reveal()["host"] == "db.internal"
    assert prod_entry.source_label == "Workspace object" and prod_entry.reveal()["password"] == "hunter2-pw"

    dev_tab = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).content.decode()
    assert "Workspace + override" in dev_tab
    prod_tab = client.get(url("deployment-environment", workspace.pk, prod.pk, "connections")).content.decode()
    assert "Workspace object" in prod_tab and "Workspace + override" not in prod_tab


def test_an_override_with_whitespace_around_it_is_kept_and_pointed_out(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    address = override_url(workspace, dev, conn)

    response = client.post(address, {"host": " dev-db ", "password": "pw\n"}, follow=True)

    link = Link.objects.get(env_object=conn, deployment=dev)
    assert (link.override_data["host"], link.reveal_override("password")) == (" dev-db ", "pw\n")
    shown = [str(message) for message in response.context["messages"]]
    assert "Host starts with a space and ends with a space; it is kept as is." in shown
    assert "Password ends with a line break; it is kept as is." in shown
    assert "This value starts with a space and ends with a space" in client.get(address).content.decode()


def test_typing_a_value_overrides_it_and_unticking_removes_it(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    address = override_url(workspace, dev, conn)
    client.post(address, {"host": "dev-db", "port": "6543"})
    link = Link.objects.get(env_object=conn, deployment=dev)
    assert link.override_data == {"host": "dev-db", "port": 6543}

    form = client.get(address).content.decode()
    assert 'value="dev-db"' in form  # an overridden plain value is shown for editing

    client.post(address, {"override_host": "on", "host": "dev-db-2"})  # port unticked and empty
    link.refresh_from_db()
    assert link.override_data == {"host": "dev-db-2"}


def test_override_with_a_ticked_but_empty_field_is_an_error(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    response = client.post(override_url(workspace, dev, conn), {"override_login": "on", "login": ""})
    assert response.status_code == 200
    assert "Enter the login for this Deployment" in response.content.decode()
    assert not Link.objects.get(env_object=conn, deployment=dev).has_override


def test_override_with_bad_json_is_an_error_and_changes_nothing(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, operator)
    address = override_url(workspace, dev, conn)
    response = client.post(address, {"extra": "{oops"}, headers=htmx_headers(address))
    assert response.status_code == 200
    assert "Extra is not valid JSON" in response.content.decode()
    assert not Link.objects.get(env_object=conn, deployment=dev).has_override


def test_an_empty_secret_keeps_its_override(client, operator, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_set_override(env_object=conn, actor=None, target=dev, fields={"password": "dev-pw"})
    sign_in(client, operator)
    client.post(override_url(workspace, dev, conn), {"override_password": "on", "password": "", "host": "h"})
    link = Link.objects.get(env_object=conn, deployment=dev)
    assert link.reveal_override("password") == "dev-pw" and link.override_data == {"host": "h"}


def test_override_of_an_unlinked_object_explains_it_must_be_linked(client, operator, workspace, dev, conn):
    sign_in(client, operator)
    response = client.post(override_url(workspace, dev, conn), {"host": "x"})
    assert response.status_code == 200
    assert "link it before overriding" in response.content.decode()
    assert not Link.objects.exists()


def test_override_through_link_to_all_and_remove_it(client, operator, workspace, dev):
    everywhere = VariableFactory(workspace=workspace, key="region", linked_to_all=True, fields={"value": "eu"})
    sign_in(client, operator)
    client.post(override_url(workspace, dev, everywhere), {"value": "us"})
    assert effective_entry(deployment=dev, kind="variable", key="region").fields["value"].value == "us"
    html = client.get(override_url(workspace, dev, everywhere)).content.decode()
    remove = url("deployment-override-remove", workspace.pk, dev.pk, everywhere.pk)
    assert remove in html and "Remove override" in html

    response = client.post(remove, headers=htmx_headers(remove))
    assert "env-changed" in response["HX-Trigger"]
    entry = effective_entry(deployment=dev, kind="variable", key="region")
    assert entry.fields["value"].value == "eu" and entry.source_label == "Workspace object"
    response = client.post(remove, headers=htmx_headers(remove))
    assert "has no override" in response.content.decode().replace("&#x27;", "'")


@pytest.mark.parametrize("role", ["author", "member"])
def test_link_and_override_changes_are_refused_for_roles_without_permission(client, users, workspace, dev, conn, role):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    sign_in(client, users[role])
    before = AuditEntry.objects.count()
    for address, data in [
        (links_url(workspace, conn), {"mode": "all"}),
        (url("env-object-exclude", workspace.pk, conn.pk, dev.pk), {}),
        (url("env-object-include", workspace.pk, conn.pk, dev.pk), {}),
        (url("env-object-unlink", workspace.pk, conn.pk, dev.pk), {}),
        (override_url(workspace, dev, conn), {"host": "evil"}),
        (url("deployment-override-remove", workspace.pk, dev.pk, conn.pk), {}),
    ]:
        assert client.post(address, data).status_code == 403, address
    assert AuditEntry.objects.count() == before
    conn.refresh_from_db()
    assert not conn.linked_to_all and Link.objects.get(env_object=conn).override_data == {}


def test_link_changes_by_an_outsider_are_404(client, outsider, workspace, dev, conn):
    sign_in(client, outsider)
    for address in (
        links_url(workspace, conn),
        url("env-object-unlink", workspace.pk, conn.pk, dev.pk),
        override_url(workspace, dev, conn),
    ):
        assert client.post(address, {"mode": "all"}).status_code == 404
    conn.refresh_from_db()
    assert not conn.linked_to_all


def test_links_to_a_deployment_of_another_workspace_are_refused(client, operator, workspace, other_workspace, conn):
    from tests.factories import DeploymentFactory

    foreign = DeploymentFactory(workspace=other_workspace, name="their-prod")
    sign_in(client, operator)
    response = client.post(links_url(workspace, conn), {"mode": "selected", "deployments": [foreign.pk]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "their-prod" not in response.content.decode()
    assert not Link.objects.exists()
