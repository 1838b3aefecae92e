"""The audit log in the admin is read-only for everyone, superusers included."""

import pytest
from django.contrib import admin

from envmanager.models import AuditEntry
from tests.admin.conftest import MARKER, admin_url
from tests.factories import ConnectionFactory


@pytest.fixture
def entry(workspace):
    ConnectionFactory(workspace=workspace, key="warehouse", fields={"conn_type": "http", "password": MARKER})
    return AuditEntry.objects.get(action="env_object.create")


def test_superuser_has_no_add_change_or_delete_permission(rf, superuser, entry):
    request = rf.get("/")
    request.user = superuser
    model_admin = admin.site._registry[AuditEntry]

    assert model_admin.has_view_permission(request, entry)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    assert model_admin.get_actions(request) == {}


def test_audit_entries_cannot_be_added_changed_or_deleted(su_client, entry):
    before = list(AuditEntry.objects.values())

    assert su_client.get(admin_url(AuditEntry, "add")).status_code == 403
    assert su_client.post(admin_url(AuditEntry, "add"), {"action": "forged"}).status_code == 403
    assert su_client.post(admin_url(entry, "change"), {"action": "forged", "target_label": "x"}).status_code == 403
    assert su_client.get(admin_url(entry, "delete")).status_code == 403
    assert su_client.post(admin_url(entry, "delete"), {"post": "yes"}).status_code == 403
    su_client.post(admin_url(AuditEntry), {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"})

    assert list(AuditEntry.objects.values()) == before


def test_change_page_shows_changes_pretty_printed_and_redacted(su_client, entry):
    response = su_client.get(admin_url(entry, "change"))

    content = response.content.decode()
    assert response.status_code == 200
    assert "<pre>{\n  &quot;after&quot;: {" in content
    assert "[secret: set]" in content
    assert MARKER not in content


def test_list_filters_by_action_workspace_and_actor_and_searches_labels(su_client, superuser, workspace, entry):
    changelist = admin_url(AuditEntry)

    by_action = su_client.get(changelist, {"action": "env_object.create"}).context["cl"].result_list
    by_workspace = su_client.get(changelist, {"workspace__id__exact": workspace.pk}).context["cl"].result_list
    by_actor = su_client.get(changelist, {"actor__id__exact": superuser.pk}).context["cl"].result_list
    by_label = su_client.get(changelist, {"q": "warehouse"}).context["cl"].result_list

    assert list(by_action) == [entry]
    assert set(by_workspace) == set(AuditEntry.objects.filter(workspace=workspace)) and entry in by_workspace
    assert list(by_actor) == []  # the factory acted as "system"
    assert list(by_label) == [entry]
