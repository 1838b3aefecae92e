"""The drift report: shadowed keys (same / differs, secrets compared), keys only in the metastore."""

import json

import pytest

from envmanager.selectors.drift import drift_report
from envmanager.selectors.migration import MigrationNotPossible
from envmanager.services import links as link_services
from tests.conftest import AIRFLOW_DB_SECRET
from tests.factories import ConnectionFactory, DeploymentFactory


@pytest.fixture
def shadowing(workspace, dev, airflow_db):
    """warehouse held in envmanager with the same values; shared linked with another value; region only in Airflow."""
    dev.refresh_from_db()  # airflow_db set its metadata database URL
    warehouse = ConnectionFactory(workspace=workspace, key="warehouse", fields={
        "conn_type": "postgres", "host": "db", "password": AIRFLOW_DB_SECRET})
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    from envmanager.models import EnvObject

    link_services.link_create(env_object=EnvObject.objects.get(key="shared"), actor=None, target=dev)
    return warehouse


def _statuses(report):
    return {item.key: (item.status, item.fields) for item in report.shadowed}


def test_shadowed_keys_are_same_or_differ_and_the_rest_are_candidates(dev, shadowing):
    report = drift_report(deployment=dev)

    assert _statuses(report) == {"warehouse": ("same", []), "shared": ("differs", ["value"])}
    only = {item.key: item.reason for item in report.only_in_metastore}
    assert set(only) == {"bad key", "region"} and only["region"] == "" and "not a valid" in only["bad key"]


def test_a_secret_that_differs_is_named_never_shown(dev, shadowing):
    from envmanager.services.env_objects import env_object_update

    env_object_update(env_object=shadowing, actor=None, fields={"password": "envmanager-only-pw"})

    report = drift_report(deployment=dev)

    assert _statuses(report)["warehouse"] == ("differs", ["password"])
    text = json.dumps(report.as_dict())
    assert AIRFLOW_DB_SECRET not in text and "envmanager-only-pw" not in text


def test_an_override_is_what_is_compared(dev, prod, shadowing):
    link_services.link_set_override(env_object=shadowing, actor=None, target=dev, fields={"host": "elsewhere"})
    assert _statuses(drift_report(deployment=dev))["warehouse"] == ("differs", ["host"])


def test_a_deployment_without_a_metadata_database_is_refused(workspace):
    with pytest.raises(MigrationNotPossible, match="no Airflow metadata database URL"):
        drift_report(deployment=DeploymentFactory(workspace=workspace, name="bare"))
