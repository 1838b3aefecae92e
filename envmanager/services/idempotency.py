"""`Idempotency-Key` on management-API POSTs: a retry gets the first answer, never a second change.

The first request's change and its stored answer commit in one transaction: a request that dies
halfway leaves neither, so its retry runs afresh. Two requests with the same key at once: the second
waits on the unique (user, key) row, finds the first's answer when it commits, and its own work is
rolled back.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from envmanager.models import IdempotentRequest

MAX_KEY_LENGTH = 200
# A key is remembered this long: long enough for any retry, short enough that the table stays small.
KEY_LIFETIME = timedelta(hours=24)


@dataclass(frozen=True)
class StoredAnswer:
    status: int
    body: bytes
    replayed: bool


class KeyReused(Exception):
    """The key was first used for another request (method, path or body)."""


class _Replay(Exception):
    def __init__(self, row: IdempotentRequest):
        self.row = row


def _answer(row: IdempotentRequest, method: str, path: str, body_hash: str) -> StoredAnswer:
    if (row.method, row.path, row.body_hash) != (method, path, body_hash):
        raise KeyReused(f"This Idempotency-Key was used for another request ({row.method} {row.path} with another body).")
    return StoredAnswer(row.status, bytes(row.response_body), replayed=True)


def idempotent(*, user, key: str, method: str, path: str, body: bytes, run: Callable[[], tuple[int, bytes]]) -> StoredAnswer:
    """Return the stored answer to (user, key), or run `run()` and store its (status, body) with its changes.

    Answers of 5xx are not stored (the retry should run again). Raises KeyReused for another request.
    """
    body_hash = hashlib.sha256(body).hexdigest()
    rows = IdempotentRequest.objects.filter(user=user, key=key)
    try:
        with transaction.atomic():
            IdempotentRequest.objects.filter(user=user, created_at__lt=timezone.now() - KEY_LIFETIME).delete()
            row = rows.first()
            if row is not None:
                return _answer(row, method, path, body_hash)
            status, content = run()
            if status >= 500:
                return StoredAnswer(status, content, replayed=False)
            try:
                with transaction.atomic():
                    IdempotentRequest.objects.create(
                        user=user, key=key, method=method, path=path, body_hash=body_hash, status=status,
                        response_body=content,
                    )
            except IntegrityError:
                # The same key committed meanwhile: undo this run's changes and answer with the first.
                raise _Replay(rows.get()) from None
            return StoredAnswer(status, content, replayed=False)
    except _Replay as replay:
        return _answer(replay.row, method, path, body_hash)
