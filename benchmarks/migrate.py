"""Migrate from Airflow at scale: 10,000 connections and 10,000 variables (Airflow 3 layout, encrypted).

    .venv/bin/python benchmarks/migrate.py

Prints, for SQLite and PostgreSQL (the Airflow metadata database on the same engine as envmanager's):
time to list (the plan), time to migrate everything, peak RSS, and SQL statements per object.
Targets: list < 2 s, migrate all < 20 s, peak RSS < 300 MB. Then (issue #14) what the restore
snapshots cost (the time spent making and saving them, measured directly, as a share of the run) and
the time to restore everything to Airflow (`migrate_restore`); and the cost of the version rows every
migrated object gets: the same migration into fresh Deployments with version recording switched off
and on again (with, without, without, with), and the ratio. Target: versions add < 20%.
"""

import os
import resource
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._django import main, postgres_database, setup_django  # noqa: E402

# ENVMANAGER_BENCH_PER_KIND runs it smaller (a loaded machine); the targets are for 10,000.
PER_KIND = int(os.environ.get("ENVMANAGER_BENCH_PER_KIND", "10000"))
TARGET_LIST_S, TARGET_MIGRATE_S, TARGET_RSS_MB = 2, 20, 300
TARGET_VERSIONS_RATIO = 1.20


def build_metadata_database(url: str, fernet_key: str):
    from envmanager.airflow_db.sample import create_sample_database

    db = create_sample_database(url, layout="3", fernet_keys=[fernet_key])
    db.conn.commit()
    # Inserted in one transaction each: row by row with a commit each would time the setup, not envmanager.
    db.execute = _batched(db)
    for i in range(PER_KIND):
        db.add_connection(f"conn_{i:05d}", "postgres", host=f"db{i}.internal", login="etl", password=f"pw-{i}",
                          port=5432, extra={"sslmode": "require"})
        db.add_variable(f"var_{i:05d}", f"value {i}")
    db.conn.commit()
    return db


def _batched(db):
    def execute(sql, params=()):
        cursor = db.conn.cursor()
        cursor.execute(db._sql(sql), params)
        return cursor
    return execute


def _metadata_url(label: str, name: str) -> str:
    if label == "SQLite":
        return f"sqlite:///{os.environ['ENVMANAGER_VAR_DIR']}/airflow/{name}.db"
    # Named after envmanager's own benchmark database, so two runs on one server never share one.
    own = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
    return postgres_database(f"{own}_{name}").replace("postgres://", "postgresql://")


@contextmanager
def snapshots_timed(spent: list[float]):
    """Add the time spent making and saving restore snapshots to spent[0]: their cost measured directly, under any load."""
    import envmanager.services.migration as migration

    def timed(function):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - started
        return call

    names = ("snapshot_for_object", "snapshot_for_link", "snapshots_save")
    with mock.patch.multiple(migration, **{name: timed(getattr(migration, name)) for name in names}):
        yield


def worker() -> int:
    setup_django()
    from cryptography.fernet import Fernet
    from django.db import connection

    from envmanager.kinds import Kind
    from envmanager.selectors.migration import airflow_migration_plan
    from envmanager.services import workspaces as workspace_services
    from envmanager.services.migration import airflow_migration_apply
    from envmanager.services.migration_restore import migration_restore_apply

    label = os.environ["ENVMANAGER_BENCH_LABEL"]
    key = Fernet.generate_key().decode()
    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    def migrate_everything(workspace_name: str, metadata_name: str, *, restore: bool = False):
        """Migrate both kinds from a fresh metadata database (and restore them); return report lines, setup and migrate time."""
        url = _metadata_url(label, metadata_name)
        started = time.perf_counter()
        build_metadata_database(url, key).close()
        setup_s = time.perf_counter() - started
        workspace = workspace_services.workspace_create(name=workspace_name)
        deployment = workspace_services.deployment_create(
            workspace=workspace, name="prod", metadata_db_url=url, fernet_keys=key
        )
        lines, total_s = [], 0.0
        for kind in (Kind.CONNECTION, Kind.VARIABLE):
            started = time.perf_counter()
            plan = airflow_migration_plan(deployment=deployment, kind=kind)
            list_s = time.perf_counter() - started
            ids = [item.source_id for item in plan.items if item.selectable]
            statements[0], spent = 0, [0.0]
            with connection.execute_wrapper(count), snapshots_timed(spent):
                started = time.perf_counter()
                result = airflow_migration_apply(deployment=deployment, kind=kind, source_ids=ids, actor=None)
                migrate_s = time.perf_counter() - started
            total_s += migrate_s
            assert len(result.migrated) == PER_KIND and not result.failed, (len(result.migrated), result.failed[:3])
            per_object = statements[0] / PER_KIND  # envmanager's; plus one DELETE each in the metadata database
            verdict = "OK" if list_s < TARGET_LIST_S and migrate_s < TARGET_MIGRATE_S else "MISSED"
            lines.append(
                f"{label:<10} {PER_KIND} {kind.label.lower()}s: list {list_s:.2f} s, migrate all {migrate_s:.1f} s, "
                f"SQL per object: {per_object:.2f} in envmanager + 1 DELETE in Airflow's database  "
                f"[{verdict}: list < {TARGET_LIST_S} s, migrate < {TARGET_MIGRATE_S} s]"
            )
            if restore:
                started = time.perf_counter()
                restored = migration_restore_apply(deployment=deployment, run=result.run, actor=None)
                restore_s = time.perf_counter() - started
                assert restored.complete and restored.count("restored") == PER_KIND
                lines.append(
                    f"{label:<10} {'':>{len(str(PER_KIND))}} restore snapshots: making and saving them {spent[0]:.2f} s "
                    f"({spent[0] / migrate_s:.0%} of the run); restore all to Airflow {restore_s:.1f} s"
                )
        return lines, setup_s, total_s

    lines, setup_s, with_versions_s = migrate_everything("bench", "airflow", restore=True)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for line in lines:
        print(line)
    print(f"{label:<10} peak RSS {peak_mb:.0f} MB  [{'OK' if peak_mb < TARGET_RSS_MB else 'MISSED'}: < {TARGET_RSS_MB} MB]"
          f"  (setup {setup_s:.1f} s)")
    # The same migration with the two version writers of the migration made no-ops, in the order
    # with, without, without, with: a database that grows run by run then favours neither side.
    without_s = 0.0
    with mock.patch("envmanager.services.migration.versions_record_created"), \
            mock.patch("envmanager.services.overrides.version_record"):
        for run in (1, 2):
            without_s += migrate_everything(f"bench without versions {run}", f"airflow_no_versions_{run}")[2]
    with_versions_s += migrate_everything("bench with versions 2", "airflow_versions_2")[2]
    ratio = with_versions_s / without_s
    print(f"{label:<10} version rows: migrate all twice {with_versions_s:.1f} s with, {without_s:.1f} s without, ratio "
          f"{ratio:.2f}  [{'OK' if ratio < TARGET_VERSIONS_RATIO else 'MISSED'}: < {TARGET_VERSIONS_RATIO:.2f}]")
    return 0


if __name__ == "__main__":
    main(__file__, "envmanager_bench_migrate", worker)
