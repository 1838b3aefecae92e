"""Two people migrating the same Deployment at the same moment: every object is migrated exactly once."""

import threading

import pytest
from django.db import connection

from envmanager.kinds import Kind
from envmanager.models import AuditEntry, EnvObject, Link, MigrationRun
from envmanager.services.migration import MigrationInProgress, airflow_migration_apply

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.mark.parametrize("engine", ["postgresql"])
def test_two_simultaneous_migrations_migrate_each_object_once(source_deployment, airflow, owner, operator):
    _, db = airflow
    ids = [db.add_variable(f"var_{i}", f"value {i}") for i in range(40)]
    barrier = threading.Barrier(2)
    outcomes = []

    def migrate(actor):
        try:
            barrier.wait()
            outcomes.append(airflow_migration_apply(
                deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=actor
            ))
        except MigrationInProgress as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=migrate, args=(user,)) for user in (owner, operator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    results = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(outcomes) == 2 and results
    migrated = [key for result in results for key in result.migrated + result.overridden]
    assert sorted(migrated) == sorted(f"var_{i}" for i in range(40))  # each exactly once, across both runs
    assert EnvObject.objects.filter(kind=Kind.VARIABLE).count() == 40
    assert Link.objects.filter(deployment=source_deployment).count() == 40
    assert AuditEntry.objects.filter(action="env_object.migrate").count() == 40
    assert not MigrationRun.objects.filter(finished_at__isnull=True).exists()
