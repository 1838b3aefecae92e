"""Migrate from Airflow in the browser's pages: the action, the plan, confirmation, the summary."""

import pytest

from envmanager.models import EnvObject, MigrationRun
from envmanager.services.migration import deployment_migration_lock
from envmanager.services.workspaces import deployment_update
from tests.conftest import AIRFLOW_DB_SECRET, airflow_db_keys
from tests.factories import VariableFactory

from .conftest import htmx_headers, url


def test_owners_see_the_action_on_connections_and_variables_only(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    page = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).text
    assert "Migrate from Airflow" in page and "Owners only" not in page
    assert url("migration-action", workspace.pk, dev.pk, "connections") in page  # the live state is loaded
    assert "Migrate from Airflow" in client.get(url("deployment-environment", workspace.pk, dev.pk, "variables")).text
    assert "Migrate from Airflow" not in client.get(
        url("deployment-environment", workspace.pk, dev.pk, "environment-variables")
    ).text


@pytest.mark.parametrize("role", ["operator", "author"])
def test_other_roles_see_the_action_dimmed_owners_only(client, workspace, dev, airflow_db, role, request):
    client.force_login(request.getfixturevalue(role))
    page = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections")).text
    assert '<button type="button" class="button" disabled aria-describedby="migrate-reason">Migrate from Airflow' in page
    assert '<span class="hint" id="migrate-reason">Owners only</span>' in page
    assert url("migration-action", workspace.pk, dev.pk, "connections") not in page
    assert url("migration-plan", workspace.pk, dev.pk, "connections") not in page


def test_action_is_enabled_when_there_is_something_to_migrate(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    response = client.get(url("migration-action", workspace.pk, dev.pk, "connections"), headers=htmx_headers())
    assert 'href="/workspaces/' in response.text and "disabled" not in response.text


def test_action_is_dimmed_with_the_reason(client, workspace, dev, owner, airflow_db, tmp_path):
    client.force_login(owner)
    airflow_db.execute("DELETE FROM variable")
    empty = client.get(url("migration-action", workspace.pk, dev.pk, "variables"), headers=htmx_headers())
    assert "disabled" in empty.text and "holds no Airflow variables" in empty.text

    (tmp_path / "airflow" / "airflow.db").unlink()  # gone since the URL was set
    unreadable = client.get(url("migration-action", workspace.pk, dev.pk, "connections"), headers=htmx_headers())
    assert "disabled" in unreadable.text and "cannot be read" in unreadable.text


def test_remote_execution_deployments_say_they_are_not_supported(client, workspace, dev, owner):
    deployment_update(deployment=dev, execution_mode="remote_execution")
    client.force_login(owner)
    page = client.get(url("deployment-environment", workspace.pk, dev.pk, "connections"))
    assert "Remote execution Deployments are not supported." in page.text
    plan = client.get(url("migration-plan", workspace.pk, dev.pk, "connections"))
    assert plan.status_code == 200 and "Remote execution Deployments are not supported" in plan.text


def test_plan_page_lists_rows_with_their_status_and_never_secrets(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    connections = client.get(url("migration-plan", workspace.pk, dev.pk, "connections")).text
    variables = client.get(url("migration-plan", workspace.pk, dev.pk, "variables")).text

    assert "warehouse" in connections and "status-new" in connections
    assert "Cannot migrate" in connections and "is not a valid Airflow connection id" in connections
    assert connections.count('name="source"') == 1  # the invalid row cannot be selected
    assert "gets an override of <strong>value</strong>" in variables
    assert AIRFLOW_DB_SECRET not in connections and "gAAAA" not in connections


def test_confirmation_warns_that_rows_leave_airflow(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    ids = [str(i) for i in range(1, 5)]
    response = client.post(
        url("migration-plan", workspace.pk, dev.pk, "variables"), {"step": "confirm", "source": ids},
        headers=htmx_headers(),
    )
    assert "will be removed from dev's Airflow metadata database" in response.text
    assert "<em>Restore to Airflow</em> on the summary page writes them back" in response.text
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}  # nothing happened yet


def test_confirming_with_nothing_selected_says_so(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    response = client.post(url("migration-plan", workspace.pk, dev.pk, "variables"), {"step": "confirm"})
    assert response.status_code == 200 and "Select at least one row" in response.text


def test_apply_migrates_and_shows_the_summary(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    plan_url = url("migration-plan", workspace.pk, dev.pk, "variables")
    response = client.post(plan_url, {"step": "apply", "source": ["1", "2"], "request_key": "k1"}, follow=True)

    assert response.status_code == 200
    assert "Migrated 1, overridden 1, skipped 0, failed 0." in response.text
    assert airflow_db_keys(airflow_db, "variable") == set()
    assert EnvObject.objects.get(key="region").links.get().deployment == dev
    again = client.post(plan_url, {"step": "apply", "source": ["1", "2"], "request_key": "k1"}, follow=True)
    assert again.status_code == 200 and MigrationRun.objects.count() == 1  # a double submit runs once


def test_apply_from_the_dialog_redirects_the_whole_page(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    response = client.post(
        url("migration-plan", workspace.pk, dev.pk, "connections"),
        {"step": "apply", "source": ["1"], "request_key": "k2"}, headers=htmx_headers(),
    )
    run = MigrationRun.objects.get()
    assert response.headers["HX-Redirect"] == url("migration-result", workspace.pk, dev.pk, run.pk)


def test_a_running_migration_is_reported_and_changes_nothing(client, workspace, dev, owner, airflow_db):
    MigrationRun.objects.create(deployment=dev, kind="variable", started_by_name="alice")
    client.force_login(owner)
    with deployment_migration_lock(dev):  # alice's process, still alive
        response = client.post(
            url("migration-plan", workspace.pk, dev.pk, "variables"), {"step": "apply", "source": ["1"]}, follow=True
        )
    assert "alice is already migrating" in response.text
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}


@pytest.mark.parametrize("role, status", [("operator", 403), ("author", 403), ("member", 403), ("outsider", 404)])
def test_only_owners_may_migrate(client, users, workspace, dev, airflow_db, role, status):
    client.force_login(users[role])
    assert client.get(url("migration-plan", workspace.pk, dev.pk, "variables")).status_code == status
    assert client.post(
        url("migration-plan", workspace.pk, dev.pk, "variables"), {"step": "apply", "source": ["1"]}
    ).status_code == status
    assert client.get(url("migration-action", workspace.pk, dev.pk, "variables")).status_code == status
    assert airflow_db_keys(airflow_db, "variable") == {"region", "shared"}


@pytest.mark.parametrize("extra", [5, 15])
def test_plan_page_queries_do_not_grow_with_rows(client, workspace, dev, owner, airflow_db, extra,
                                                 django_assert_max_num_queries):
    for i in range(extra):
        airflow_db.add_variable(f"v{i}", str(i))
        VariableFactory(workspace=workspace, key=f"v{i}", fields={"value": "x"})
    client.force_login(owner)
    with django_assert_max_num_queries(14):
        assert client.get(url("migration-plan", workspace.pk, dev.pk, "variables")).status_code == 200
