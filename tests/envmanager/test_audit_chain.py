"""The audit log is a hash chain per Workspace: edits and deletions in the database are found."""

import hashlib
import io
import itertools
import json
from functools import partial

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from envmanager.models import AuditChainHead, AuditEntry
from envmanager.models.audit import NO_WORKSPACE_CHAIN
from envmanager.services.audit import audit_entry, audit_record
from envmanager.services.audit_chain import (
    HASHED_COLUMNS,
    append_entries,
    canonical_json,
    entry_digest,
    utc_iso,
    verify_chains,
)
from tests.concurrency import run_together
from tests.factories import VariableFactory, WorkspaceFactory


def run_command(command, *args, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def _record(workspace, label, **extra):
    return audit_record(
        actor=None, action="test.entry", workspace=workspace, target_type="x", target_id=None, target_label=label,
        after={"label": label, "ünïcode": "✓"}, **extra,
    )


def _chain(workspace):
    return list(AuditEntry.objects.filter(chain=workspace.pk).order_by("chain_seq"))


def test_entries_of_a_workspace_form_one_chain(workspace):
    VariableFactory(workspace=workspace, key="region", fields={"value": "eu"})
    _record(workspace, "one")
    _record(workspace, "two")

    entries = _chain(workspace)
    assert [entry.chain_seq for entry in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == ""
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.created_at >= before.created_at
    for entry in entries:
        assert entry.entry_hash == entry_digest(**{column: getattr(entry, column) for column in HASHED_COLUMNS})
    head = AuditChainHead.objects.get(chain=workspace.pk)
    assert (head.length, head.last_hash) == (len(entries), entries[-1].entry_hash)
    assert verify_chains().ok


def test_each_workspace_has_its_own_chain_and_entries_without_one_share_another(workspace, other_workspace):
    _record(workspace, "mine")
    _record(None, "nobody's")
    _record(other_workspace, "theirs")

    assert AuditEntry.objects.get(target_label="nobody's").chain == NO_WORKSPACE_CHAIN
    assert _chain(workspace)[-1].target_label == "mine"
    assert _chain(other_workspace)[-1].target_label == "theirs"
    result = verify_chains()
    assert result.ok and result.chains == 3


def test_the_hash_covers_the_documented_canonical_content(workspace):
    entry = _record(workspace, "Größe")
    content = {
        "v": 1, "chain": workspace.pk, "seq": entry.chain_seq, "prev": entry.prev_hash,
        "workspace": workspace.name, "actor": "system", "action": "test.entry", "target_type": "x",
        "target_id": None, "target_label": "Größe", "changes": {"after": {"label": "Größe", "ünïcode": "✓"}, "before": None},
        "created_at": utc_iso(entry.created_at),
    }
    expected = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # as docs/audit.md says
    assert canonical_json(content) == expected
    assert entry.entry_hash == hashlib.sha256(expected.encode()).hexdigest()
    assert '"target_label":"Größe"' in expected  # UTF-8, not \u escapes
    assert utc_iso(entry.created_at).endswith("+00:00")


def test_a_bulk_append_chains_in_order_between_single_ones(workspace):
    _record(workspace, "before")
    append_entries(
        audit_entry(actor=None, action="test.bulk", workspace=workspace, target_type="x", target_id=n,
                    target_label=f"bulk {n}", after={"n": n})
        for n in range(5)
    )
    _record(workspace, "after")

    labels = [entry.target_label for entry in _chain(workspace)][-7:]
    assert labels == ["before", *[f"bulk {n}" for n in range(5)], "after"]
    assert verify_chains(chains=[workspace.pk]).ok


def test_objects_create_goes_through_the_chain_too(workspace):
    entry = AuditEntry.objects.create(
        workspace=workspace, actor_name="system", action="legacy.import", target_type="x", target_label="Legacy",
        changes={"after": (1, 2)},
    )
    entry.refresh_from_db()
    assert entry.chain_seq == AuditChainHead.objects.get(chain=workspace.pk).length
    assert entry.changes == {"after": [1, 2]}
    assert verify_chains().ok


def test_a_direct_sql_update_is_caught_and_named(workspace):
    _record(workspace, "first")
    edited = _record(workspace, "second")
    _record(workspace, "third")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE envmanager_auditentry SET actor_name = %s WHERE id = %s", ["mallory", edited.pk])

    result = verify_chains()
    assert not result.ok and result.problem.entry_id == edited.pk
    with pytest.raises(CommandError, match=rf"entry {edited.pk} does not match its hash"):
        run_command("audit_verify")


def test_an_edited_time_or_changes_is_caught(workspace):
    entry = _record(workspace, "first")
    AuditEntry.objects.filter(pk=entry.pk).update(changes={"after": {"label": "forged"}})
    assert verify_chains().problem.entry_id == entry.pk


def test_a_deleted_entry_is_caught_by_the_one_after_it(workspace):
    _record(workspace, "first")
    deleted = _record(workspace, "second")
    after = _record(workspace, "third")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM envmanager_auditentry WHERE id = %s", [deleted.pk])

    result = verify_chains()
    assert result.problem.entry_id == after.pk and "missing" in result.problem.message
    with pytest.raises(CommandError, match=rf"entry {after.pk} follows a gap: the entry at position {deleted.chain_seq}"):
        run_command("audit_verify", "--workspace", workspace.name)


def test_a_deleted_last_entry_is_caught_by_the_chain_head(workspace):
    _record(workspace, "first")
    last = _record(workspace, "last")
    AuditEntry.objects.filter(pk=last.pk).delete()

    with pytest.raises(CommandError, match="the last 1 entry is missing"):
        run_command("audit_verify")


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link(workspace):
    first = _record(workspace, "first")
    second = _record(workspace, "second")
    first.actor_name = "mallory"
    first.entry_hash = entry_digest(**{column: getattr(first, column) for column in HASHED_COLUMNS})
    AuditEntry.objects.filter(pk=first.pk).update(actor_name="mallory", entry_hash=first.entry_hash)

    assert verify_chains().problem.entry_id == second.pk


def test_an_entry_inserted_around_the_chain_is_named(workspace):
    _record(workspace, "first")
    AuditEntry.objects.bulk_create([AuditEntry(workspace=workspace, actor_name="x", action="forged", target_type="x",
                                               target_label="forged")])
    stray = AuditEntry.objects.get(action="forged")
    assert verify_chains().problem.entry_id == stray.pk


def test_verify_only_one_workspace(workspace, other_workspace):
    _record(workspace, "mine")
    theirs = _record(other_workspace, "theirs")
    AuditEntry.objects.filter(pk=theirs.pk).update(target_label="forged")

    out = run_command("audit_verify", "--workspace", workspace.name)
    assert "Audit log verified" in out and "1 chain" in out
    with pytest.raises(CommandError, match=f"entry {theirs.pk}"):
        run_command("audit_verify")


def test_a_deleted_workspace_keeps_its_chain_verifiable(db):
    doomed = WorkspaceFactory(name="Doomed")
    _record(doomed, "kept")
    doomed.delete()

    assert AuditEntry.objects.filter(target_label="kept", workspace__isnull=True).exists()
    assert "Audit log verified" in run_command("audit_verify")


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_concurrent_writers_to_one_workspace_keep_one_valid_chain():
    workspace = WorkspaceFactory(name="Busy")
    writers, per_writer = 6, 15

    def write(n):
        for i in range(per_writer):
            if i % 5 == 0:
                append_entries(
                    audit_entry(actor=None, action="test.bulk", workspace=workspace, target_type="x",
                                target_id=None, target_label=f"w{n} bulk {i}.{j}")
                    for j in range(3)
                )
            else:
                _record(workspace, f"w{n} entry {i}")

    _, errors = run_together(*(partial(write, n) for n in range(writers)), timeout=120)
    assert errors == []
    entries = _chain(workspace)
    written = writers * (per_writer - 3) + writers * 3 * 3
    assert len(entries) == written + 1  # and the Workspace's own creation entry
    assert [entry.chain_seq for entry in entries] == list(range(1, written + 2))
    result = verify_chains(chains=[workspace.pk])
    assert result.ok and result.entries == written + 1
