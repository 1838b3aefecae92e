"""Links in the admin: links, exclusions and per-target overrides, all through the link services."""

import json

import pytest
from django.contrib.admin.models import LogEntry

from envmanager.models import AuditEntry, Link
from envmanager.services import links as link_services
from tests.admin.conftest import MARKER, admin_url, change_form_data, form_errors
from tests.factories import ConnectionFactory, DeploymentFactory, IdeProjectFactory, VariableFactory


@pytest.fixture
def connection(workspace):
    return ConnectionFactory(
        workspace=workspace, key="warehouse",
        fields={"conn_type": "postgres", "host": "db.example.com", "login": "app", "password": MARKER},
    )


@pytest.fixture
def dev_link(connection, dev):
    link_services.link_create(env_object=connection, actor=None, target=dev)
    return link_services.link_set_override(env_object=connection, actor=None, target=dev, fields={"host": "dev-db"})


def _state(link: Link) -> tuple:
    link.refresh_from_db()
    return link.excluded, link.override_data, link.override_secrets


def _only_new_audit_entry(before_count: int) -> AuditEntry:
    assert AuditEntry.objects.count() == before_count + 1
    return AuditEntry.objects.order_by("-id").first()


def test_add_link_to_a_deployment(su_client, superuser, connection, dev):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(Link, "add"), {"env_object": connection.pk, "deployment": dev.pk})

    assert response.status_code == 302
    link = Link.objects.get()
    assert (link.env_object, link.deployment, link.ide_project, link.excluded) == (connection, dev, None, False)
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor) == ("link.create", superuser)


def test_add_link_to_an_ide_project(su_client, connection, workspace):
    project = IdeProjectFactory(workspace=workspace, name="laptop")

    su_client.post(admin_url(Link, "add"), {"env_object": connection.pk, "ide_project": project.pk})

    assert Link.objects.get().ide_project == project


def test_add_link_without_a_target_is_an_error(su_client, connection):
    response = su_client.post(admin_url(Link, "add"), {"env_object": connection.pk})

    assert form_errors(response)["__all__"] == ["Name exactly one Deployment or one IDE project."]
    assert not Link.objects.exists()


def test_add_link_to_another_workspace_is_an_error(su_client, connection, other_workspace):
    elsewhere = DeploymentFactory(workspace=other_workspace, name="elsewhere")

    response = su_client.post(admin_url(Link, "add"), {"env_object": connection.pk, "deployment": elsewhere.pk})

    assert form_errors(response)["__all__"] == ["Deployment 'elsewhere' is in another Workspace."]
    assert not Link.objects.exists()


def test_add_exclusion_for_an_object_linked_to_all(su_client, connection, prod):
    link_services.env_object_set_linked_to_all(env_object=connection, actor=None, linked_to_all=True)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(Link, "add"), {"env_object": connection.pk, "deployment": prod.pk, "exclude": "on"}
    )

    assert response.status_code == 302
    link = Link.objects.get()
    assert (link.deployment, link.excluded) == (prod, True)
    assert _only_new_audit_entry(audit_count).action == "link.exclude"


def test_exclusion_of_an_object_not_linked_to_all_is_an_error(su_client, connection, prod):
    response = su_client.post(
        admin_url(Link, "add"), {"env_object": connection.pk, "deployment": prod.pk, "exclude": "on"}
    )

    assert "is not linked to all Deployments" in form_errors(response)["__all__"][0]
    assert not Link.objects.exists()


def test_plain_override_is_set_and_removed(su_client, superuser, dev_link):
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(dev_link, "change"), change_form_data(su_client, dev_link, login="dev-user"))

    assert _state(dev_link) == (False, {"host": "dev-db", "login": "dev-user"}, {})
    entry = _only_new_audit_entry(audit_count)
    assert (entry.action, entry.actor) == ("link.override", superuser)
    assert entry.changes["after"]["override"] == {"host": "dev-db", "login": "dev-user"}

    su_client.post(admin_url(dev_link, "change"), change_form_data(su_client, dev_link, host=""))

    assert _state(dev_link) == (False, {"login": "dev-user"}, {})


