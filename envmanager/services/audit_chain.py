"""Tamper evidence for the audit log: every entry is appended to a hash chain (docs/audit.md).

One chain per Workspace, so Workspaces never wait on each other; entries without a Workspace form a chain
of their own. Appending locks the chain's head row (`AuditChainHead`) in the writer's transaction, so
concurrent writers line up and each entry's `prev_hash` is the hash of the entry before it. `AuditEntry.save`
and `append_entries` are the only ways an entry is written; both end here.
"""

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

from django.db import transaction
from django.utils import timezone

from envmanager.models import AuditChainHead, AuditEntry
from envmanager.models.audit import NO_WORKSPACE_CHAIN

HASH_VERSION = 1

# What `entry_digest` reads, in `values_list` order: also what `audit_verify` fetches.
HASHED_COLUMNS = (
    "chain", "chain_seq", "prev_hash", "workspace_name", "actor_name", "action", "target_type", "target_id",
    "target_label", "changes", "created_at",
)


# json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False), with one encoder reused.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value) -> str:
    """The one JSON text of a value: sorted keys, no spaces, non-ASCII kept as UTF-8."""
    return _CANONICAL.encode(value)


def utc_iso(moment: datetime) -> str:
    """A timestamp as hashed and exported: UTC, ISO 8601, microseconds, `+00:00`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_digest(
    *, chain, chain_seq, prev_hash, workspace_name, actor_name, action, target_type, target_id, target_label,
    changes, created_at,
) -> str:
    """Return the SHA-256 (hex) of one entry's content and the hash of the entry before it."""
    content = {
        "v": HASH_VERSION,
        "chain": chain,
        "seq": chain_seq,
        "prev": prev_hash,
        "workspace": workspace_name,
        "actor": actor_name,
        "action": action,
        "target_type": target_type,
        "target_id": target_id,
        "target_label": target_label,
        "changes": changes,
        "created_at": utc_iso(created_at),
    }
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def chain_of(entry: AuditEntry) -> int:
    return entry.workspace_id or NO_WORKSPACE_CHAIN


