"""A Deployment's migration lock: one live process at a time migrates from, or restores to, its Airflow.

The lock belongs to the process, not to a row: on PostgreSQL a session advisory lock on a connection of
its own, on SQLite an OS lock on a file in VAR_DIR. When the process dies the server or the kernel
releases it, so the next run can start at once.
"""

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from envmanager.models import Deployment, MigrationRun

# First key of the PostgreSQL advisory locks envmanager takes ("envm"); the second is the Deployment id.
ADVISORY_LOCK_NAMESPACE = 0x656E766D


class MigrationInProgress(Exception):
    """Another migration of the same Deployment is running."""


@contextmanager
def deployment_migration_lock(deployment: Deployment) -> Iterator[bool]:
    """Hold `deployment`'s migration lock for the block; yield False (and hold nothing) if a live process has it.

    The lock belongs to the process, not to a row: on PostgreSQL a session advisory lock on a connection of
    its own, on SQLite an OS lock on a file in VAR_DIR. When the process dies the server or the kernel
    releases it, so the next run can start at once.
    """
    if connection.vendor == "postgresql":
        session = connections.create_connection(DEFAULT_DB_ALIAS)
        key = [ADVISORY_LOCK_NAMESPACE, deployment.pk & 0x7FFFFFFF]
        locked = False
        try:
            with session.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
                locked = cursor.fetchone()[0]
            yield locked
        finally:
            # Released now: the server ends a closed session's backend (and its locks) only a moment later, and
            # a run started right after this one (a re-run) would find the lock still held.
            with suppress(DatabaseError):
                if locked:
                    with session.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            session.close()  # ends the session, and with it the lock in any case
        return
    path = Path(settings.VAR_DIR) / "locks" / f"migration-deployment-{deployment.pk}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def in_progress(deployment: Deployment) -> MigrationInProgress:
    active = MigrationRun.objects.filter(deployment=deployment, finished_at__isnull=True).first()
    who = f"{active.started_by_name} is" if active else "Someone is"
    since = f" (started {active.started_at:%Y-%m-%d %H:%M:%S} UTC)" if active else ""
    return MigrationInProgress(
        f"{who} already migrating from Deployment '{deployment.name}'{since}. Wait for it to finish, then run it again."
    )
