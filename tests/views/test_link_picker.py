"""Link existing Workspace objects from a Deployment's or IDE project's Environment tab (the search picker)."""

import pytest

from envmanager.models import AuditEntry, Link
from envmanager.selectors.environment import effective_entry
from envmanager.selectors.links import PICKER_LIMIT
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


def picker_url(workspace, target, kind="variables", prefix="deployment"):
    return url(f"{prefix}-link-existing", workspace.pk, target.pk, kind)


def results(client, address, **params):
    headers = {**htmx_headers(address), "HX-Target": "link-picker-results"}
    return client.get(address, params, headers=headers).content.decode()


def test_the_picker_lists_only_objects_the_deployment_does_not_receive(client, operator, workspace, dev, prod):
    linked = VariableFactory(workspace=workspace, key="linked_here")
    link_services.link_create(env_object=linked, actor=None, target=dev)
    VariableFactory(workspace=workspace, key="everywhere", linked_to_all=True)
    excluded = VariableFactory(workspace=workspace, key="excluded_here", linked_to_all=True)
    link_services.link_exclude(env_object=excluded, actor=None, target=dev)
    VariableFactory(workspace=workspace, key="elsewhere")
    VariableFactory(workspace=workspace, deployment=prod, key="prod_own")
    ConnectionFactory(workspace=workspace, key="a_connection")
    sign_in(client, operator)
    address = picker_url(workspace, dev)
    html = client.get(address, headers=htmx_headers(address)).content.decode()
    assert html.lstrip().startswith("<form") and 'id="link-picker-results"' in html
    for key in ("elsewhere", "excluded_here"):
        assert f"<code>{key}</code>" in html
    for key in ("linked_here", "everywhere", "prod_own", "a_connection"):
        assert f"<code>{key}</code>" not in html


def test_typing_filters_and_ticked_objects_stay_ticked(client, operator, workspace, dev):
    alpha = VariableFactory(workspace=workspace, key="alpha")
    VariableFactory(workspace=workspace, key="beta")
    sign_in(client, operator)
    html = results(client, picker_url(workspace, dev), q="ET", objects=[alpha.pk])
    assert html.lstrip().startswith('<div id="link-picker-results"')
    assert f'value="{alpha.pk}" checked' in html and "<code>beta</code>" in html
    html = results(client, picker_url(workspace, dev), q="zzz")
    assert "No other Airflow variable matches “zzz”" in html


def test_the_picker_is_limited_and_says_how_many_more(client, operator, workspace, dev):
    for number in range(PICKER_LIMIT + 3):
        VariableFactory(workspace=workspace, key=f"key_{number:03}")
    sign_in(client, operator)
    html = results(client, picker_url(workspace, dev))
    assert html.count('name="objects"') == PICKER_LIMIT
    assert "3 more matches" in html


def test_link_several_from_a_deployment_tab(client, operator, workspace, dev):
    one, two = VariableFactory(workspace=workspace, key="one"), VariableFactory(workspace=workspace, key="two")
    sign_in(client, operator)
    tab = url("deployment-environment", workspace.pk, dev.pk, "variables")
    assert picker_url(workspace, dev) in client.get(tab).content.decode()
    address = picker_url(workspace, dev)
    response = client.post(address, {"objects": [one.pk, two.pk]}, headers=htmx_headers(tab))
    assert "env-changed" in response["HX-Trigger"]
    assert effective_entry(deployment=dev, kind="variable", key="one") is not None
    assert effective_entry(deployment=dev, kind="variable", key="two") is not None
    assert AuditEntry.objects.filter(action="link.create").count() == 2


def test_link_from_an_ide_project_tab(client, operator, workspace, ide):
    conn = ConnectionFactory(workspace=workspace, key="warehouse")
    sign_in(client, operator)
    address = picker_url(workspace, ide, "connections", prefix="ide-project")
    assert address in client.get(url("ide-project-environment", workspace.pk, ide.pk, "connections")).content.decode()
    response = client.post(address, {"objects": [conn.pk]})
    assert response.status_code == 302
    assert Link.objects.filter(env_object=conn, ide_project=ide).exists()


def test_nothing_chosen_or_a_stale_choice_says_why_and_links_nothing(client, operator, workspace, dev, other_workspace):
    mine = VariableFactory(workspace=workspace, key="mine")
    theirs = VariableFactory(workspace=other_workspace, key="theirs")
    sign_in(client, operator)
    address = picker_url(workspace, dev)
    html = client.post(address, {}, headers=htmx_headers(address)).content.decode()
    assert "Choose at least one object to link." in html
    html = client.post(address, {"objects": [mine.pk, theirs.pk]}, headers=htmx_headers(address)).content.decode()
    assert "nothing was linked" in html
    assert not Link.objects.exists()


@pytest.mark.parametrize("role", ["author", "member"])
def test_roles_without_link_permission_neither_see_nor_use_it(client, users, workspace, dev, ide, role):
    variable = VariableFactory(workspace=workspace, key="one")
    sign_in(client, users[role])
    tab = client.get(url("deployment-environment", workspace.pk, dev.pk, "variables")).content.decode()
    assert "Link existing" not in tab
    assert client.get(picker_url(workspace, dev)).status_code == 403
    assert client.post(picker_url(workspace, dev), {"objects": [variable.pk]}).status_code == 403
    ide_address = picker_url(workspace, ide, prefix="ide-project")
    assert client.post(ide_address, {"objects": [variable.pk]}).status_code == 403
    assert not Link.objects.exists()


def test_owner_sees_it(client, owner, workspace, dev):
    sign_in(client, owner)
    assert "Link existing" in client.get(url("deployment-environment", workspace.pk, dev.pk, "variables")).content.decode()


def test_other_workspaces_are_404(client, outsider, workspace, dev):
    variable = VariableFactory(workspace=workspace, key="one")
    sign_in(client, outsider)
    assert client.get(picker_url(workspace, dev)).status_code == 404
    assert client.post(picker_url(workspace, dev), {"objects": [variable.pk]}).status_code == 404
    assert not Link.objects.exists()
