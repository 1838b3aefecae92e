"""Deleting a Deployment or an IDE project removes exactly what its plan lists, and nothing else."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from envmanager.models import (
    ApiToken,
    AuditEntry,
    Deployment,
    DeploymentGroupObjectPermission,
    EnvObject,
    IdeProject,
    Link,
    MigrationRun,
)
from envmanager.selectors.target_deletion import (
    deployment_deletion_plan,
    ide_project_deletion_plan,
)
from envmanager.services import links as link_services
from envmanager.services import tokens as token_services
from envmanager.services.migration import deployment_migration_lock
from envmanager.services.target_deletion import deployment_delete, ide_project_delete
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    IdeProjectFactory,
    VariableFactory,
)

pytestmark = pytest.mark.django_db

MODELS = (EnvObject, Link, ApiToken, MigrationRun, Deployment, IdeProject)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture
def setup(workspace, dev, prod):
    """dev and prod share Workspace objects; dev has its own objects, overrides, an exclusion, tokens, runs."""
    ide = IdeProjectFactory(workspace=workspace, name="notebooks")
    shared = ConnectionFactory(workspace=workspace, key="warehouse", linked_to_all=True)
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    excluded = VariableFactory(workspace=workspace, key="excluded_one", linked_to_all=True)
    for target in (dev, prod, ide):
        link_services.link_create(env_object=region, actor=None, target=target)
    link_services.link_set_override(env_object=shared, actor=None, target=dev, fields={"host": "dev-db"})
    link_services.link_set_override(env_object=shared, actor=None, target=prod, fields={"host": "prod-db"})
    link_services.link_set_override(env_object=region, actor=None, target=ide, fields={"value": "ide"})
    link_services.link_exclude(env_object=excluded, actor=None, target=dev)
    VariableFactory(workspace=workspace, deployment=dev, key="dev_only", fields={"value": "x"})
    EnvVarFactory(workspace=workspace, deployment=dev, key="DEV_FLAG")
    VariableFactory(workspace=workspace, deployment=prod, key="prod_only", fields={"value": "y"})
    token_services.api_token_create(actor=None, name="airflow-dev", target=dev)
    revoked = token_services.api_token_create(actor=None, name="old", target=dev).api_token
    token_services.api_token_revoke(api_token=revoked, actor=None)
    token_services.api_token_create(actor=None, name="airflow-prod", target=prod)
    token_services.api_token_create(actor=None, name="ide", target=ide)
    now = timezone.now()
    MigrationRun.objects.create(deployment=dev, kind="variable", started_by_name="a", state="finished", finished_at=now)
    MigrationRun.objects.create(deployment=dev, kind="connection", started_by_name="a", state="failed", finished_at=now)
    MigrationRun.objects.create(deployment=prod, kind="variable", started_by_name="a", state="finished", finished_at=now)
    return {"ide": ide}


def test_the_plan_lists_the_deployments_objects_links_tokens_and_runs(setup, dev, django_assert_num_queries):
    with django_assert_num_queries(4):
        plan = deployment_deletion_plan(deployment=dev)

    assert [(o.kind, o.key) for o in plan.env_objects] == [("env", "DEV_FLAG"), ("variable", "dev_only")]
    assert [(link.key, link.excluded, link.has_override) for link in plan.links] == [
        ("warehouse", False, True), ("excluded_one", True, False), ("region", False, False),
    ]
    assert sorted(t.name for t in plan.api_tokens) == ["airflow-dev", "old"]
    assert plan.migration_runs == 2
    assert plan.overrides == 1


def test_deployment_delete_removes_exactly_what_the_plan_listed(setup, workspace, dev, prod, owner):
    plan = deployment_deletion_plan(deployment=dev)
    prod_plan_before = deployment_deletion_plan(deployment=prod)
    before = row_counts()
    workspace_objects = list(EnvObject.objects.filter(deployment__isnull=True).order_by("pk").values())

    deployment_delete(deployment=dev, actor=owner)

    after = row_counts()
    assert before["EnvObject"] - after["EnvObject"] == len(plan.env_objects) == 2
    assert before["Link"] - after["Link"] == len(plan.links) == 3
    assert before["ApiToken"] - after["ApiToken"] == len(plan.api_tokens) == 2
    assert before["MigrationRun"] - after["MigrationRun"] == plan.migration_runs == 2
    assert before["Deployment"] - after["Deployment"] == 1
    assert before["IdeProject"] == after["IdeProject"]
    # Workspace objects stay untouched; the other Deployment keeps all it had.
    assert list(EnvObject.objects.filter(deployment__isnull=True).order_by("pk").values()) == workspace_objects
    assert deployment_deletion_plan(deployment=prod) == prod_plan_before
    assert not DeploymentGroupObjectPermission.objects.filter(content_object_id=dev.pk).exists()
    entry = AuditEntry.objects.get(action="deployment.delete")
    assert entry.target_label == "Deployment 'dev'" and entry.actor == owner and entry.workspace == workspace
    assert sorted(o["key"] for o in entry.changes["removed"]["env_objects"]) == ["DEV_FLAG", "dev_only"]
    assert entry.changes["removed"]["migration_runs"] == 2


def test_deployment_delete_runs_a_fixed_number_of_queries(setup, workspace, dev, owner):
    def count(deployment):
        with CaptureQueriesContext(connection) as queries:
            deployment_delete(deployment=deployment, actor=owner)
        return len(queries)

    first = count(dev)
    # The same delete with more rows of every kind takes the same queries.
    bigger = DeploymentFactory(workspace=workspace, name="dev2")
    for n in range(4):
        VariableFactory(workspace=workspace, deployment=bigger, key=f"own_{n}")
        link_services.link_create(
            env_object=VariableFactory(workspace=workspace, key=f"ws_{n}"), actor=None, target=bigger
        )
        token_services.api_token_create(actor=None, name=f"t{n}", target=bigger)
        # Runs (dev has two) bring their restore snapshots' cascade: a query of their own, not one per run.
        MigrationRun.objects.create(deployment=bigger, kind="variable", started_by_name="a", state="finished",
                                    finished_at=timezone.now())
    assert count(bigger) == first


def test_ide_project_delete_removes_its_links_and_tokens_only(setup, workspace, dev, owner):
    ide = setup["ide"]
    plan = ide_project_deletion_plan(ide_project=ide)
    assert [link.key for link in plan.links] == ["region"] and plan.overrides == 1
    assert [t.name for t in plan.api_tokens] == ["ide"]
    before = row_counts()

    ide_project_delete(ide_project=ide, actor=owner)

    after = row_counts()
    assert before["Link"] - after["Link"] == 1
    assert before["ApiToken"] - after["ApiToken"] == 1
    assert before["IdeProject"] - after["IdeProject"] == 1
    assert before["EnvObject"] == after["EnvObject"] and before["Deployment"] == after["Deployment"]
    assert AuditEntry.objects.filter(action="ide_project.delete", target_label="IDE project 'notebooks'").count() == 1


@pytest.mark.parametrize("role", ["owner", "operator"])
def test_owners_and_operators_may_delete(request, setup, dev, role):
    deployment_delete(deployment=dev, actor=request.getfixturevalue(role))
    ide_project_delete(ide_project=setup["ide"], actor=request.getfixturevalue(role))
    assert not Deployment.objects.filter(pk=dev.pk).exists()
    assert not IdeProject.objects.filter(pk=setup["ide"].pk).exists()


@pytest.mark.parametrize("role", ["author", "member", "outsider"])
def test_others_may_not_delete_and_nothing_changes(request, setup, dev, role):
    user = request.getfixturevalue(role)
    before = row_counts()
    with pytest.raises(PermissionDenied):
        deployment_delete(deployment=dev, actor=user)
    with pytest.raises(PermissionDenied):
        ide_project_delete(ide_project=setup["ide"], actor=user)
    assert row_counts() == before


def test_refused_while_a_migration_run_holds_the_deployments_lock(setup, dev, owner):
    before = row_counts()
    with deployment_migration_lock(dev) as locked:
        assert locked
        with pytest.raises(ValidationError, match="Migrate from Airflow run is in progress on Deployment 'dev'"):
            deployment_delete(deployment=dev, actor=owner)
    assert row_counts() == before


def test_an_unfinished_run_of_a_dead_process_does_not_block(setup, dev, owner):
    MigrationRun.objects.create(deployment=dev, kind="variable", started_by_name="gone")
    deployment_delete(deployment=dev, actor=owner)
    assert not MigrationRun.objects.filter(deployment_id=dev.pk).exists()


def test_deleting_twice_is_a_clear_error(setup, dev, owner):
    deployment_delete(deployment=dev, actor=None)
    with pytest.raises(ValidationError, match="Deployment 'dev' was already deleted"):
        deployment_delete(deployment=dev, actor=None)


def test_no_secret_in_the_audit_entry(workspace, dev, owner):
    ConnectionFactory(workspace=workspace, deployment=dev, key="own", fields={"conn_type": "http", "password": "pw-9x"})
    deployment_delete(deployment=dev, actor=owner)
    assert "pw-9x" not in str(AuditEntry.objects.get(action="deployment.delete").changes)


def test_query_count_of_the_plan_does_not_grow_with_rows(workspace, dev, prod):
    for n in range(5):
        VariableFactory(workspace=workspace, deployment=dev, key=f"own_{n}")
        link_services.link_create(env_object=VariableFactory(workspace=workspace, key=f"ws_{n}"), actor=None, target=dev)
    with CaptureQueriesContext(connection) as queries:
        deployment_deletion_plan(deployment=dev)
    assert len(queries) == 4
