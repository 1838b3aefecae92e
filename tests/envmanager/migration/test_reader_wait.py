"""Issue #13: the delete phase waits for the Deployment's snapshot readers to hold the copies (fake clock)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from envmanager.kinds import Kind
from envmanager.models import ApiTokenReader, EnvObject, MigrationRun, Workspace
from envmanager.services import tokens as token_services
from envmanager.services.migration import ReaderWaitOptions, airflow_migration_apply
from tests.conftest import airflow_db_keys
from tests.factories import DeploymentFactory

GRACE = 15


class FakeClock:
    """`now` moves only when the migration sleeps; `on_sleep(seconds_elapsed)` plays what readers do meanwhile."""

    def __init__(self, on_sleep=None):
        self.start = timezone.now()
        self.elapsed = 0.0
        self.sleeps = []
        self.on_sleep = on_sleep or (lambda elapsed: None)

    def now(self):
        return self.start + timedelta(seconds=self.elapsed)

    def sleep(self, seconds):
        assert seconds > 0
        self.sleeps.append(seconds)
        self.elapsed += seconds
        self.on_sleep(self.elapsed)

    @property
    def options(self):
        return ReaderWaitOptions(now=self.now, sleep=self.sleep)


@pytest.fixture(autouse=True)
def grace(settings):
    settings.ENVMANAGER_MIGRATION_READER_GRACE_SECONDS = GRACE


@pytest.fixture
def token(dev, airflow_db):
    dev.refresh_from_db()  # `airflow_db` set its metadata database URL
    return token_services.api_token_create(actor=None, name="airflow", deployment=dev).api_token


def _version(dev):
    return Workspace.objects.get(pk=dev.workspace_id).environment_version


def _reader(token, name, *, version, seen_at):
    return ApiTokenReader.objects.create(token=token, reader=name, version=version, seen_at=seen_at)


def _migrate_region(dev, db, clock, events=None):
    ids = [row[0] for row in db.conn.execute("SELECT id FROM variable WHERE key = 'region'")]
    progress = (lambda event, key: events.append((event, key))) if events is not None else None
    return airflow_migration_apply(
        deployment=dev, kind=Kind.VARIABLE, source_ids=ids, actor=None, wait=clock.options, on_progress=progress
    )


def test_no_reader_seen_recently_means_no_wait(dev, airflow_db, token):
    clock = FakeClock()
    _reader(token, "long-gone:1:x", version=0, seen_at=clock.now() - timedelta(minutes=5))

    result = _migrate_region(dev, airflow_db, clock)

    assert result.migrated == ["region"] and clock.sleeps == []
    assert "region" not in airflow_db_keys(airflow_db, "variable")
    assert result.reader_wait == {"readers": 0, "behind": 0, "waited_seconds": 0.0, "timed_out": False}


def test_rows_are_deleted_once_every_reader_fetched_the_copies(dev, airflow_db, token):
    clock = FakeClock()
    before = _version(dev)
    first = _reader(token, "worker-a:10:x", version=before, seen_at=clock.now())
    # Unchanged version, so written up to 30 s ago: still a reader to wait for.
    second = _reader(token, "worker-b:11:y", version=before, seen_at=clock.now() - timedelta(seconds=25))
    seen_in_airflow = []

    def readers_fetch(elapsed):
        seen_in_airflow.append("region" in airflow_db_keys(airflow_db, "variable"))
        if elapsed >= 2:
            ApiTokenReader.objects.filter(pk=first.pk).update(version=_version(dev), seen_at=clock.now())
        if elapsed >= 4:
            ApiTokenReader.objects.filter(pk=second.pk).update(version=_version(dev), seen_at=clock.now())

    clock.on_sleep = readers_fetch
    events = []
    result = _migrate_region(dev, airflow_db, clock, events)

    assert all(seen_in_airflow) and seen_in_airflow  # the source row stayed while any reader was behind
    assert "region" not in airflow_db_keys(airflow_db, "variable")
    assert EnvObject.objects.filter(key="region", deployment__isnull=True).exists()
    assert result.reader_wait == {"readers": 2, "behind": 0, "waited_seconds": 4.0, "timed_out": False}
    waiting = [key for event, key in events if event == "waiting"]
    assert waiting[0] == "waiting for 2 of 2 readers to fetch the new environment (grace period: 15 s left)"
    assert waiting[-1].startswith("waiting for 1 of 2 readers")
    order = [event for event, _ in events]
    assert order.index("waiting") > order.index("copied") and order.index("deleting") > max(
        i for i, event in enumerate(order) if event == "waiting"
    )
    assert MigrationRun.objects.get().summary["reader_wait"]["readers"] == 2


def test_a_reader_that_never_fetches_is_waited_for_the_grace_period_only(dev, airflow_db, token):
    clock = FakeClock()
    _reader(token, "stuck:1:x", version=_version(dev), seen_at=clock.now())

    result = _migrate_region(dev, airflow_db, clock)

    assert sum(clock.sleeps) == pytest.approx(GRACE)
    assert result.reader_wait == {"readers": 1, "behind": 1, "waited_seconds": 15.0, "timed_out": True}
    assert "region" not in airflow_db_keys(airflow_db, "variable")


def test_readers_of_revoked_tokens_and_other_deployments_are_not_waited_for(dev, workspace, airflow_db, token):
    clock = FakeClock()
    other = DeploymentFactory(workspace=workspace, name="other")
    other_token = token_services.api_token_create(actor=None, name="other", deployment=other).api_token
    revoked = token_services.api_token_create(actor=None, name="old", deployment=dev).api_token
    token_services.api_token_revoke(api_token=revoked, actor=None)
    _reader(other_token, "other:1:x", version=0, seen_at=clock.now())
    _reader(revoked, "old:1:x", version=0, seen_at=clock.now())

    result = _migrate_region(dev, airflow_db, clock)

    assert clock.sleeps == [] and result.reader_wait["readers"] == 0


def test_a_reader_already_at_the_new_version_needs_no_wait(dev, airflow_db, token):
    clock = FakeClock()
    _reader(token, "ahead:1:x", version=_version(dev) + 100, seen_at=clock.now())

    result = _migrate_region(dev, airflow_db, clock)

    assert clock.sleeps == [] and result.reader_wait == {
        "readers": 1, "behind": 0, "waited_seconds": 0.0, "timed_out": False
    }


class Killed(BaseException):
    pass


def test_a_run_that_dies_while_waiting_is_finished_by_the_next(dev, airflow_db, token):
    clock = FakeClock()
    _reader(token, "slow:1:x", version=_version(dev), seen_at=clock.now())

    def die(event, key):
        if event == "waiting":
            raise Killed

    ids = [row[0] for row in airflow_db.conn.execute("SELECT id FROM variable WHERE key = 'region'")]
    with pytest.raises(Killed):
        airflow_migration_apply(
            deployment=dev, kind=Kind.VARIABLE, source_ids=ids, actor=None, wait=clock.options, on_progress=die
        )
    # Both places hold the key: nothing was lost.
    assert "region" in airflow_db_keys(airflow_db, "variable")
    assert EnvObject.objects.filter(key="region", deployment__isnull=True).exists()

    ApiTokenReader.objects.update(version=_version(dev) + 1)  # the reader caught up meanwhile
    again = airflow_migration_apply(deployment=dev, kind=Kind.VARIABLE, source_ids=ids, actor=None, wait=clock.options)

    assert again.migrated == ["region"]
    assert "region" not in airflow_db_keys(airflow_db, "variable")
    assert EnvObject.objects.filter(key="region", deployment__isnull=True).count() == 1


def test_the_command_and_the_result_page_show_the_wait(dev, airflow_db, token, client, owner):
    import io

    from django.core.management import call_command
    from django.urls import reverse

    _reader(token, "worker:1:x", version=_version(dev), seen_at=timezone.now())
    ApiTokenReader.objects.update(version=_version(dev) + 5)  # already holds whatever the copy will bump to
    out, err = io.StringIO(), io.StringIO()
    call_command("migrate_from_airflow", "--deployment", "dev", "--type", "variables", "--key", "region", "--yes",
                 stdout=out, stderr=err)
    assert "All 1 snapshot reader fetched the new environment" in out.getvalue()

    run = MigrationRun.objects.get()
    client.force_login(owner)
    page = client.get(reverse("envmanager:migration-result", args=[dev.workspace_id, dev.pk, run.pk]))
    assert "All 1 snapshot reader fetched the new environment" in page.content.decode()


def test_agents_get_one_file_refresh_interval_after_they_fetched(dev, airflow_db, token):
    """An agent's processes read its environment.json every refresh_seconds: that time passes too."""
    from envmanager.services.readers import FILE_READER_REFRESH_SECONDS

    clock = FakeClock()
    agent = _reader(token, "agent@host-1:7:abc", version=_version(dev), seen_at=clock.now())

    def agent_fetches(elapsed):
        if elapsed >= 1:
            ApiTokenReader.objects.filter(pk=agent.pk).update(version=_version(dev))
        if elapsed > 1:
            assert "region" in airflow_db_keys(airflow_db, "variable")  # still there during the file interval

    clock.on_sleep = agent_fetches
    result = _migrate_region(dev, airflow_db, clock)

    assert result.reader_wait == {
        "readers": 1, "behind": 0, "waited_seconds": 1.0 + FILE_READER_REFRESH_SECONDS, "timed_out": False
    }
    assert "region" not in airflow_db_keys(airflow_db, "variable")


def test_the_confirmation_says_how_many_readers_it_will_wait_for(dev, airflow_db, token, client, owner):
    from django.urls import reverse

    address = reverse("envmanager:migration-plan", args=[dev.workspace_id, dev.pk, "variables"])
    [(source_id,)] = airflow_db.conn.execute("SELECT id FROM variable WHERE key = 'region'").fetchall()
    client.force_login(owner)

    nobody = client.post(address, {"step": "confirm", "source": source_id}).content.decode()
    assert "No snapshot reader of" in nobody
    _reader(token, "worker:1:x", version=0, seen_at=timezone.now())
    _reader(token, "worker:2:y", version=0, seen_at=timezone.now())
    two = " ".join(client.post(address, {"step": "confirm", "source": source_id}).content.decode().split())
    assert "waits until dev's 2 snapshot readers (secrets backends, agents) fetched the new environment, at most 15 s" in two
