"""The squashed migrations: a database that ran the replaced ones upgrades in place; one partway is stopped."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

from envmanager.checks import squashed_migrations_check

SQUASHES = {
    ("envmanager", "0001_squashed_0019_migration_restore_snapshots"),
    ("accounts", "0001_squashed_0004_sso_identity"),
}


def _replaced(app, name):
    return MigrationExecutor(connection).loader.disk_migrations[(app, name)].replaces


def _record_as_a_database_made_before_the_squash(*, replaced_until=None):
    """The rows django_migrations holds in a database the replaced migrations made (up to `replaced_until`)."""
    recorded = MigrationRecorder.Migration.objects.filter(app__in=["envmanager", "accounts"])
    recorded.delete()
    for app, name in sorted(SQUASHES):
        for replaced_app, replaced_name in _replaced(app, name):
            MigrationRecorder.Migration.objects.create(app=replaced_app, name=replaced_name)
            if (replaced_app, replaced_name) == replaced_until:
                break


def _plan():
    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def test_a_new_database_records_the_squashed_migrations_and_what_they_replace(db):
    recorded = set(MigrationRecorder(connection).applied_migrations())
    for app, name in SQUASHES:
        assert (app, name) in recorded
        assert set(_replaced(app, name)) <= recorded
    assert squashed_migrations_check(None, databases=["default"]) == []


def test_a_database_that_ran_every_replaced_migration_has_nothing_to_migrate(db):
    _record_as_a_database_made_before_the_squash()
    assert not MigrationRecorder.Migration.objects.filter(name__contains="squashed").exists()

    applied = MigrationExecutor(connection).loader.applied_migrations

    assert SQUASHES <= set(applied)
    assert _plan() == []
    assert squashed_migrations_check(None, databases=["default"]) == []


def test_a_database_partway_through_the_replaced_migrations_is_stopped_before_migrate_changes_anything(db):
    _record_as_a_database_made_before_the_squash(replaced_until=("envmanager", "0012_audit_chain"))
    before = list(MigrationRecorder.Migration.objects.order_by("id").values_list("app", "name"))

    [error] = squashed_migrations_check(None, databases=["default"])
    assert error.id == "envmanager.E001"
    assert "envmanager 0001_squashed_0019_migration_restore_snapshots" in error.msg
    assert "7 not run, the first: envmanager 0013_operators_delete_deployments" in error.msg
    assert "docs/upgrading.md" in error.hint
    with pytest.raises(SystemCheckError, match="envmanager.E001"):
        call_command("migrate", skip_checks=False, verbosity=0)

    assert list(MigrationRecorder.Migration.objects.order_by("id").values_list("app", "name")) == before


def test_the_check_leaves_databases_alone_unless_asked(db):
    _record_as_a_database_made_before_the_squash(replaced_until=("envmanager", "0001_initial"))

    assert squashed_migrations_check(None) == []  # plain `manage.py check`: no database is read
