"""Promote to Workspace Environment from a Deployment's Environment tab."""

import pytest
from django.urls import reverse

from envmanager.models import EnvObject, Link
from tests.factories import EnvVarFactory, VariableFactory


def _url(workspace, deployment, env_object):
    return reverse("envmanager:env-object-promote", args=[workspace.pk, deployment.pk, env_object.pk])


@pytest.fixture
def own_variable(workspace, dev):
    return VariableFactory(workspace=workspace, deployment=dev, key="batch_size", fields={"value": "10"})


def test_tab_offers_promote_to_operators_only(client, workspace, dev, own_variable, operator, author):
    tab = reverse("envmanager:deployment-environment", args=[workspace.pk, dev.pk, "variables"])
    client.force_login(operator)
    assert "Promote to Workspace Environment" in client.get(tab).text
    client.force_login(author)
    assert "Promote to Workspace Environment" not in client.get(tab).text


def test_operator_promotes_from_the_dialog(client, workspace, dev, own_variable, operator):
    client.force_login(operator)
    dialog = client.get(_url(workspace, dev, own_variable), headers={"HX-Request": "true"})
    assert "becomes a Workspace object, linked to Deployment &#x27;dev&#x27;" in dialog.text

    response = client.post(_url(workspace, dev, own_variable), headers={"HX-Request": "true"})

    assert response.status_code == 200 and "env-changed" in response.headers["HX-Trigger"]
    own_variable.refresh_from_db()
    assert own_variable.deployment_id is None
    assert Link.objects.filter(env_object=own_variable, deployment=dev).exists()


def test_environment_variables_need_the_typed_key(client, workspace, dev, owner):
    env_var = EnvVarFactory(workspace=workspace, deployment=dev, key="LOG_LEVEL")
    client.force_login(owner)
    page = client.get(_url(workspace, dev, env_var))
    assert 'data-confirm-key="LOG_LEVEL"' in page.text and "data-requires-key" in page.text

    wrong = client.post(_url(workspace, dev, env_var), {"confirm_key": "log_level"})
    assert wrong.status_code == 200 and "Type LOG_LEVEL exactly to confirm." in wrong.text
    assert EnvObject.objects.get(pk=env_var.pk).deployment_id == dev.pk

    right = client.post(_url(workspace, dev, env_var), {"confirm_key": "LOG_LEVEL"})
    assert right.status_code == 302
    assert EnvObject.objects.get(pk=env_var.pk).deployment_id is None


@pytest.mark.parametrize("role", ["author", "member"])
def test_authors_and_members_are_refused(client, request, workspace, dev, own_variable, role):
    client.force_login(request.getfixturevalue(role))
    assert client.post(_url(workspace, dev, own_variable)).status_code == 403
    assert EnvObject.objects.get(pk=own_variable.pk).deployment_id == dev.pk


def test_other_workspaces_get_404(client, workspace, dev, own_variable, outsider):
    client.force_login(outsider)
    assert client.get(_url(workspace, dev, own_variable)).status_code == 404


def test_a_workspace_object_has_no_promote_page(client, workspace, dev, owner):
    shared = VariableFactory(workspace=workspace, key="shared")
    client.force_login(owner)
    assert client.get(_url(workspace, dev, shared)).status_code == 404


def test_promoting_twice_shows_a_clear_message(client, workspace, dev, own_variable, owner):
    client.force_login(owner)
    client.post(_url(workspace, dev, own_variable))
    again = client.post(_url(workspace, dev, own_variable))
    assert again.status_code == 404  # no longer a Deployment object of dev: nothing to promote
