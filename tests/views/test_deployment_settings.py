"""Deployment settings: name, execution mode, and the write-only metadata database secrets."""

import pytest
from cryptography.fernet import Fernet

from envmanager.models import AuditEntry, Deployment
from tests.conftest import airflow_url
from tests.views.conftest import htmx_headers, url


@pytest.fixture
def secret_url():
    """The URL of a real Airflow metadata database; its file name is the canary."""
    return airflow_url("settings-canary-77")


def _post(client, workspace, dev, **data):
    fields = {"name": dev.name, "execution_mode": "standard", "metadata_db_url": "", "fernet_keys": "", **data}
    return client.post(url("deployment-settings", workspace.pk, dev.pk), fields, headers=htmx_headers())


def test_owner_sets_the_metadata_database_write_only(client, workspace, dev, owner, secret_url):
    key = Fernet.generate_key().decode()
    client.force_login(owner)

    response = _post(client, workspace, dev, metadata_db_url=secret_url, fernet_keys=key)

    assert response.status_code == 200 and "env-changed" in response.headers["HX-Trigger"]
    dev = Deployment.objects.get(pk=dev.pk)
    assert dev.reveal_metadata_db_url() == secret_url and dev.reveal_fernet_keys() == [key]
    for page in (url("deployment-settings", workspace.pk, dev.pk), url("deployment-detail", workspace.pk, dev.pk)):
        text = client.get(page).text
        assert "settings-canary-77" not in text and key not in text and "gAAAA" not in text
    assert "settings-canary-77" not in repr(list(AuditEntry.objects.values_list("changes", flat=True)))


def test_operators_rename_but_never_set_the_metadata_database(client, workspace, dev, operator, secret_url):
    """Finding: an Operator could plant a URL that fired when an Owner opened the Environment tab."""
    client.force_login(operator)
    assert "metadata_db_url" not in client.get(url("deployment-settings", workspace.pk, dev.pk)).text

    response = _post(client, workspace, dev, name="dev-2", metadata_db_url=secret_url,
                     fernet_keys=Fernet.generate_key().decode())

    assert response.status_code == 200
    dev = Deployment.objects.get(pk=dev.pk)
    assert (dev.name, dev.has_metadata_db_url, dev.has_fernet_keys) == ("dev-2", False, False)


def test_empty_secrets_keep_the_stored_values_and_clear_removes_them(client, workspace, dev, owner, secret_url):
    client.force_login(owner)
    _post(client, workspace, dev, metadata_db_url=secret_url)

    _post(client, workspace, dev, name="dev-renamed")
    dev = Deployment.objects.get(pk=dev.pk)
    assert dev.name == "dev-renamed" and dev.reveal_metadata_db_url() == secret_url

    _post(client, workspace, dev, clear_metadata_db_url="on")
    assert not Deployment.objects.get(pk=dev.pk).has_metadata_db_url


@pytest.mark.parametrize("data, error", [
    ({"metadata_db_url": "mysql://x"}, "must start with postgresql:// or sqlite://"),
    ({"fernet_keys": "not-a-key"}, "is not a valid Fernet key"),
    ({"name": "prod"}, "already has a Deployment named"),
    ({"metadata_db_url": "secret_url", "clear_metadata_db_url": "on"}, "not both"),
])
def test_bad_input_shows_an_error_and_changes_nothing(client, workspace, dev, prod, owner, data, error, secret_url):
    client.force_login(owner)
    response = _post(client, workspace, dev, **{k: secret_url if v == "secret_url" else v for k, v in data.items()})
    assert response.status_code == 200 and error in response.text
    assert "settings-canary-77" not in response.text
    dev = Deployment.objects.get(pk=dev.pk)
    assert (dev.name, dev.has_metadata_db_url, dev.has_fernet_keys) == ("dev", False, False)


@pytest.mark.parametrize("role, status", [("author", 403), ("member", 403), ("outsider", 404)])
def test_others_are_refused(client, users, workspace, dev, role, status, secret_url):
    client.force_login(users[role])
    assert _post(client, workspace, dev, metadata_db_url=secret_url).status_code == status
    assert not Deployment.objects.get(pk=dev.pk).has_metadata_db_url


def test_the_button_shows_for_operators_only(client, workspace, dev, operator, author):
    client.force_login(operator)
    assert "Edit settings" in client.get(url("deployment-detail", workspace.pk, dev.pk)).text
    client.force_login(author)
    assert "Edit settings" not in client.get(url("deployment-detail", workspace.pk, dev.pk)).text
