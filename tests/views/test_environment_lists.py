"""The Environment tables: what each row says, filtering, sorting, paging, empty states, sources."""

import re

import pytest

from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import links as link_services
from tests.factories import ConnectionFactory, EnvVarFactory, MetricsExportFactory, VariableFactory
from tests.views.conftest import htmx_headers, sign_in, url


def row_keys(html: str) -> list[str]:
    return re.findall(r'<th scope="row" class="key"><code>([^<]+)</code>', html)


def test_workspace_table_shows_summary_scope_links_and_overrides(client, operator, workspace, dev, prod, ide, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    link_services.link_create(env_object=conn, actor=None, target=ide)
    link_services.link_set_override(env_object=conn, actor=None, target=dev, fields={"host": "dev-db"})
    everywhere = ConnectionFactory(workspace=workspace, key="everywhere", linked_to_all=True)
    link_services.link_exclude(env_object=everywhere, actor=None, target=prod)
    ConnectionFactory(workspace=workspace, key="lonely")
    sign_in(client, operator)

    html = client.get(url("workspace-environment", workspace.pk, "connections")).content.decode()
    assert row_keys(html) == ["everywhere", "lonely", "warehouse"]
    warehouse = html.split('<code>warehouse</code>', 1)[1].split("</tr>", 1)[0]
    assert "postgres" in warehouse and "db.internal" in warehouse and "5432" in warehouse
    assert "dev-db" not in warehouse  # the Workspace value, not dev's override
    assert '<span class="chip">dev</span>' in warehouse
    assert 'title="IDE project">notebooks<' in warehouse
    assert '<span class="chip override">dev</span>' in warehouse  # overridden in dev
    everywhere_row = html.split('<code>everywhere</code>', 1)[1].split("</tr>", 1)[0]
    assert "All Deployments" in everywhere_row and "except prod" in everywhere_row
    lonely = html.split('<code>lonely</code>', 1)[1].split("</tr>", 1)[0]
    assert "Not linked" in lonely


def test_secret_values_show_as_dots_and_plain_values_as_they_are(client, author, workspace):
    VariableFactory(workspace=workspace, key="api_key", is_secret=True, fields={"value": "sk-live-123"})
    VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    EnvVarFactory(workspace=workspace, key="TOKEN", is_secret=True, fields={"value": "tok-999"})
    sign_in(client, author)
    variables = client.get(url("workspace-environment", workspace.pk, "variables")).content.decode()
    assert "eu-west-1" in variables
    assert "sk-live-123" not in variables
    api_key_row = variables.split("<code>api_key</code>", 1)[1].split("</tr>", 1)[0]
    assert "•••" in api_key_row and "secret" in api_key_row
    env = client.get(url("workspace-environment", workspace.pk, "environment-variables")).content.decode()
    assert "tok-999" not in env and "•••" in env


def test_metrics_rows_show_exporter_endpoint_and_auth(client, author, workspace):
    MetricsExportFactory(workspace=workspace, key="prom", fields={
        "endpoint": "https://prom.example.com/write", "exporter_type": "prometheus_remote_write",
        "auth_type": "bearer", "password": "bearer-token-value",
    })
    sign_in(client, author)
    html = client.get(url("workspace-environment", workspace.pk, "metrics-exports")).content.decode()
    assert "https://prom.example.com/write" in html and "prometheus_remote_write" in html and "bearer" in html
    assert "bearer-token-value" not in html


def test_filter_by_key_answers_htmx_with_the_table_fragment_only(client, author, workspace):
    for key in ("orders_db", "orders_api", "billing_db"):
        ConnectionFactory(workspace=workspace, key=key)
    sign_in(client, author)
    address = url("workspace-environment", workspace.pk, "connections")
    response = client.get(address, {"q": "orders"}, headers=htmx_headers(address))
    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    assert html.lstrip().startswith('<div id="object-table"')
    assert "<html" not in html
    assert row_keys(html) == ["orders_api", "orders_db"]
    assert "2 objects match" in html

    full = client.get(address, {"q": "orders"})
    assert "<html" in full.content.decode() and row_keys(full.content.decode()) == ["orders_api", "orders_db"]
    assert 'value="orders"' in full.content.decode()  # the filter box keeps what was typed


def test_history_restore_gets_the_whole_page(client, author, workspace):
    sign_in(client, author)
    address = url("workspace-environment", workspace.pk, "connections")
    response = client.get(address, headers={**htmx_headers(address), "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_sort_by_key_descending_and_by_recent_change(client, author, workspace):
    for key in ("b", "a", "c"):
        ConnectionFactory(workspace=workspace, key=key)
    sign_in(client, author)
    address = url("workspace-environment", workspace.pk, "connections")
    assert row_keys(client.get(address, {"sort": "-key"}).content.decode()) == ["c", "b", "a"]
    assert row_keys(client.get(address, {"sort": "-updated"}).content.decode()) == ["c", "a", "b"]
    assert row_keys(client.get(address, {"sort": "nonsense"}).content.decode()) == ["a", "b", "c"]


def test_pages_of_fifty(client, author, workspace):
    for n in range(60):
        VariableFactory(workspace=workspace, key=f"var_{n:03d}")
    sign_in(client, author)
    address = url("workspace-environment", workspace.pk, "variables")
    first = client.get(address).content.decode()
    assert len(row_keys(first)) == 50 and "Page 1 of 2" in first
    assert 'href="' + address + '?page=2"' in first
    second = client.get(address, {"page": 2}).content.decode()
    assert row_keys(second) == [f"var_{n:03d}" for n in range(50, 60)]
    assert row_keys(client.get(address, {"page": 99}).content.decode()) == row_keys(second)
    assert row_keys(client.get(address, {"page": "x"}).content.decode()) == row_keys(first)


def test_empty_states_say_what_to_do_next(client, operator, author, workspace, dev):
    sign_in(client, operator)
    html = client.get(url("workspace-environment", workspace.pk, "connections")).content.decode()
    assert "No connections in this Workspace yet." in html
    assert url("env-object-create", workspace.pk, "connections") in html
    tab = client.get(url("deployment-environment", workspace.pk, dev.pk, "variables")).content.decode()
    assert "dev receives no airflow variables yet." in tab
    assert url("deployment-env-object-create", workspace.pk, dev.pk, "variables") in tab

    ConnectionFactory(workspace=workspace, key="present")
    filtered = client.get(url("workspace-environment", workspace.pk, "connections"), {"q": "absent"}).content.decode()
    assert "No connections match “absent”." in filtered and "Clear the filter" in filtered

    sign_in(client, author)
    html = client.get(url("workspace-environment", workspace.pk, "variables")).content.decode()
    assert "No airflow variables in this Workspace yet." in html
    assert "A Workspace Operator or Owner can create one." in html
    assert url("env-object-create", workspace.pk, "variables") not in html


def test_author_sees_no_edit_buttons_operator_does(client, operator, author, workspace, dev, conn):
    link_services.link_create(env_object=conn, actor=None, target=dev)
    EnvVarFactory(workspace=workspace, deployment=dev, key="DEV_ONLY")
    pages = [
        url("workspace-environment", workspace.pk, "connections"),
        url("deployment-environment", workspace.pk, dev.pk, "connections"),
        url("deployment-environment", workspace.pk, dev.pk, "environment-variables"),
    ]
    sign_in(client, operator)
    operator_pages = "".join(client.get(page).content.decode() for page in pages)
    sign_in(client, author)
    author_pages = "".join(client.get(page).content.decode() for page in pages)
    for marker in ("/edit/", "/delete/", "/links/", "/override/", "/unlink/", "/new/"):
        assert marker in operator_pages, marker
        assert marker not in author_pages, marker
    assert "warehouse" in author_pages and "DEV_ONLY" in author_pages


def test_scope_all_adds_deployment_objects_with_their_deployment(client, author, workspace, dev):
    ConnectionFactory(workspace=workspace, key="shared")
    ConnectionFactory(workspace=workspace, deployment=dev, key="dev_only")
    sign_in(client, author)
    address = url("workspace-environment", workspace.pk, "connections")
    assert row_keys(client.get(address).content.decode()) == ["shared"]
    html = client.get(address, {"scope": "all"}).content.decode()
    assert row_keys(html) == ["dev_only", "shared"]
    assert "Deployment dev" in html


@pytest.fixture
def environment_of_dev(workspace, dev, prod):
    """dev receives: a Deployment object, a linked object, an overridden one, a linked-to-all one; not
    an unlinked one, one it is excluded from, or a Workspace object its own object shadows."""
    ConnectionFactory(workspace=workspace, deployment=dev, key="own")
    linked = ConnectionFactory(workspace=workspace, key="linked")
    link_services.link_create(env_object=linked, actor=None, target=dev)
    overridden = ConnectionFactory(workspace=workspace, key="overridden")
    link_services.link_create(env_object=overridden, actor=None, target=dev)
    link_services.link_create(env_object=overridden, actor=None, target=prod)
    link_services.link_set_override(
        env_object=overridden, actor=None, target=dev, fields={"host": "dev-host", "password": "p"}
    )
    ConnectionFactory(workspace=workspace, key="to_all", linked_to_all=True)
    ConnectionFactory(workspace=workspace, key="unlinked")
    excluded = ConnectionFactory(workspace=workspace, key="excluded", linked_to_all=True)
    link_services.link_exclude(env_object=excluded, actor=None, target=dev)
    shadowed = ConnectionFactory(workspace=workspace, key="shadowed", fields={"conn_type": "http", "host": "ws-host"})
    link_services.link_create(env_object=shadowed, actor=None, target=dev)
    ConnectionFactory(
        workspace=workspace, deployment=dev, key="shadowed", fields={"conn_type": "http", "host": "dev-own-host"}
    )


def test_deployment_tab_lists_the_effective_objects_with_their_source(client, author, workspace, dev, environment_of_dev):
    sign_in(client, author)
    html = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).content.decode()
    assert row_keys(html) == ["linked", "overridden", "own", "shadowed", "to_all"]

    def row(key):
        return html.split(f"<code>{key}</code>", 1)[1].split("</tr>", 1)[0]

    assert "Deployment object" in row("own")
    assert "Workspace object" in row("linked") and ">No<" in row("linked")
    assert "Workspace + override" in row("overridden") and ">Yes<" in row("overridden")
    assert "dev-host" in row("overridden")  # the effective value
    assert "Workspace object" in row("to_all") and "All Deployments" in row("to_all")
    assert "Deployment object" in row("shadowed") and "dev-own-host" in row("shadowed")
    assert "ws-host" not in html


def test_deployment_tab_agrees_with_the_effective_environment_selector(client, author, workspace, dev, environment_of_dev):
    sign_in(client, author)
    response = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections"))
    rows = response.context["object_page"].rows
    expected = deployment_effective_environment(deployment=dev, kinds=("connection",))
    assert [(r.key, r.source, r.id) for r in rows] == [(e.key, e.source, e.object_id) for e in expected]


def test_other_deployment_sees_the_workspace_value(client, author, workspace, prod, environment_of_dev):
    sign_in(client, author)
    html = client.get(url("deployment-environment", workspace.pk, prod.pk, "connections")).content.decode()
    assert row_keys(html) == ["excluded", "overridden", "to_all"]
    overridden = html.split("<code>overridden</code>", 1)[1].split("</tr>", 1)[0]
    assert "Workspace object" in overridden and "dev-host" not in overridden


def test_ide_project_environment_lists_its_linked_objects(client, operator, workspace, ide, conn):
    ConnectionFactory(workspace=workspace, key="not_for_ide", linked_to_all=True)
    link_services.link_create(env_object=conn, actor=None, target=ide)
    sign_in(client, operator)
    html = client.get(url("ide-project-environment", workspace.pk, ide.pk, "connections")).content.decode()
    assert row_keys(html) == ["warehouse"]
    assert "Workspace object" in html
    assert url("env-object-ide-project-unlink", workspace.pk, conn.pk, ide.pk) in html
    empty = client.get(url("ide-project-environment", workspace.pk, ide.pk, "variables")).content.decode()
    assert "No airflow variables are linked to notebooks yet." in empty


def test_type_menu_marks_the_current_type(client, author, workspace, dev):
    sign_in(client, author)
    html = client.get(url("deployment-environment", workspace.pk, dev.pk, "metrics-exports")).content.decode()
    menu = html.split('class="kind-menu"', 1)[1].split("</nav>", 1)[0]
    for label in ("Connections", "Airflow Variables", "Environment Variables", "Metrics Exports"):
        assert label in menu
    assert 'metrics-exports/" aria-current="page">Metrics Exports' in menu
