"""Snapshot readers: which processes hold which version of a token's environment, and waiting for them.

A secrets backend in snapshot mode, or an agent, names itself on every `GET /api/v1/environment`
(`X-Envmanager-Reader: <host>:<pid>:<random>`). The read API records per (token, reader) the
environment version it served (200) or the reader confirmed (304), but writes only when that
version changed or `READER_WRITE_INTERVAL` passed since the last write, so a steady stream of 304s
costs no write. The row is read by the same query that authenticates the token.

Migrate from Airflow uses this before deleting a source row (`readers_wait`): a process that still
holds a snapshot without the copy would otherwise find the key neither in envmanager nor in Airflow.
"""

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from envmanager.models import ApiToken, ApiTokenReader, Deployment
from envmanager.models.readers import READER_ID_MAX_LENGTH

READER_HEADER = "X-Envmanager-Reader"
READER_WRITE_INTERVAL = timedelta(seconds=30)
# Rows not seen for this long are deleted (a reader that stopped, a process that exited).
READER_KEEP = timedelta(days=1)
# Printable ASCII without spaces: what <host>:<pid>:<random> needs, nothing a log could be fooled by.
READER_SHAPE = re.compile(rf"[!-~]{{1,{READER_ID_MAX_LENGTH}}}")
WAIT_POLL_SECONDS = 0.5
# An agent (reader id "agent@...") writes environment.json, which task processes re-read at most every
# `refresh_seconds` (default 5): once agents hold the copies, that long is waited too.
AGENT_READER_PREFIX = "agent@"
FILE_READER_REFRESH_SECONDS = 5.0


class InvalidReader(ValueError):
    pass


def reader_from_header(value: str | None) -> str:
    """Return the reader id of a request's header ('' when absent); raise InvalidReader when malformed."""
    if not value:
        return ""
    if not READER_SHAPE.fullmatch(value):
        raise InvalidReader(
            f"The {READER_HEADER} header must be 1 to {READER_ID_MAX_LENGTH} printable ASCII characters "
            "without spaces, such as <host>:<pid>:<random>."
        )
    return value


def reader_seen(*, api_token: ApiToken, reader: str, version: int, now: datetime | None = None) -> bool:
    """Record that `reader` holds `version` of the token's environment; return whether a row was written.

    `api_token.reader_row` is what authentication read: (version, seen_at) or None.
    """
    if not reader:
        return False
    now = now or timezone.now()
    known = getattr(api_token, "reader_row", None)
    if known is not None:
        known_version, seen_at = known
        if known_version == version and seen_at is not None and now - seen_at < READER_WRITE_INTERVAL:
            return False
        ApiTokenReader.objects.filter(token_id=api_token.pk, reader=reader).update(version=version, seen_at=now)
        return True
    try:
        with transaction.atomic():
            ApiTokenReader.objects.create(token_id=api_token.pk, reader=reader, version=version, seen_at=now)
    except IntegrityError:  # another worker recorded the same reader a moment ago
        ApiTokenReader.objects.filter(token_id=api_token.pk, reader=reader).update(version=version, seen_at=now)
    # A new reader is rare (a process start): the moment to forget readers long gone.
    ApiTokenReader.objects.filter(seen_at__lt=now - READER_KEEP).delete()
    return True


@dataclass(frozen=True)
class ReaderStatus:
    active: int  # readers of the Deployment's tokens seen recently
    behind: int  # of those, how many have not confirmed the version yet
    agents: int = 0  # of those, agents (their snapshot reaches processes through a file)


def deployment_readers_status(*, deployment: Deployment, version: int, now: datetime, grace: float) -> ReaderStatus:
    """Count the recently seen readers of `deployment`'s active tokens and those still behind `version`.

    "Recently" spans the write interval plus the grace period: a reader whose version did not change
    is written only every `READER_WRITE_INTERVAL`, and must still count as present.
    """
    since = now - READER_WRITE_INTERVAL - timedelta(seconds=grace)
    readers = ApiTokenReader.objects.filter(
        token__deployment=deployment, token__revoked_at__isnull=True, seen_at__gte=since
    )
    rows = list(readers.values_list("version", "reader"))
    return ReaderStatus(
        active=len(rows), behind=sum(1 for v, _ in rows if v < version),
        agents=sum(1 for _, reader in rows if reader.startswith(AGENT_READER_PREFIX)),
    )


@dataclass(frozen=True)
class WaitOutcome:
    readers: int  # readers waited for
    behind: int  # still behind when the wait ended (0: all confirmed)
    waited_seconds: float
    timed_out: bool

    def as_summary(self) -> dict:
        return {
            "readers": self.readers, "behind": self.behind,
            "waited_seconds": round(self.waited_seconds, 3), "timed_out": self.timed_out,
        }


def readers_wait(
    *,
    deployment: Deployment,
    version: int,
    now: Callable[[], datetime] = timezone.now,
    sleep: Callable[[float], None] = time.sleep,
    grace: float | None = None,
    on_wait: Callable[[ReaderStatus, float], None] | None = None,
) -> WaitOutcome:
    """Wait until every recent reader of `deployment` holds `version` or newer, or `grace` seconds passed.

    No reader seen recently: returns at once (nobody holds a snapshot to wait for). `on_wait(status,
    seconds left)` is called before each pause, so the page and the command can show the phase.
    """
    grace = settings.ENVMANAGER_MIGRATION_READER_GRACE_SECONDS if grace is None else grace
    started = now()
    deadline = started + timedelta(seconds=grace)
    first = None
    while True:
        current = now()
        status = deployment_readers_status(deployment=deployment, version=version, now=current, grace=grace)
        first = first or status
        waited = (current - started).total_seconds()
        if status.behind == 0:
            if status.agents:
                # Task processes read the agents' file: give them one refresh interval to re-read it.
                if on_wait is not None:
                    on_wait(status, FILE_READER_REFRESH_SECONDS)
                sleep(FILE_READER_REFRESH_SECONDS)
                waited = (now() - started).total_seconds()
            return WaitOutcome(readers=first.active, behind=0, waited_seconds=waited, timed_out=False)
        left = (deadline - current).total_seconds()
        if left <= 0:
            return WaitOutcome(readers=first.active, behind=status.behind, waited_seconds=waited, timed_out=True)
        if on_wait is not None:
            on_wait(status, left)
        sleep(min(WAIT_POLL_SECONDS, left))


def reader_wait_sentence(summary: dict) -> str:
    """Say what the delete phase's wait did, from `WaitOutcome.as_summary()` (the command and the result page)."""
    readers, behind, seconds = summary.get("readers", 0), summary.get("behind", 0), summary.get("waited_seconds", 0)
    if not readers:
        return "No snapshot reader of this Deployment was seen recently: the source rows were deleted at once."
    plural = "s" if readers != 1 else ""
    if summary.get("timed_out"):
        return (
            f"Waited the grace period ({seconds:.0f} s) for {readers} snapshot reader{plural}; {behind} had not "
            "fetched the new environment by then (stopped, or unreachable), and the source rows were deleted."
        )
    return f"All {readers} snapshot reader{plural} fetched the new environment (after {seconds:.1f} s) before the source rows were deleted."
