"""The drift card on a Deployment's overview: loaded after the page, a clear error when the db is unreachable."""

from envmanager.models import EnvObject
from envmanager.services import links as link_services
from tests.conftest import AIRFLOW_DB_SECRET

from .conftest import htmx_headers, url


def test_overview_loads_the_card_after_the_page(client, workspace, dev, author, member, airflow_db):
    client.force_login(author)
    overview = client.get(url("deployment-detail", workspace.pk, dev.pk)).text
    drift_url = url("deployment-drift", workspace.pk, dev.pk)
    assert f'hx-get="{drift_url}"' in overview and "warehouse" not in overview  # the page did not read the db
    client.force_login(member)  # a role without environment objects: no card, no report
    assert "drift-card" not in client.get(url("deployment-detail", workspace.pk, dev.pk)).text
    assert client.get(drift_url).status_code == 403


def test_card_lists_shadowed_keys_and_candidates_never_secrets(client, workspace, dev, owner, airflow_db):
    link_services.link_create(env_object=EnvObject.objects.get(key="shared"), actor=None, target=dev)
    client.force_login(owner)
    card = client.get(url("deployment-drift", workspace.pk, dev.pk), headers=htmx_headers()).text
    assert card.lstrip().startswith('<section class="card" id="drift-card"')
    assert "<code>shared</code>:\n        <strong>differs</strong> (value)" in card
    assert "<code>warehouse</code>" in card and "Migrate connections" in card
    assert AIRFLOW_DB_SECRET not in card and "dev-value" not in card and "workspace-value" not in card
    page = client.get(url("deployment-drift", workspace.pk, dev.pk)).text  # without htmx: a page of its own
    assert "<h1>Drift between envmanager" in page


def test_an_unreachable_database_is_a_clear_error(client, workspace, dev, owner, airflow_db, tmp_path):
    (tmp_path / "airflow" / "airflow.db").unlink()
    client.force_login(owner)
    card = client.get(url("deployment-drift", workspace.pk, dev.pk), headers=htmx_headers())
    assert card.status_code == 200 and "cannot be reached" in card.text and 'role="alert"' in card.text


def test_no_card_without_a_metadata_database_and_other_workspaces_get_404(client, workspace, prod, owner, outsider):
    client.force_login(owner)
    assert "drift-card" not in client.get(url("deployment-detail", workspace.pk, prod.pk)).text
    client.force_login(outsider)
    assert client.get(url("deployment-drift", workspace.pk, prod.pk)).status_code == 404
