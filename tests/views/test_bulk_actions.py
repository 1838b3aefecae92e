"""Bulk link / unlink / delete on the Workspace Environment page: who may, the confirmation, one transaction."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.models import AuditEntry, EnvObject, Link
from envmanager.services import env_objects as env_object_services
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


@pytest.fixture
def three(workspace, dev, ide):
    a = ConnectionFactory(workspace=workspace, key="alpha")
    b = ConnectionFactory(workspace=workspace, key="beta")
    c = VariableFactory(workspace=workspace, key="gamma")
    link_services.link_create(env_object=b, actor=None, target=dev)
    link_services.link_create(env_object=b, actor=None, target=ide)
    link_services.link_set_override(env_object=b, actor=None, target=dev, fields={"host": "dev-host"})
    return [a, b, c]


def bulk(client, workspace, action, objects, target="", method="get"):
    data = {"action": action, "ids": [obj.pk for obj in objects], "target": target}
    return getattr(client, method)(url("workspace-bulk", workspace.pk), data)


def test_delete_confirmation_lists_the_keys_and_what_goes_with_them(client, operator, workspace, three):
    sign_in(client, operator)
    html = bulk(client, workspace, "delete", three).content.decode()
    assert "Delete <code>3 objects</code>?" in html
    assert "Connection alpha — not linked anywhere" in html
    assert "Connection beta — with its links to dev, IDE notebooks; overrides in dev" in html
    assert "Airflow variable gamma" in html
    assert EnvObject.objects.count() == 3  # a GET changes nothing


def test_bulk_delete_deletes_each_through_the_service_with_an_audit_entry(client, operator, workspace, three):
    sign_in(client, operator)
    response = bulk(client, workspace, "delete", three, method="post")
    assert response.status_code == 302
    assert not EnvObject.objects.filter(workspace=workspace).exists() and not Link.objects.exists()
    deleted = AuditEntry.objects.filter(action=AuditEntry.Action.ENV_OBJECT_DELETE)
    assert sorted(entry.target_label for entry in deleted) == [
        "Airflow connection 'alpha' (Workspace)", "Airflow connection 'beta' (Workspace)",
        "Airflow variable 'gamma' (Workspace)",
    ]


def test_bulk_delete_is_atomic_an_error_halfway_changes_nothing(client, operator, workspace, three, monkeypatch):
    real_delete = env_object_services.env_object_delete
    calls = []

    def delete_then_fail(*, env_object, actor):
        calls.append(env_object.key)
        if len(calls) == 2:
            raise ValidationError("The database went away.")
        real_delete(env_object=env_object, actor=actor)

    monkeypatch.setattr(env_object_services, "env_object_delete", delete_then_fail)
    sign_in(client, operator)
    before = AuditEntry.objects.count()
    response = bulk(client, workspace, "delete", three, method="post")
    assert response.status_code == 400 and "The database went away." in response.content.decode()
    assert calls == ["alpha", "beta"]  # alpha was deleted, then rolled back
    assert EnvObject.objects.filter(workspace=workspace).count() == 3
    assert Link.objects.count() == 2 and AuditEntry.objects.count() == before


def test_bulk_link_and_unlink(client, operator, workspace, dev, prod, three):
    alpha, beta, gamma = three
    sign_in(client, operator)
    confirm = bulk(client, workspace, "link", three, target=f"deployment:{prod.pk}").content.decode()
    assert "Link <code>3 objects</code> to Deployment &#x27;prod&#x27;?" in confirm and "Connection alpha" in confirm
    bulk(client, workspace, "link", three, target=f"deployment:{prod.pk}", method="post")
    assert Link.objects.filter(deployment=prod).count() == 3
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LINK_CREATE, target_label__contains="prod").count() == 3

    confirm = bulk(client, workspace, "unlink", [beta], target=f"deployment:{dev.pk}").content.decode()
    assert "overrides of these objects are dropped" in confirm
    bulk(client, workspace, "unlink", [alpha, gamma], target=f"deployment:{prod.pk}", method="post")
    assert list(Link.objects.filter(deployment=prod).values_list("env_object__key", flat=True)) == ["beta"]


def test_bulk_unlink_refused_for_one_changes_none(client, operator, workspace, dev, three):
    alpha, beta, _ = three  # alpha is not linked to dev
    sign_in(client, operator)
    response = bulk(client, workspace, "unlink", [beta, alpha], target=f"deployment:{dev.pk}", method="post")
    assert response.status_code == 400 and "is not linked to Deployment" in response.content.decode()
    assert Link.objects.filter(env_object=beta, deployment=dev).exists()


@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_may_not(client, request, workspace, dev, three, role):
    sign_in(client, request.getfixturevalue(role))
    for action in ("delete", "link", "unlink"):
        for method in ("get", "post"):
            assert bulk(client, workspace, action, three, target=f"deployment:{dev.pk}", method=method).status_code == 403
    assert EnvObject.objects.count() == 3


def test_owner_may(client, owner, workspace, three):
    sign_in(client, owner)
    assert bulk(client, workspace, "delete", three, method="post").status_code == 302
    assert not EnvObject.objects.exists()


def test_other_workspaces_objects_and_targets_answer_404(client, operator, workspace, other_workspace, three):
    from tests.factories import DeploymentFactory

    foreign = ConnectionFactory(workspace=other_workspace, key="foreign")
    foreign_deployment = DeploymentFactory(workspace=other_workspace, name="theirs")
    sign_in(client, operator)
    assert bulk(client, workspace, "delete", [three[0], foreign], method="post").status_code == 404
    assert bulk(client, other_workspace, "delete", [foreign], method="post").status_code == 404
    assert bulk(client, workspace, "link", three, target=f"deployment:{foreign_deployment.pk}").status_code == 404
    assert EnvObject.objects.count() == 4
    for bad in ("x", "-1", "9" * 30):
        response = client.post(url("workspace-bulk", workspace.pk), {"action": "delete", "ids": [bad]})
        assert response.status_code == 404


def test_deployment_objects_are_not_bulk_targets(client, operator, workspace, dev):
    own = ConnectionFactory(workspace=workspace, deployment=dev, key="own")
    sign_in(client, operator)
    assert bulk(client, workspace, "delete", [own], method="post").status_code == 404


def test_checkboxes_for_operators_not_authors(client, operator, author, workspace, three):
    page = url("workspace-environment", workspace.pk, "connections")
    sign_in(client, author)
    assert "data-bulk-item" not in client.get(page).content.decode()
    sign_in(client, operator)
    html = client.get(page).content.decode()
    assert html.count("data-bulk-item") == 2 and 'id="bulk-form"' in html
    fragment = client.get(page, headers=htmx_headers(page)).content.decode()
    assert 'id="bulk-form"' in fragment  # the bar is refreshed with the table
