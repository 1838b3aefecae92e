"""*Test connection* on a Deployment's settings: the typed or stored metadata database URL, opened read-only
through the same borders as Migrate from Airflow; the layout found or the error in words."""

import pytest

from envmanager.models import AuditEntry
from tests.conftest import airflow_url
from tests.factories import DeploymentFactory
from tests.views.conftest import htmx_headers, sign_in, url


def _test(client, workspace, deployment, typed=""):
    address = url("deployment-metadata-db-test", workspace.pk, deployment.pk)
    return client.post(address, {"metadata_db_url": typed}, headers=htmx_headers())


def test_the_stored_url_reports_the_airflow_layout_and_counts(client, owner, workspace, dev, airflow_db):
    sign_in(client, owner)
    before = AuditEntry.objects.count()
    response = _test(client, workspace, dev)
    html = response.content.decode()
    assert response.status_code == 200 and 'class="check-ok"' in html
    assert "Connected: Airflow 3.x (SQLite, schema of Airflow 3." in html
    assert "2 connections, 2 variables." in html
    assert response["Cache-Control"] == "no-store"
    assert AuditEntry.objects.count() == before  # a read: nothing written


def test_a_typed_url_is_tested_before_it_is_saved(client, owner, workspace, dev):
    typed = airflow_url("typed", layout="2")
    sign_in(client, owner)
    html = _test(client, workspace, dev, typed).content.decode()
    assert "Connected: Airflow 2.x (SQLite" in html and "0 connections, 0 variables." in html
    dev.refresh_from_db()
    assert not dev.has_metadata_db_url  # testing stores nothing


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("sqlite:////etc/passwd", "not allowed"),
        ("postgresql://airflow:s3cret-canary@127.0.0.1:1/airflow", "Could not connect"),
        ("mysql://x", "URL"),
        ("not a url", "URL"),
    ],
)
def test_refused_urls_say_why_in_words(client, owner, workspace, dev, typed, said):
    sign_in(client, owner)
    response = _test(client, workspace, dev, typed)
    html = response.content.decode()
    assert response.status_code == 200 and 'class="check-error"' in html and said in html
    assert "Traceback" not in html and "s3cret-canary" not in html


def test_a_server_outside_the_allow_list_is_not_opened(client, owner, workspace, dev, settings):
    settings.ENVMANAGER_METADATA_DB_ALLOWED = ["postgresql://airflow-db.internal:5432/*"]
    sign_in(client, owner)
    html = _test(client, workspace, dev, "postgresql://airflow:s3cret-canary@127.0.0.1:5432/airflow").content.decode()
    assert "not allowed" in html and "ENVMANAGER_METADATA_DB_ALLOWED" in html and "s3cret-canary" not in html


def test_no_url_and_a_database_claimed_by_another_deployment(client, owner, workspace, dev, prod, airflow_db):
    sign_in(client, owner)
    assert "no Airflow metadata database URL configured" in _test(client, workspace, prod).content.decode()
    claimed = f"sqlite:///{airflow_db.conn.execute('PRAGMA database_list').fetchone()[2]}"
    assert "already" in _test(client, workspace, prod, claimed).content.decode()


def test_a_file_that_is_not_airflows_is_refused(client, owner, workspace, dev, settings):
    (settings.VAR_DIR / "airflow").mkdir(exist_ok=True)
    (settings.VAR_DIR / "airflow" / "empty.db").write_bytes(b"")
    sign_in(client, owner)
    html = _test(client, workspace, dev, f"sqlite:///{settings.VAR_DIR}/airflow/empty.db").content.decode()
    assert "not an Airflow metadata database" in html


@pytest.mark.parametrize(("role", "status"), [("operator", 403), ("author", 403), ("member", 403), ("outsider", 404)])
def test_only_owners_may_test(client, users, workspace, dev, airflow_db, role, status):
    sign_in(client, users[role])
    assert _test(client, workspace, dev).status_code == status


def test_the_settings_page_has_the_button_for_owners_only(client, owner, operator, workspace, dev):
    sign_in(client, owner)
    button = "Test connection</button>"
    assert button in client.get(url("deployment-settings", workspace.pk, dev.pk)).content.decode()
    sign_in(client, operator)
    assert button not in client.get(url("deployment-settings", workspace.pk, dev.pk)).content.decode()


def test_other_workspaces_deployments_are_404(client, owner, workspace, other_workspace):
    theirs = DeploymentFactory(workspace=other_workspace, name="theirs")
    sign_in(client, owner)
    assert _test(client, other_workspace, theirs).status_code == 404
