import json

import pytest
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.selectors.environment import deployment_effective_environment, entry_as_dict
from envmanager.services import links as link_services
from tests.commands.conftest import MARKER
from tests.factories import ConnectionFactory, EnvVarFactory, IdeProjectFactory, VariableFactory


@pytest.fixture
def environment(workspace, dev, prod):
    """dev receives a Workspace connection with an override, a Workspace variable and its own variable."""
    warehouse = ConnectionFactory(
        workspace=workspace, key="warehouse",
        fields={"conn_type": "postgres", "host": "db.internal", "login": "etl", "password": MARKER},
    )
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_set_override(
        env_object=warehouse, actor=None, target=dev, fields={"host": "dev-db.internal", "password": MARKER + "2"}
    )
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    VariableFactory(workspace=workspace, deployment=dev, key="batch_size", fields={"value": "10"})
    VariableFactory(workspace=workspace, deployment=dev, key="api_token", fields={"value": MARKER}, is_secret=True)
    return warehouse


def test_text_shows_each_value_with_its_source_and_masks_secrets(run, environment):
    result = run("env_show", deployment="dev")

    assert "Effective environment of Deployment 'dev' in Workspace 'Data Platform': 4 objects." in result.out
    assert "Airflow connection 'warehouse'  [Workspace + override]" in result.out
    assert "  host: dev-db.internal  (override)" in result.out
    assert "  login: etl\n" in result.out
    assert "  password: set  (override)" in result.out
    assert "  extra: not set" in result.out
    assert "Airflow variable 'region'  [Workspace object]" in result.out
    assert "Airflow variable 'batch_size'  [Deployment object]" in result.out
    assert "Airflow variable 'api_token'  [Deployment object]\n  value: set" in result.out
    assert MARKER not in result.both


def test_json_is_the_read_api_shape_with_secret_values_null(run, dev, environment):
    result = run("env_show", deployment="dev", format="json")

    expected = [entry_as_dict(entry, reveal=False) for entry in deployment_effective_environment(deployment=dev)]
    assert json.loads(result.out) == expected
    assert len(expected) == 4
    assert MARKER not in result.out


def test_type_filter(run, environment):
    result = run("env_show", deployment="dev", type="connections", format="json")

    assert [entry["key"] for entry in json.loads(result.out)] == ["warehouse"]


def test_ide_project_environment(run, workspace, environment):
    notebooks = IdeProjectFactory(workspace=workspace, name="notebooks")
    link_services.link_create(env_object=environment, actor=None, target=notebooks)

    result = run("env_show", ide_project="notebooks")

    assert "Effective environment of IDE project 'notebooks' in Workspace 'Data Platform': 1 object." in result.out
    assert "  host: db.internal\n" in result.out
    assert "[Workspace object]" in result.out


def test_needs_exactly_one_target(run, workspace, dev):
    with pytest.raises(CommandError, match="one of the arguments --deployment --ide-project is required"):
        run("env_show")
    with pytest.raises(CommandError, match="No IDE project named 'nope'"):
        run("env_show", ide_project="nope")


def test_unknown_type(run, dev):
    with pytest.raises(CommandError, match="Unknown type 'secrets'"):
        run("env_show", deployment="dev", type="secrets")


def _count_queries(run, **options) -> int:
    with CaptureQueriesContext(connection) as queries:
        run("env_show", **options)
    return len(queries)


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_query_count_does_not_grow_with_objects(run, workspace, dev, output_format):
    def add_objects(n):
        for _ in range(n):
            linked = ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "password": "pw"})
            link_services.link_create(env_object=linked, actor=None, target=dev)
            link_services.link_set_override(env_object=linked, actor=None, target=dev, fields={"host": "h"})
            EnvVarFactory(workspace=workspace, deployment=dev)

    add_objects(2)
    small = _count_queries(run, deployment="dev", format=output_format)
    add_objects(4)
    large = _count_queries(run, deployment="dev", format=output_format)

    assert small == large <= 4
