"""Overriding a linked Workspace object's fields for one IDE project, from its Environment page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.models import AuditEntry, Link
from envmanager.selectors.environment import effective_entry, ide_project_effective_environment
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, IdeProjectFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url

SECRET = "ide-override-secret-4c8e"


def edit_url(workspace, ide_project, obj):
    return url("ide-project-override-edit", workspace.pk, ide_project.pk, obj.pk)


def remove_url(workspace, ide_project, obj):
    return url("ide-project-override-remove", workspace.pk, ide_project.pk, obj.pk)


def ide_page(workspace, ide_project, slug="connections"):
    return url("ide-project-environment", workspace.pk, ide_project.pk, slug)


def ide_entry(ide_project, key):
    (entry,) = ide_project_effective_environment(ide_project=ide_project, key=key)
    return entry


@pytest.fixture
def linked(conn, dev, ide):
    """`conn` given to the IDE project and to Deployment dev."""
    link_services.link_create(env_object=conn, actor=None, target=ide)
    link_services.link_create(env_object=conn, actor=None, target=dev)
    return conn


def test_paths_sit_under_the_ide_project():
    assert url("ide-project-override-edit", 1, 2, 3) == "/workspaces/1/ide-projects/2/objects/3/override/"
    assert url("ide-project-override-remove", 1, 2, 3) == "/workspaces/1/ide-projects/2/objects/3/override/remove/"


def test_operator_overrides_a_field_for_an_ide_project_only(client, operator, workspace, dev, ide, linked):
    sign_in(client, operator)
    page = client.get(ide_page(workspace, ide)).content.decode()
    assert edit_url(workspace, ide, linked) in page and "Override<span" in page

    address = edit_url(workspace, ide, linked)
    response = client.post(address, {"override_host": "on", "host": "ide-db.internal"}, headers=htmx_headers(address))
    assert response.status_code == 200 and "env-changed" in response["HX-Trigger"]
    assert "Saved the override of connection" in response.content.decode()

    entry = ide_entry(ide, "warehouse")
    assert entry.source_label == "Workspace + override"
    assert entry.fields["host"].value == "ide-db.internal" and entry.fields["host"].source == "override"
    assert entry.fields["login"].value == "etl" and entry.fields["login"].source == "workspace"
    dev_entry = effective_entry(deployment=dev, kind="connection", key="warehouse")
    assert dev_entry.source_label == "Workspace object" and dev_entry.fields["host"].value == "db.internal"
    assert Link.objects.get(env_object=linked, deployment=dev).override_data == {}

    page = client.get(ide_page(workspace, ide)).content.decode()
    assert "Workspace + override" in page and "ide-db.internal" in page
    assert "Edit override<span" in page
    dev_tab = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).content.decode()
    assert "ide-db.internal" not in dev_tab and "Workspace + override" not in dev_tab


def test_without_javascript_the_form_redirects_back_to_the_ide_project_page(client, owner, workspace, ide, linked):
    sign_in(client, owner)
    address = edit_url(workspace, ide, linked)
    page = client.get(address).content.decode()
    assert "Override connection <code>warehouse</code> in notebooks" in page
    assert url("ide-project-detail", workspace.pk, ide.pk) in page  # breadcrumb back to the IDE project
    response = client.post(address, {"port": "6543"})
    assert response.status_code == 302
    assert response["Location"] == url("ide-project-environment", workspace.pk, ide.pk, "connections")
    assert Link.objects.get(env_object=linked, ide_project=ide).override_data == {"port": 6543}


def test_remove_override(client, operator, workspace, dev, ide, linked):
    link_services.link_set_override(env_object=linked, actor=None, target=ide, fields={"host": "ide-db"})
    link_services.link_set_override(env_object=linked, actor=None, target=dev, fields={"host": "dev-db"})
    sign_in(client, operator)
    form = client.get(edit_url(workspace, ide, linked)).content.decode()
    remove = remove_url(workspace, ide, linked)
    assert remove in form and "Remove override" in form and 'value="ide-db"' in form

    response = client.post(remove, headers=htmx_headers(remove))
    assert "env-changed" in response["HX-Trigger"]
    entry = ide_entry(ide, "warehouse")
    assert entry.source_label == "Workspace object" and entry.fields["host"].value == "db.internal"
    assert Link.objects.filter(env_object=linked, ide_project=ide).exists()  # still linked
    assert effective_entry(deployment=dev, kind="connection", key="warehouse").fields["host"].value == "dev-db"
    assert "Workspace + override" not in client.get(ide_page(workspace, ide)).content.decode()

    response = client.post(remove, headers=htmx_headers(remove))
    assert "HX-Trigger" not in response
    assert "IDE project 'notebooks' has no override" in response.content.decode().replace("&#x27;", "'")


def test_a_secret_override_never_appears(client, owner, workspace, ide, linked):
    sign_in(client, owner)
    address = edit_url(workspace, ide, linked)
    for headers in ({}, htmx_headers(address)):
        body = client.post(address, {"override_password": "on", "password": SECRET}, headers=headers).content.decode()
        assert SECRET not in body
    link = Link.objects.get(env_object=linked, ide_project=ide)
    assert link.reveal_override("password") == SECRET and SECRET not in str(link.override_secrets)
    assert ide_entry(ide, "warehouse").reveal()["password"] == SECRET

    for page in (ide_page(workspace, ide), address, url("ide-project-detail", workspace.pk, ide.pk)):
        for headers in ({}, htmx_headers(page)):
            body = client.get(page, headers=headers).content.decode()
            assert SECRET not in body and "hunter2-pw" not in body and "gAAAAA" not in body, page
    form = client.get(address).content.decode()
    assert "Overridden. Leave empty to keep the override." in form
    assert form.count("•••") == 2  # the Workspace password and extra: shown as set, never as values

    # An empty secret keeps its override while other fields change.
    client.post(address, {"override_password": "on", "password": "", "host": "ide-db"})
    link.refresh_from_db()
    assert link.reveal_override("password") == SECRET and link.override_data == {"host": "ide-db"}
    assert not AuditEntry.objects.filter(changes__icontains=SECRET).exists()


@pytest.mark.parametrize("role", ["author", "member"])
def test_roles_without_envobjects_update_are_refused(client, users, workspace, ide, linked, role):
    link_services.link_set_override(env_object=linked, actor=None, target=ide, fields={"host": "ide-db"})
    sign_in(client, users[role])
    before = AuditEntry.objects.count()
    assert client.get(edit_url(workspace, ide, linked)).status_code == 403
    assert client.post(edit_url(workspace, ide, linked), {"host": "evil"}).status_code == 403
    assert client.post(remove_url(workspace, ide, linked)).status_code == 403
    assert AuditEntry.objects.count() == before
    assert Link.objects.get(env_object=linked, ide_project=ide).override_data == {"host": "ide-db"}


def test_authors_see_no_override_buttons(client, author, workspace, ide, linked):
    sign_in(client, author)
    page = client.get(ide_page(workspace, ide)).content.decode()
    assert "warehouse" in page
    assert edit_url(workspace, ide, linked) not in page and "Override<span" not in page


def test_other_workspaces_are_404(client, outsider, operator, workspace, other_workspace, ide, linked):
    sign_in(client, outsider)
    for address in (edit_url(workspace, ide, linked), remove_url(workspace, ide, linked)):
        assert client.post(address, {"host": "evil"}).status_code == 404
    assert client.get(edit_url(workspace, ide, linked)).status_code == 404

    foreign_ide = IdeProjectFactory(workspace=other_workspace, name="their-notebooks")
    foreign_conn = ConnectionFactory(workspace=other_workspace, key="theirs")
    sign_in(client, operator)
    assert client.get(edit_url(workspace, foreign_ide, linked)).status_code == 404
    assert client.post(edit_url(workspace, ide, foreign_conn), {"host": "evil"}).status_code == 404
    assert not Link.objects.filter(env_object=linked, ide_project=ide).first().has_override


def test_bad_input_shows_a_form_error_and_changes_nothing(client, operator, workspace, ide, linked):
    sign_in(client, operator)
    address = edit_url(workspace, ide, linked)
    before = AuditEntry.objects.count()
    response = client.post(address, {"override_login": "on", "login": ""}, headers=htmx_headers(address))
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "Enter the login for this IDE project" in response.content.decode()

    response = client.post(address, {"host": "ok", "extra": "{oops"}, headers=htmx_headers(address))
    assert response.status_code == 200
    assert "Extra is not valid JSON" in response.content.decode()

    response = client.post(address, {"host": ""})
    assert "Nothing to change" in response.content.decode()
    assert not Link.objects.get(env_object=linked, ide_project=ide).has_override
    assert AuditEntry.objects.count() == before


def test_an_object_not_linked_to_the_ide_project_cannot_be_overridden(client, operator, workspace, ide):
    # "All Deployments" does not reach IDE projects.
    everywhere = VariableFactory(workspace=workspace, key="region", linked_to_all=True, fields={"value": "eu"})
    sign_in(client, operator)
    response = client.post(edit_url(workspace, ide, everywhere), {"value": "us"})
    assert response.status_code == 200
    assert "link it before overriding" in response.content.decode()
    assert not Link.objects.filter(ide_project=ide).exists()


def _add_linked(workspace, ide, dev, start, stop):
    for n in range(start, stop):
        obj = ConnectionFactory(workspace=workspace, key=f"conn_{n:04d}", fields={
            "conn_type": "postgres", "host": f"h{n}", "password": f"pw{n}",
        })
        link_services.link_create(env_object=obj, actor=None, target=ide)
        if n % 3 == 0:
            link_services.link_set_override(env_object=obj, actor=None, target=ide, fields={"host": f"ide{n}"})
        if n % 4 == 0:
            link_services.link_create(env_object=obj, actor=None, target=dev)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-fragment"])
def test_ide_project_page_queries_do_not_grow_with_linked_objects(
    client, operator, workspace, dev, ide, django_assert_max_num_queries, htmx
):
    address = ide_page(workspace, ide)
    headers = htmx_headers(address) if htmx else {}
    sign_in(client, operator)
    client.get(url("home"))  # the first request after signing in also updates the session

    counts, pages = [], []
    for start, stop in ((0, 10), (10, 50)):
        _add_linked(workspace, ide, dev, start, stop)
        with django_assert_max_num_queries(10), CaptureQueriesContext(connection) as queries:
            response = client.get(address, headers=headers)
        assert response.status_code == 200
        counts.append(len(queries))
        pages.append(response.content.decode())
    assert counts[0] == counts[1]
    assert pages[1].count("Edit override<span") == 17  # every row rendered, with its own button
