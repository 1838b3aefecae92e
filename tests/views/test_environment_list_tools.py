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


# --- The Workspace-wide search -----------------------------------------------------------------

CANARY = "canary-7f3e"


def search(client, workspace, query, **headers):
    return client.get(url("workspace-search", workspace.pk), {"q": query}, headers=headers)


def test_search_finds_keys_and_plain_values_of_every_type_and_scope(client, author, workspace, dev):
    ConnectionFactory(workspace=workspace, key="orders_db", fields={"conn_type": "postgres", "host": "pg.example"})
    ConnectionFactory(workspace=workspace, key="billing", fields={"conn_type": "http", "host": "orders.example.com"})
    VariableFactory(workspace=workspace, key="ORDERS_LIMIT", fields={"value": "10"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="TZ", fields={"value": "Europe/Orders"})
    ConnectionFactory(workspace=workspace, key="unrelated", fields={"conn_type": "http", "host": "x"})
    sign_in(client, author)

    response = search(client, workspace, "ORDERS")
    assert response.status_code == 200
    keys = [(m.key, m.field_label) for m in response.context["result"].matches]
    # Types in menu order (connections, variables, environment variables), keys in order within each.
    assert keys == [("billing", "Host"), ("orders_db", ""), ("ORDERS_LIMIT", ""), ("TZ", "Value")]
    html = response.content.decode()
    tz = next(m for m in response.context["result"].matches if m.key == "TZ")
    assert url("deployment-environment", workspace.pk, dev.pk, "environment-variables") + f"?q=TZ#object-{tz.id}" in html
    assert "Deployment dev" in html and "orders.example.com" in html


def test_search_never_matches_or_shows_secret_values(client, owner, workspace):
    ConnectionFactory(workspace=workspace, key="db", fields={"conn_type": "postgres", "password": CANARY,
                                                              "extra": f'{{"token": "{CANARY}"}}'})
    VariableFactory(workspace=workspace, key="api_key", is_secret=True, fields={"value": CANARY})
    EnvVarFactory(workspace=workspace, key="SECRET_ENV", is_secret=True, fields={"value": CANARY})
    VariableFactory(workspace=workspace, key="plain", fields={"value": "nothing here"})
    sign_in(client, owner)

    for query in (CANARY, "canary", "7f3e"):
        response = search(client, workspace, query)
        assert response.context["result"].matches == []
        assert "Nothing matches" in response.content.decode()
        if query != CANARY:  # (a query is echoed back)
            assert CANARY not in response.content.decode()


def test_search_answers_htmx_with_the_results_only_and_keeps_to_its_workspace(
    client, author, workspace, other_workspace
):
    ConnectionFactory(workspace=other_workspace, key="elsewhere")
    ConnectionFactory(workspace=workspace, key="here_too_elsewhere")
    sign_in(client, author)
    fragment = search(client, workspace, "elsewhere", **{"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="search-results"') and "<html" not in fragment
    assert "here_too_elsewhere" in fragment and ">elsewhere<" not in fragment
    assert search(client, other_workspace, "elsewhere").status_code == 404


def test_search_needs_a_role_that_sees_objects(client, member, workspace):
    sign_in(client, member)
    assert search(client, workspace, "x").status_code == 403


def test_workspace_environment_page_has_the_search_box(client, author, workspace):
    sign_in(client, author)
    html = client.get(url("workspace-environment", workspace.pk, "connections")).content.decode()
    assert f'action="{url("workspace-search", workspace.pk)}"' in html
