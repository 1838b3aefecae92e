"""Deleting a Deployment while someone writes to it leaves one consistent result (PostgreSQL row locks)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from envmanager.models import Deployment, EnvObject, Link
from envmanager.services.env_objects import env_object_create
from envmanager.services.links import link_create
from envmanager.services.target_deletion import deployment_delete
from tests.factories import VariableFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _in_thread(call, started: threading.Event | None = None, release: threading.Event | None = None):
    """Run `call` in a thread with its own connection; when `release` is given, hold the transaction open
    (after `started` is set) until it is set. Return (thread, outcome list)."""
    outcome = []

    def run():
        try:
            with transaction.atomic():
                outcome.append(call())
                if release is not None:
                    started.set()
                    release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - the test asserts which kind it was
            outcome.append(exc)
        finally:
            if started is not None:
                started.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _blocked(thread: threading.Thread) -> bool:
    """Wait until the other connection waits on a row lock (the database says so; no sleeping)."""
    for _ in range(2000):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            if cursor.fetchone()[0]:
                return True
        if not thread.is_alive():
            return False
    return False


def race(first, second) -> tuple[list, list]:
    """Run `first` in a thread holding its transaction open, then `second`, which must wait on its locks;
    let both finish and return their outcomes (a result or the exception)."""
    started, release = threading.Event(), threading.Event()
    first_thread, first_outcome = _in_thread(first, started, release)
    started.wait(timeout=30)
    second_thread, second_outcome = _in_thread(second)
    assert _blocked(second_thread)
    release.set()
    first_thread.join(30)
    second_thread.join(30)
    return first_outcome, second_outcome


def test_a_create_waiting_on_a_delete_fails_clearly_and_leaves_nothing(workspace, dev, owner):
    started, release = threading.Event(), threading.Event()
    deleter, deleted = _in_thread(lambda: deployment_delete(deployment=dev, actor=owner), started, release)
    started.wait(timeout=30)  # the delete holds its locks, not yet committed
    creator, created = _in_thread(
        lambda: env_object_create(workspace=workspace, deployment=dev, actor=owner, kind="variable", key="late",
                                  fields={"value": "x"})
    )
    assert _blocked(creator)
    release.set()
    deleter.join(30)
    creator.join(30)

    assert not isinstance(deleted[0], Exception), deleted
    assert isinstance(created[0], ValidationError) and "Deployment 'dev' was deleted" in str(created[0])
    assert not Deployment.objects.filter(pk=dev.pk).exists()
    assert not EnvObject.objects.filter(key="late").exists()


def test_a_delete_waiting_on_a_create_removes_what_was_created(workspace, dev, owner):
    shared = VariableFactory(workspace=workspace, key="shared")
    started, release = threading.Event(), threading.Event()

    def write():
        link_create(env_object=shared, actor=owner, target=dev)
        return env_object_create(workspace=workspace, deployment=dev, actor=owner, kind="variable", key="early",
                                 fields={"value": "x"})

    writer, written = _in_thread(write, started, release)
    started.wait(timeout=30)  # the write holds the Deployment's row lock, not yet committed
    deleter, deleted = _in_thread(lambda: deployment_delete(deployment=dev, actor=owner))
    assert _blocked(deleter)
    release.set()
    writer.join(30)
    deleter.join(30)

    assert isinstance(written[0], EnvObject), written
    plan = deleted[0]
    assert not isinstance(plan, Exception), deleted
    # The delete planned after the write committed: it listed and removed the new rows too.
    assert [o.key for o in plan.env_objects] == ["early"] and [link.key for link in plan.links] == ["shared"]
    assert not EnvObject.objects.filter(deployment_id=dev.pk).exists()
    assert not Link.objects.exists()
    assert EnvObject.objects.filter(key="shared", deployment__isnull=True).exists()  # Workspace object stays
