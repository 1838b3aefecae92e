"""The drift card on a Deployment's overview, in Chromium: loaded after the page by htmx."""

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from envmanager.airflow_db.sample import create_sample_database
from envmanager.services import links as link_services
from envmanager.services.workspaces import deployment_update
from tests.browser.conftest import sign_in
from tests.factories import VariableFactory

pytestmark = pytest.mark.browser
KEY = Fernet.generate_key().decode()


def test_the_overview_shows_shadowed_keys_and_candidates(page, owner, workspace, dev, tmp_path):
    url = f"sqlite:///{tmp_path}/airflow/airflow.db"
    db = create_sample_database(url, fernet_keys=[KEY])
    db.add_variable("shared", "airflow-value")
    db.add_variable("region", "eu")
    db.close()
    shared = VariableFactory(workspace=workspace, key="shared", fields={"value": "envmanager-value"})
    link_services.link_create(env_object=shared, actor=None, target=dev)
    deployment_update(deployment=dev, metadata_db_url=url, fernet_keys=KEY)
    sign_in(page, owner)
    page.goto(f"/workspaces/{workspace.pk}/deployments/{dev.pk}/")

    card = page.locator("#drift-card")
    expect(card).to_contain_text("1 shadowed in the metastore (0 same, 1 differs)")
    expect(card.locator("li", has_text="shared")).to_contain_text("differs (value)")
    expect(card.locator("li", has_text="region")).to_be_visible()
    expect(card).not_to_contain_text("airflow-value")
