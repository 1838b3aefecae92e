"""Copy only on the migrate page; Restore to Airflow on a run's summary page."""

from envmanager.models import EnvObject, MigrationRun
from tests.conftest import AIRFLOW_DB_SECRET, airflow_db_keys

from .conftest import url


def _migrate(client, workspace, dev, kind="connections", **extra):
    response = client.post(url("migration-plan", workspace.pk, dev.pk, kind),
                           {"step": "apply", "source": ["1", "2"], "request_key": "k-" + kind, **extra})
    assert response.status_code == 302
    return MigrationRun.objects.get(deployment=dev, request_key="k-" + kind)


def test_copy_only_confirms_and_keeps_the_rows_in_airflow(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    plan = client.get(url("migration-plan", workspace.pk, dev.pk, "connections")).text
    assert 'name="keep_source"' in plan
    confirm = client.post(url("migration-plan", workspace.pk, dev.pk, "connections"),
                          {"step": "confirm", "source": ["1"], "keep_source": "1"}).text
    assert "Copy only: the selected connections stay" in confirm and 'name="keep_source" value="1"' in confirm

    run = _migrate(client, workspace, dev, keep_source="1")

    assert run.keep_source and airflow_db_keys(airflow_db, "connection") == {"warehouse", "bad key"}
    assert EnvObject.objects.get(key="warehouse").reveal("password") == AIRFLOW_DB_SECRET
    assert "copy only" in client.get(url("migration-result", workspace.pk, dev.pk, run.pk)).text


def test_restore_confirms_what_it_writes_and_removes_then_restores(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    before = airflow_db.conn.execute("SELECT * FROM variable ORDER BY id").fetchall()
    run = _migrate(client, workspace, dev, kind="variables")
    summary = client.get(url("migration-result", workspace.pk, dev.pk, run.pk)).text
    restore_url = url("migration-restore", workspace.pk, dev.pk, run.pk)
    assert restore_url in summary and "Restore to Airflow" in summary

    confirm = client.get(restore_url).text
    assert "Written back into dev's Airflow metadata database" in confirm
    assert "<code>region</code>, <code>shared</code>" in confirm and "Removed from envmanager (2)" in confirm
    assert AIRFLOW_DB_SECRET not in confirm and "gAAAA" not in confirm
    assert airflow_db_keys(airflow_db, "variable") == set()  # a GET changes nothing

    done = client.post(restore_url, follow=True).text

    assert "Restored 2" in done and airflow_db.conn.execute("SELECT * FROM variable ORDER BY id").fetchall() == before
    assert not EnvObject.objects.filter(key="region").exists()
    assert EnvObject.objects.get(key="shared").links.count() == 0  # the override the migration added is gone
    assert restore_url not in done  # restored: no button any more


def test_restore_is_for_owners_and_other_workspaces_get_404(client, workspace, dev, owner, operator, outsider, airflow_db):
    client.force_login(owner)
    run = _migrate(client, workspace, dev, kind="variables")
    restore_url = url("migration-restore", workspace.pk, dev.pk, run.pk)
    client.force_login(operator)
    assert client.get(restore_url).status_code == 403 and client.post(restore_url).status_code == 403
    client.force_login(outsider)
    assert client.post(restore_url).status_code == 404
    assert airflow_db_keys(airflow_db, "variable") == set()


def test_an_unreachable_database_is_a_clear_error(client, workspace, dev, owner, airflow_db, tmp_path):
    client.force_login(owner)
    run = _migrate(client, workspace, dev, kind="variables")
    (tmp_path / "airflow" / "airflow.db").unlink()
    page = client.get(url("migration-restore", workspace.pk, dev.pk, run.pk))
    assert page.status_code == 200 and "cannot be read" in page.text and "Nothing was changed" in page.text
    after = client.post(url("migration-restore", workspace.pk, dev.pk, run.pk), follow=True)
    assert after.status_code == 200 and "The restore stopped" in after.text


def test_plan_rows_are_sorted_with_previews_and_never_a_secret(client, workspace, dev, owner, airflow_db):
    airflow_db.add_variable("slack_token", "xoxb-hidden")
    client.force_login(owner)
    page = client.get(url("migration-plan", workspace.pk, dev.pk, "variables")).text
    assert page.index("<code>region</code>") < page.index("<code>slack_token</code>") < page.index("<code>shared</code>")
    assert "Will be secret" in page and "xoxb-hidden" not in page
    assert '<span class="value">dev-value</span>' in page and "data-select-all" in page
    connections = client.get(url("migration-plan", workspace.pk, dev.pk, "connections")).text
    assert '<span class="value">db</span>' in connections and AIRFLOW_DB_SECRET not in connections


def test_confirmation_lists_the_keys_and_the_summary_links_them(client, workspace, dev, owner, airflow_db):
    client.force_login(owner)
    confirm = client.post(url("migration-plan", workspace.pk, dev.pk, "variables"),
                          {"step": "confirm", "source": ["1", "2"]}).text
    assert '<p class="selected-keys"><code>region</code>, <code>shared</code></p>' in confirm
    run = _migrate(client, workspace, dev, kind="variables")
    summary = client.get(url("migration-result", workspace.pk, dev.pk, run.pk)).text
    for key in ("region", "shared"):
        edit = url("env-object-edit", workspace.pk, EnvObject.objects.get(key=key, deployment=None).pk)
        assert f'<a href="{edit}"><code>{key}</code></a>' in summary