def test_secret_override_is_write_only_kept_when_empty_and_cleared(su_client, dev_link):
    su_client.post(admin_url(dev_link, "change"), change_form_data(su_client, dev_link, password="dev-pw"))
    dev_link.refresh_from_db()
    token = dev_link.override_secrets["password"]
    assert dev_link.reveal_override("password") == "dev-pw"
    page = su_client.get(admin_url(dev_link, "change")).content.decode()
    assert "dev-pw" not in page and token not in page

    audit_count = AuditEntry.objects.count()
    su_client.post(admin_url(dev_link, "change"), change_form_data(su_client, dev_link, login="someone"))
    dev_link.refresh_from_db()
    assert dev_link.override_secrets == {"password": token}
    entry = _only_new_audit_entry(audit_count)
    assert entry.changes["after"]["override"]["password"] == "[secret: set]"
    assert "dev-pw" not in json.dumps(entry.changes)

    su_client.post(admin_url(dev_link, "change"), change_form_data(su_client, dev_link, clear_password="on"))
    assert _state(dev_link)[2] == {}


def test_bad_override_changes_nothing(su_client, dev_link):
    before = _state(dev_link)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(dev_link, "change"), change_form_data(su_client, dev_link, port="abc", password=MARKER)
    )

    assert form_errors(response)["port"] == ["Port must be a whole number."]
    assert _state(dev_link) == before
    assert AuditEntry.objects.count() == audit_count
    assert MARKER not in response.content.decode()


def test_override_of_a_secret_variable_value_is_write_only(su_client, workspace, dev):
    variable = VariableFactory(workspace=workspace, key="token", is_secret=True, fields={"value": MARKER})
    link = link_services.link_create(env_object=variable, actor=None, target=dev)

    form = su_client.get(admin_url(link, "change")).context["adminform"].form
    su_client.post(admin_url(link, "change"), change_form_data(su_client, link, value="dev-token"))

    assert form.fields["value"].widget.__class__.__name__ == "SecretTextarea"
    link.refresh_from_db()
    assert link.override_data == {}
    assert link.reveal_override("value") == "dev-token"


def test_excluded_link_has_no_override_inputs(su_client, connection, prod):
    link_services.env_object_set_linked_to_all(env_object=connection, actor=None, linked_to_all=True)
    exclusion = link_services.link_exclude(env_object=connection, actor=None, target=prod)

    response = su_client.get(admin_url(exclusion, "change"))

    assert response.status_code == 200
    assert list(response.context["adminform"].form.fields) == []


def test_deleting_a_link_unlinks_through_the_service(su_client, dev_link):
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(dev_link, "delete"), {"post": "yes"})

    assert response.status_code == 302
    assert not Link.objects.exists()
    assert _only_new_audit_entry(audit_count).action == "link.delete"


def test_deleting_an_exclusion_includes_the_deployment_again(su_client, connection, prod):
    link_services.env_object_set_linked_to_all(env_object=connection, actor=None, linked_to_all=True)
    exclusion = link_services.link_exclude(env_object=connection, actor=None, target=prod)
    audit_count = AuditEntry.objects.count()

    su_client.post(admin_url(exclusion, "delete"), {"post": "yes"})

    assert not Link.objects.exists()
    assert _only_new_audit_entry(audit_count).action == "link.include"


def test_refused_delete_shows_the_reason_and_keeps_the_row(su_client, connection, prod):
    link_services.env_object_set_linked_to_all(env_object=connection, actor=None, linked_to_all=True)
    override = link_services.link_set_override(env_object=connection, actor=None, target=prod, fields={"host": "p"})
    audit_count = AuditEntry.objects.count()

    response = su_client.post(admin_url(override, "delete"), {"post": "yes"}, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any("is linked to all Deployments; exclude Deployment 'prod' instead" in m for m in messages)
    assert Link.objects.filter(pk=override.pk).exists()
    assert AuditEntry.objects.count() == audit_count
    assert not LogEntry.objects.exists()


def test_refused_bulk_delete_deletes_none(su_client, connection, dev, prod):
    link_services.env_object_set_linked_to_all(env_object=connection, actor=None, linked_to_all=True)
    override = link_services.link_set_override(env_object=connection, actor=None, target=prod, fields={"host": "p"})
    exclusion = link_services.link_exclude(env_object=connection, actor=None, target=dev)
    audit_count = AuditEntry.objects.count()

    response = su_client.post(
        admin_url(Link),
        {"action": "delete_selected", "_selected_action": [exclusion.pk, override.pk], "post": "yes"},
        follow=True,
    )

    assert response.status_code == 200
    assert any("linked to all Deployments" in str(m) for m in response.context["messages"])
    assert Link.objects.count() == 2
    assert AuditEntry.objects.count() == audit_count
