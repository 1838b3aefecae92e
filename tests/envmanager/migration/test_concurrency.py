"""Two people migrating the same Deployment at the same moment: every object is migrated exactly once."""

from functools import partial

import pytest

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link, MigrationRun
from envmanager.services.migration import MigrationInProgress, airflow_migration_apply
from tests.concurrency import run_together

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("engine", ["postgresql"])
def test_two_simultaneous_migrations_migrate_each_object_once(source_deployment, airflow, owner, operator):
    _, db = airflow
    ids = [db.add_variable(f"var_{i}", f"value {i}") for i in range(40)]
    results, errors = run_together(
        *(partial(airflow_migration_apply, deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=user)
          for user in (owner, operator)),
        timeout=120,
    )
    assert all(isinstance(error, MigrationInProgress) for error in errors), errors
    assert len(results) + len(errors) == 2 and results
    migrated = [key for result in results for key in result.migrated + result.overridden]
    assert sorted(migrated) == sorted(f"var_{i}" for i in range(40))  # each exactly once, across both runs
    assert EnvObject.objects.filter(kind=Kind.VARIABLE).count() == 40
    assert Link.objects.filter(deployment=source_deployment).count() == 40
    assert AuditEntry.objects.filter(action="env_object.migrate").count() == 40
    assert not MigrationRun.objects.filter(finished_at__isnull=True).exists()