def _locked_heads(chains: set[int]) -> dict[int, AuditChainHead]:
    """Lock the heads of `chains` (creating missing ones), in chain order so two writers cannot deadlock."""
    heads = {head.chain: head for head in AuditChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")}
    missing = chains - set(heads)
    if missing:
        # A head created by a concurrent writer meanwhile is kept (ON CONFLICT DO NOTHING) and locked below.
        AuditChainHead.objects.bulk_create([AuditChainHead(chain=chain) for chain in missing], ignore_conflicts=True)
        heads.update(
            (head.chain, head)
            for head in AuditChainHead.objects.select_for_update().filter(chain__in=missing).order_by("chain")
        )
    return heads


def append_entries(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    """Save new entries at the end of their chains, in the order given; one INSERT for all of them."""
    entries = list(entries)
    if not entries:
        return entries
    # No savepoint of its own: inside a writer's transaction this is part of the change; alone, its own.
    with transaction.atomic(savepoint=False):
        heads = _locked_heads({chain_of(entry) for entry in entries})
        now = timezone.now()  # taken under the lock, so times never run backwards along a chain
        for entry in entries:
            head = heads[chain_of(entry)]
            # JSON as the database will give it back (tuples as lists, keys as text), so the hash re-checks.
            entry.changes = json.loads(json.dumps(entry.changes))
            entry.created_at = now
            entry.chain = head.chain
            entry.chain_seq = head.length + 1
            entry.prev_hash = head.last_hash
            entry.entry_hash = entry_digest(**{column: getattr(entry, column) for column in HASHED_COLUMNS})
            head.length, head.last_hash = entry.chain_seq, entry.entry_hash
        AuditEntry.objects.bulk_create(entries)
        # One UPDATE per chain (nearly always one): cheaper than bulk_update's CASE expressions.
        for head in heads.values():
            AuditChainHead.objects.filter(chain=head.chain).update(length=head.length, last_hash=head.last_hash)
    return entries


@dataclass(frozen=True, slots=True)
class ChainProblem:
    chain: int
    entry_id: int | None
    position: int | None
    message: str


@dataclass(slots=True)
class VerifyResult:
    chains: int = 0
    entries: int = 0
    problem: ChainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _check_chain(chain: int, rows: Iterator[tuple], head: AuditChainHead | None) -> tuple[int, ChainProblem | None]:
    checked, prev_hash, expected_seq = 0, "", 1
    for row in rows:
        entry_id, stored_hash = row[0], row[1]
        values = dict(zip(HASHED_COLUMNS, row[2:], strict=True))
        seq = values["chain_seq"]
        if seq != expected_seq:
            missing = f"position {expected_seq}" if seq == expected_seq + 1 else f"positions {expected_seq}-{seq - 1}"
            return checked, ChainProblem(
                chain, entry_id, seq, f"entry {entry_id} follows a gap: the entry at {missing} is missing (deleted?)"
            )
        if values["prev_hash"] != prev_hash:
            return checked, ChainProblem(
                chain, entry_id, seq, f"entry {entry_id} does not follow the entry before it (previous hash differs)"
            )
        if entry_digest(**values) != stored_hash:
            return checked, ChainProblem(
                chain, entry_id, seq, f"entry {entry_id} does not match its hash (its content was changed)"
            )
        checked, prev_hash, expected_seq = checked + 1, stored_hash, seq + 1
    if head is None:
        if checked:
            return checked, ChainProblem(chain, None, None, "the chain has no head row (it was deleted?)")
        return checked, None
    if head.length != checked or head.last_hash != prev_hash:
        missing = head.length - checked
        if missing > 0:
            message = f"the last {missing} entr{'y is' if missing == 1 else 'ies are'} missing (deleted?)"
        else:
            message = "the chain's head does not match its last entry"
        return checked, ChainProblem(chain, None, head.length, message)
    return checked, None


def unchained_entry() -> AuditEntry | None:
    """An entry written around the chain (a raw INSERT), if any."""
    return AuditEntry.objects.filter(chain_seq__isnull=True).order_by("id").first()


def verify_chains(*, chains: Iterable[int] | None = None, chunk_size: int = 5000) -> VerifyResult:
    """Walk the chains (all, or the given ones) and stop at the first entry that does not match."""
    heads = AuditChainHead.objects.all()
    entries = AuditEntry.objects.filter(chain_seq__isnull=False)
    if chains is not None:
        chains = list(chains)
        heads, entries = heads.filter(chain__in=chains), entries.filter(chain__in=chains)
    heads_by_chain = {head.chain: head for head in heads}
    result = VerifyResult()
    if chains is None:
        stray = unchained_entry()
        if stray is not None:
            result.problem = ChainProblem(stray.chain, stray.pk, None, f"entry {stray.pk} is not in any chain")
            return result
    rows = entries.order_by("chain", "chain_seq").values_list("id", "entry_hash", *HASHED_COLUMNS).iterator(
        chunk_size=chunk_size
    )
    seen = set()
    for chain, chain_rows in _by_chain(rows):
        seen.add(chain)
        checked, problem = _check_chain(chain, chain_rows, heads_by_chain.get(chain))
        result.chains, result.entries = result.chains + 1, result.entries + checked
        if problem is not None:
            result.problem = problem
            return result
    for chain in sorted(set(heads_by_chain) - seen):  # a head whose entries are all gone
        head = heads_by_chain[chain]
        result.chains += 1
        _, problem = _check_chain(chain, iter(()), head)
        if problem is not None:
            result.problem = problem
            return result
    return result


def _by_chain(rows: Iterator[tuple]) -> Iterator[tuple[int, Iterator[tuple]]]:
    """Group rows ordered by chain (column 2, after id and hash) lazily."""
    yield from groupby(rows, key=lambda row: row[2])
