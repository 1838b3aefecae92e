"""A migration whose process was killed (SIGKILL, no chance to clean up) can be run again at once, and a
SQLite delete phase killed half-way leaves no database that every later read fails on (issue #10, finding 8)."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from envmanager.kinds import Kind
from envmanager.models import MigrationRun
from envmanager.selectors.migration import airflow_migration_plan
from envmanager.services.migration import MigrationInProgress, airflow_migration_apply

REPO = Path(__file__).resolve().parents[3]

HOLD_THE_LOCK = textwrap.dedent("""
    import sys, time
    import django
    django.setup()
    from envmanager.models import Deployment
    from envmanager.services.migration import deployment_migration_lock
    with deployment_migration_lock(Deployment(pk=int(sys.argv[1]))) as locked:
        print("locked" if locked else "busy", flush=True)
        time.sleep(600)
""")


def _process_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", ENVMANAGER_VAR_DIR=str(tmp_path), SECRET_KEY="s" * 50,
               ENVMANAGER_ENCRYPTION_KEYS="k" * 43 + "=")
    if connection.vendor == "postgresql":  # the advisory lock lives in the database under test
        own = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{own['USER']}@{own['HOST'] or '127.0.0.1'}:{own['PORT'] or 5432}/{own['NAME']}"
    return env


@pytest.fixture
def migrating_process(tmp_path, source_deployment):
    """Another process in the middle of migrating `source_deployment`: it holds the lock, its run row is open."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(source_deployment.pk)], cwd=REPO, env=_process_env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout.readline().strip() == "locked", process.stderr.read()
        MigrationRun.objects.create(deployment=source_deployment, kind=Kind.VARIABLE, started_by_name="cron")
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_run_killed_with_sigkill_is_taken_over_at_once(source_deployment, airflow, migrating_process):
    _, db = airflow
    ids = [db.add_variable(f"v{i}", str(i)) for i in range(3)]
    with pytest.raises(MigrationInProgress, match="cron is already migrating"):
        airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=None)

    os.kill(migrating_process.pid, signal.SIGKILL)
    migrating_process.wait(timeout=30)
    result = airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=None)

    assert sorted(result.migrated) == ["v0", "v1", "v2"]
    assert list(MigrationRun.objects.order_by("id").values_list("state", flat=True)) == ["abandoned", "finished"]


KILL_DURING_DELETE = textwrap.dedent("""
    import os, signal, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA cache_size=1")  # a tiny page cache: the delete spills into the file before commit
    conn.execute("BEGIN")
    conn.execute("DELETE FROM variable")
    os.kill(os.getpid(), signal.SIGKILL)  # killed mid-transaction: the journal is left hot
""")


@pytest.mark.parametrize("engine", ["sqlite"])
def test_a_hot_journal_left_by_a_killed_delete_is_rolled_back_by_the_next_run(source_deployment, airflow):
    url, db = airflow
    ids = [db.add_variable(f"var_{i}", "x" * 500) for i in range(300)]
    db.close()
    path = url.removeprefix("sqlite:///")
    killed = subprocess.run([sys.executable, "-c", KILL_DURING_DELETE, path], timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert os.path.getsize(f"{path}-journal") > 0
    with pytest.raises(sqlite3.OperationalError, match="readonly database"):  # what every read used to hit
        sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("SELECT count(*) FROM variable").fetchall()

    plan = airflow_migration_plan(deployment=source_deployment, kind=Kind.VARIABLE)

    assert len(plan.items) == 300  # the killed transaction was rolled back: nothing was lost
    result = airflow_migration_apply(deployment=source_deployment, kind=Kind.VARIABLE, source_ids=ids, actor=None)
    assert len(result.migrated) == 300 and result.failed == []
