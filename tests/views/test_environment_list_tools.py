"""The Environment lists' tools: counts in the type menu, the Workspace search, bulk actions."""

import re

from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, EnvVarFactory, VariableFactory
from tests.views.conftest import sign_in, url


def menu_counts(html: str) -> dict[str, int]:
    menu = html.split('class="kind-menu"', 1)[1].split("</nav>", 1)[0]
    return {
        label.strip(): int(count)
        for label, count in re.findall(r'>([^<>]+?) <span class="count-badge">(\d+)</span>', menu)
    }


def test_type_menu_counts_the_workspace_objects_of_each_type(client, author, workspace, dev):
    for n in range(3):
        ConnectionFactory(workspace=workspace, key=f"conn_{n}")
    VariableFactory(workspace=workspace, key="only_var")
    ConnectionFactory(workspace=workspace, deployment=dev, key="dev_own")
    sign_in(client, author)

    html = client.get(url("workspace-environment", workspace.pk, "variables")).content.decode()
    assert menu_counts(html) == {
        "Connections": 3, "Airflow Variables": 1, "Environment Variables": 0, "Metrics Exports": 0,
    }
    all_scopes = client.get(url("workspace-environment", workspace.pk, "connections") + "?scope=all").content.decode()
    assert menu_counts(all_scopes)["Connections"] == 4


def test_type_menu_counts_what_a_deployment_receives(client, author, workspace, dev, prod, ide):
    linked = ConnectionFactory(workspace=workspace, key="linked")
    link_services.link_create(env_object=linked, actor=None, target=dev)
    link_services.link_create(env_object=linked, actor=None, target=ide)
    ConnectionFactory(workspace=workspace, key="unlinked")
    excluded = VariableFactory(workspace=workspace, key="to_all_but_dev", linked_to_all=True)
    link_services.link_exclude(env_object=excluded, actor=None, target=dev)
    VariableFactory(workspace=workspace, key="to_all", linked_to_all=True)
    # dev's own object shadows the Workspace one it is linked to: counted once.
    ConnectionFactory(workspace=workspace, deployment=dev, key="linked")
    EnvVarFactory(workspace=workspace, deployment=dev, key="OWN")
    sign_in(client, author)

    dev_html = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).content.decode()
    assert menu_counts(dev_html) == {
        "Connections": 1, "Airflow Variables": 1, "Environment Variables": 1, "Metrics Exports": 0,
    }
    prod_html = client.get(url("deployment-environment", workspace.pk, prod.pk, "connections")).content.decode()
    assert menu_counts(prod_html)["Airflow Variables"] == 2
    ide_html = client.get(url("ide-project-environment", workspace.pk, ide.pk, "connections")).content.decode()
    assert menu_counts(ide_html) == {
        "Connections": 1, "Airflow Variables": 0, "Environment Variables": 0, "Metrics Exports": 0,
    }
