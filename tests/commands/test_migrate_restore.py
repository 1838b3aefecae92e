"""migrate_from_airflow --keep-source, migration_runs and migrate_restore."""

import re

import pytest
from django.core.management.base import CommandError

from envmanager.models import EnvObject, MigrationRun
from tests.conftest import AIRFLOW_DB_SECRET, airflow_db_keys

from .conftest import db_state


def _rows(db, table):
    return db.conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def _migrate(run, *args):
    output = run("migrate_from_airflow", "--deployment", "dev", "--yes", *args)
    return output, [int(n) for n in re.findall(r"\brun (\d+) ", output.out)]


def test_migrate_prints_its_run_and_restore_puts_every_row_back(run, airflow_db):
    before = {table: _rows(airflow_db, table) for table in ("connection", "variable")}
    _, numbers = _migrate(run)
    assert len(numbers) == 2 and airflow_db_keys(airflow_db, "variable") == set()

    listing = run("migration_runs", "--deployment", "dev").out
    assert all(str(n) in listing for n in numbers) and "1 migrated" in listing and "finished" in listing

    dry = run("migrate_restore", "--deployment", "dev", "--run", str(numbers[1]), "--dry-run")
    assert "Would write 2 rows back into Airflow and remove envmanager's copy of 2 rows." in dry.out
    assert "region" in dry.out and "remove object" in dry.out and "remove link/override" in dry.out
    assert airflow_db_keys(airflow_db, "variable") == set()

    for number in numbers:
        out = run("migrate_restore", "--deployment", "dev", "--run", str(number), "--yes").out
        assert "Restored" in out and AIRFLOW_DB_SECRET not in out
    assert {table: _rows(airflow_db, table) for table in ("connection", "variable")} == before
    assert not EnvObject.objects.filter(key__in=["warehouse", "region"]).exists()
    assert "restored" in run("migration_runs", "--deployment", "dev").out
    again = run("migrate_restore", "--deployment", "dev", "--run", str(numbers[0]), "--yes").out
    assert "restored already; nothing to do" in again


def test_keep_source_copies_without_deleting(run, airflow_db):
    before = _rows(airflow_db, "connection")
    output, [connections, _] = _migrate(run, "--keep-source")
    assert _rows(airflow_db, "connection") == before
    assert EnvObject.objects.get(key="warehouse").reveal("password") == AIRFLOW_DB_SECRET
    assert MigrationRun.objects.get(pk=connections).keep_source
    assert "copy only" in run("migration_runs", "--deployment", "dev").out


def test_restore_refuses_without_confirmation_and_an_unknown_run(run, airflow_db):
    _, numbers = _migrate(run)
    before = db_state()
    with pytest.raises(CommandError, match="Add --yes"):
        run("migrate_restore", "--deployment", "dev", "--run", str(numbers[0]))
    with pytest.raises(CommandError, match="has no migration run 999; `migration_runs --deployment dev`"):
        run("migrate_restore", "--deployment", "dev", "--run", "999", "--yes")
    assert db_state() == before


def test_no_runs_listed(run, dev):
    assert "has no migration runs" in run("migration_runs", "--deployment", "dev").out
