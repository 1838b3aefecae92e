import pytest
from cryptography.fernet import Fernet
from django.core.management.base import CommandError

from envmanager.models import Deployment
from tests.conftest import airflow_url

from .conftest import MARKER, db_state


def test_sets_secrets_from_stdin_without_printing_them(run, workspace, dev):
    key = Fernet.generate_key().decode()
    url = airflow_url(f"dev-{MARKER}")

    output = run("deployment_update", "--deployment", "dev", "--metadata-db-url", "-", "--fernet-key", "-",
                 stdin=f"{url}\n{key}\n")

    dev = Deployment.objects.get(pk=dev.pk)
    assert dev.reveal_metadata_db_url() == url and dev.reveal_fernet_keys() == [key]
    assert "metadata database URL: set; Fernet keys: set" in output.out
    assert MARKER not in output.both and key not in output.both


def test_rename_mode_and_clear(run, workspace, dev):
    run("deployment_update", "--deployment", "dev", "--metadata-db-url", airflow_url())

    run("deployment_update", "--deployment", "dev", "--rename", "development",
        "--execution-mode", "remote_execution", "--clear-metadata-db-url")

    dev = Deployment.objects.get(pk=dev.pk)
    assert (dev.name, dev.execution_mode, dev.has_metadata_db_url) == ("development", "remote_execution", False)


def test_bad_input_is_one_line_and_changes_nothing(run, workspace, dev, prod):
    before = db_state()
    with pytest.raises(CommandError, match="must start with postgresql:// or sqlite://"):
        run("deployment_update", "--deployment", "dev", "--metadata-db-url", "mysql://x")
    with pytest.raises(CommandError, match="already has a Deployment named 'prod'"):
        run("deployment_update", "--deployment", "dev", "--rename", "prod")
    with pytest.raises(CommandError, match="Fernet key #1 is not a valid Fernet key"):
        run("deployment_update", "--deployment", "dev", "--fernet-key", "nope")
    assert db_state() == before


def test_dry_run_changes_nothing(run, workspace, dev):
    before = db_state()
    output = run("deployment_update", "--deployment", "dev", "--rename", "x", "--dry-run")
    assert "Would update Deployment 'x'" in output.out and db_state() == before
