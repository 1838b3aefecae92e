"""Changelists run a number of queries that does not grow with the number of rows."""

import pytest

from envmanager.models import (
    AuditEntry,
    Deployment,
    EnvObject,
    IdeProject,
    Link,
    Membership,
    Role,
    Workspace,
    WorkspaceRoleGroup,
)
from envmanager.services import links as link_services
from tests import factories
from tests.admin.conftest import admin_url
from tests.conftest import airflow_url

# Pinned per changelist: session, user, count(s), rows, filter choices. Rows must not add queries.
CEILINGS = {
    Workspace: 5,
    Deployment: 6,
    IdeProject: 6,
    EnvObject: 6,
    Link: 6,
    AuditEntry: 8,
    Membership: 6,
    WorkspaceRoleGroup: 6,
}


def _populate(n: int) -> None:
    """Make n Workspaces with a row of every kind each, secrets and overrides included."""
    for i in range(n):
        workspace = factories.WorkspaceFactory(name=f"Team {i}")
        deployment = factories.DeploymentFactory(workspace=workspace, metadata_db_url=airflow_url(f"team-{i}"))
        ide_project = factories.IdeProjectFactory(workspace=workspace)
        factories.MembershipFactory(workspace=workspace, user=factories.UserFactory(), role=Role.OPERATOR)
        connection = factories.ConnectionFactory(workspace=workspace, fields={"conn_type": "http", "password": "pw"})
        factories.VariableFactory(workspace=workspace, deployment=deployment, is_secret=True)
        factories.EnvVarFactory(workspace=workspace)
        factories.MetricsExportFactory(workspace=workspace)
        link_services.link_create(env_object=connection, actor=None, target=deployment)
        link_services.link_set_override(
            env_object=connection, actor=None, target=deployment, fields={"host": "h", "password": "x"}
        )
        link_services.link_create(env_object=connection, actor=None, target=ide_project)


@pytest.mark.parametrize("n", [2, 6])
@pytest.mark.parametrize("model", list(CEILINGS), ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(su_client, django_assert_max_num_queries, model, n):
    _populate(n)
    url = admin_url(model)
    su_client.get(url)  # warm the session and content-type caches

    with django_assert_max_num_queries(CEILINGS[model]):
        response = su_client.get(url)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= n


@pytest.mark.parametrize("n", [2, 6])
def test_filtered_env_object_changelist_queries_do_not_grow(su_client, django_assert_max_num_queries, n):
    _populate(n)
    url = admin_url(EnvObject)
    query = {"kind__exact": "connection", "scope": "workspace", "q": "conn_"}
    su_client.get(url, query)

    with django_assert_max_num_queries(CEILINGS[EnvObject] + 1):  # + the unfiltered total for "n of N"
        response = su_client.get(url, query)

    assert [obj.kind for obj in response.context["cl"].result_list] == ["connection"] * n
