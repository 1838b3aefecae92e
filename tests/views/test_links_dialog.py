"""The links dialog's one Save: links, link-to-all and exclusions applied together, and the override question."""

import json

import pytest

from envmanager.models import AuditEntry, Link
from envmanager.selectors.environment import effective_entry
from envmanager.services import links as link_services
from tests.views.conftest import htmx_headers, sign_in, url


def links_url(workspace, obj):
    return url("env-object-links", workspace.pk, obj.pk)


def post_dialog(client, address, data):
    return client.post(address, data, headers=htmx_headers(address))


def test_choosing_all_shows_the_exclusions_in_the_same_form(client, operator, workspace, dev, prod, conn):
    sign_in(client, operator)
    address = links_url(workspace, conn)
    html = client.get(address, headers=htmx_headers(address)).content.decode()
    # Hidden until "All Deployments" is chosen, but already there: no save-and-reopen.
    assert "data-all-deployments hidden" in html
    assert f'name="excluded" value="{dev.pk}">' in html and f'name="excluded" value="{prod.pk}">' in html
    assert "env-object-exclude" not in html  # nothing in the dialog applies on its own


def test_link_to_all_with_an_exclusion_and_an_ide_unlink_in_one_save(client, operator, workspace, dev, prod, ide, conn):
    link_services.link_create(env_object=conn, actor=None, target=ide)
    sign_in(client, operator)
    address = links_url(workspace, conn)
    response = post_dialog(client, address, {"mode": "all", "excluded": [prod.pk]})
    html = response.content.decode()
    assert json.loads(response["HX-Trigger"]) == {"env-changed": {}}
    assert html.lstrip().startswith("<form") and "Saved the links" in html
    assert f'name="excluded" value="{prod.pk}" checked' in html and "data-all-deployments hidden" not in html
    conn.refresh_from_db()
    assert conn.linked_to_all
    assert effective_entry(deployment=prod, kind="connection", key="warehouse") is None
    assert effective_entry(deployment=dev, kind="connection", key="warehouse") is not None
    assert not Link.objects.filter(env_object=conn, ide_project=ide).exists()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"env_object.link_all", "link.exclude", "link.delete"} <= actions, actions


def test_saving_again_includes_a_deployment_and_excludes_another(client, operator, workspace, dev, prod, conn):
    sign_in(client, operator)
    address = links_url(workspace, conn)
    post_dialog(client, address, {"mode": "all", "excluded": [prod.pk]})
    post_dialog(client, address, {"mode": "all", "excluded": [dev.pk]})
    assert list(Link.objects.filter(env_object=conn, excluded=True).values_list("deployment__name", flat=True)) == [
        "dev"
    ]


def test_a_refused_part_changes_nothing_at_all(client, operator, workspace, dev, prod, ide, other_workspace, conn):
    """An exclusion that cannot apply rolls back the link-to-all and the IDE link of the same Save."""
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_set_override(env_object=conn, actor=None, target=dev, fields={"host": "dev.db"})
    sign_in(client, operator)
    before = AuditEntry.objects.count()
    response = post_dialog(client, links_url(workspace, conn), {"mode": "all", "excluded": [dev.pk], "ide_projects": [ide.pk]})
    assert "HX-Trigger" not in response  # asked, not saved
    conn.refresh_from_db()
    assert not conn.linked_to_all
    assert not Link.objects.filter(env_object=conn, ide_project=ide).exists()
    assert Link.objects.get(env_object=conn, deployment=dev).override_data == {"host": "dev.db"}
    assert AuditEntry.objects.count() == before


def test_excluding_a_deployment_with_an_override_asks_then_drops_it(client, operator, workspace, dev, prod, conn):
    conn.linked_to_all = True
    conn.save()
    link_services.link_set_override(
        env_object=conn, actor=None, target=dev, fields={"host": "dev.db", "password": "dev-secret-pw"}
    )
    sign_in(client, operator)
    address = links_url(workspace, conn)
    html = post_dialog(client, address, {"mode": "all", "excluded": [dev.pk]}).content.decode()
    assert "Drop the overrides?" in html
    assert "<strong>dev</strong>: Host, Password (secret)" in html
    assert "dev-secret-pw" not in html and "dev.db" not in html
    assert f'name="excluded" value="{dev.pk}" checked' in html  # what was chosen is kept for the confirmation
    assert not Link.objects.get(env_object=conn, deployment=dev).excluded

    response = post_dialog(client, address, {"mode": "all", "excluded": [dev.pk], "drop_overrides": "true"})
    assert "env-changed" in response["HX-Trigger"]
    link = Link.objects.get(env_object=conn, deployment=dev)
    assert link.excluded and link.override_data == {} and link.override_secrets == {}
    entry = AuditEntry.objects.get(action="link.exclude")
    assert "dev-secret-pw" not in json.dumps(entry.changes)


def test_without_htmx_a_save_redirects_back(client, operator, workspace, dev, conn):
    sign_in(client, operator)
    response = client.post(links_url(workspace, conn), {"mode": "all", "excluded": [dev.pk]})
    assert response.status_code == 302
    assert Link.objects.get(env_object=conn, deployment=dev).excluded


@pytest.mark.parametrize("role", ["author", "member"])
def test_the_one_save_is_refused_without_permission(client, users, workspace, dev, conn, role):
    sign_in(client, users[role])
    assert client.post(links_url(workspace, conn), {"mode": "all", "excluded": [dev.pk]}).status_code == 403
    conn.refresh_from_db()
    assert not conn.linked_to_all and not Link.objects.exists()


def test_excluding_a_deployment_of_another_workspace_is_refused(client, operator, workspace, other_workspace, conn):
    foreign = other_workspace.deployments.create(name="theirs")
    sign_in(client, operator)
    html = post_dialog(client, links_url(workspace, conn), {"mode": "all", "excluded": [foreign.pk]}).content.decode()
    assert "Select a valid choice" in html
    conn.refresh_from_db()
    assert not conn.linked_to_all and not Link.objects.exists()
