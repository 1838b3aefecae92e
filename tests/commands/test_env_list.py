import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.services import links as link_services
from tests.commands.conftest import MARKER
from tests.factories import ConnectionFactory, EnvVarFactory, IdeProjectFactory, VariableFactory


@pytest.fixture
def objects(workspace, dev, prod):
    warehouse = ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "http", "password": MARKER}
    )
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_create(env_object=warehouse, actor=None, target=prod)
    link_services.link_set_override(env_object=warehouse, actor=None, target=prod, fields={"host": "prod"})
    notebooks = IdeProjectFactory(workspace=workspace, name="notebooks")
    link_services.link_create(env_object=warehouse, actor=None, target=notebooks)
    flag = EnvVarFactory(workspace=workspace, key="LOG_LEVEL", linked_to_all=True)
    link_services.link_exclude(env_object=flag, actor=None, target=prod)
    VariableFactory(workspace=workspace, key="unused")
    VariableFactory(workspace=workspace, deployment=prod, key="batch_size", fields={"value": "5"})


def test_text_lists_workspace_objects_with_their_links(run, objects):
    result = run("env_list")

    assert "3 objects in Workspace 'Data Platform'." in result.out
    lines = result.out.splitlines()
    assert lines[1].split() == ["TYPE", "KEY", "LINKED", "TO"]
    assert "warehouse" in lines[2] and lines[2].endswith("dev; prod (override); IDE project notebooks")
    assert "unused" in lines[3] and lines[3].endswith("not linked")
    assert "LOG_LEVEL" in lines[4] and lines[4].endswith("all Deployments except prod")
    assert MARKER not in result.both


def test_deployment_scope(run, objects):
    result = run("env_list", deployment="prod")

    assert "1 object in Deployment 'prod'." in result.out
    assert "batch_size" in result.out and "warehouse" not in result.out


def test_json_shape_without_secret_values(run, objects):
    result = run("env_list", type="connection", format="json")

    [warehouse] = json.loads(result.out)
    assert warehouse["key"] == "warehouse" and warehouse["scope"] == "workspace"
    assert warehouse["fields"]["password"] == {"value": None, "secret": True, "is_set": True}
    assert warehouse["fields"]["conn_type"] == {"value": "http", "secret": False, "is_set": True}
    links = {(link["deployment"], link["ide_project"], tuple(link["overridden_fields"])) for link in warehouse["links"]}
    assert links == {("dev", None, ()), ("prod", None, ("host",)), (None, "notebooks", ())}
    assert MARKER not in result.out


def test_query_count_does_not_grow_with_objects(run, workspace, dev):
    def count():
        with CaptureQueriesContext(connection) as queries:
            run("env_list", format="json")
        return len(queries)

    def add(n):
        for _ in range(n):
            obj = ConnectionFactory(workspace=workspace)
            link_services.link_create(env_object=obj, actor=None, target=dev)

    add(2)
    small = count()
    add(4)
    assert count() == small <= 3
