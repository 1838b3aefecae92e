"""History and comparison (issue #14): Compare page, Matrix page, audit chain verification.

    .venv/bin/python benchmarks/history.py

Prints, for SQLite and PostgreSQL:
- The History page of an object with 1,000 versions (a connection whose password and port change each
  time): first and last page, time and queries. Target: < 300 ms, <= 10 queries.
- Compare of two Deployments with 10,000 objects each (8,000 shared Workspace objects, 1,000 of them
  overridden on one side; 2,000 objects of each Deployment's own, half of them secrets compared by value):
  the selector's time and queries, and the whole page's (signed in, rendered; its first and last page of
  the differing keys). Target: < 300 ms, <= 10 queries, for the selector and for the page. The CPU time of
  the process is printed too: on a machine shared with other work it shows what the wall time hides.
- The Matrix page for 300 Deployments × 3,000 keys (a page of keys): time and queries. Target: < 300 ms.
- `audit_verify` over 100,000 entries. Target: < 10 s.

`ENVMANAGER_BENCH_ONLY=history` runs the History figures alone, `ENVMANAGER_BENCH_ONLY=compare` History and
Compare (the others take minutes to set up).
"""

import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._django import main, setup_django

COMPARE_SHARED, COMPARE_OWN, COMPARE_OVERRIDES = 8_000, 2_000, 1_000
MATRIX_DEPLOYMENTS, MATRIX_KEYS = 300, 3_000
AUDIT_ENTRIES = 100_000
HISTORY_VERSIONS = 1_000
RUNS = 5
TARGET_MS, TARGET_COMPARE_QUERIES, TARGET_VERIFY_S = 300, 10, 10
TARGET_HISTORY_QUERIES = 10


def _timed(call, runs=RUNS):
    """Median and worst wall time, queries, the result, and the median CPU time of this process (the
    figure a loaded machine distorts least; with SQLite it includes the database's work)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, cpu, queries, result = [], [], 0, None
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = call()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries = len(captured.captured_queries)
    return statistics.median(timings), max(timings), queries, result, statistics.median(cpu)


def _verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def build_compare(workspace, deployments, models, crypto, kinds):
    EnvObject, Link = models
    source, target = deployments
    secret_a, secret_b = crypto.seal_value("same-value"), crypto.seal_value("same-value")  # two tokens, one value
    shared = EnvObject.objects.bulk_create(
        EnvObject(workspace=workspace, kind=kinds.Kind.VARIABLE if i % 2 else kinds.Kind.CONNECTION, key=f"shared_{i:05d}",
                  data={"value": "v"} if i % 2 else {"conn_type": "postgres", "host": "db", "port": 5432},
                  secrets={} if i % 2 else {"password": secret_a})
        for i in range(COMPARE_SHARED)
    )
    links = []
    for i, env_object in enumerate(shared):
        override = ({"value": "other"} if i % 2 else {"host": "db.prod"}) if i < COMPARE_OVERRIDES else {}
        links.append(Link(env_object=env_object, deployment=source, override_data=override))
        links.append(Link(env_object=env_object, deployment=target))
    Link.objects.bulk_create(links, batch_size=2000)
    for deployment, token in ((source, secret_a), (target, secret_b)):
        EnvObject.objects.bulk_create(
            (EnvObject(workspace=workspace, deployment=deployment, kind=kinds.Kind.VARIABLE, key=f"own_{i:05d}",
                       is_secret=i % 2 == 0, data={} if i % 2 == 0 else {"value": f"{deployment.name}-{i % 3}"},
                       secrets={"value": token} if i % 2 == 0 else {})
             for i in range(COMPARE_OWN)),
            batch_size=2000,
        )


def build_matrix(workspace_services, workspace, models, kinds):
    EnvObject, Link = models
    deployments = [workspace_services.deployment_create(workspace=workspace, name=f"d{j:03d}") for j in range(MATRIX_DEPLOYMENTS)]
    objects = EnvObject.objects.bulk_create(
        (EnvObject(workspace=workspace, kind=kinds.Kind.ENV, key=f"KEY_{i:05d}", data={"value": "1"},
                   linked_to_all=i % 3 == 0)
         for i in range(MATRIX_KEYS)),
        batch_size=2000,
    )
    links, own = [], []
    for i, env_object in enumerate(objects):
        if i % 3 == 0:  # linked to all, a few Deployments excluded
            links += [Link(env_object=env_object, deployment=d, excluded=True) for d in deployments[i % 50::50]]
        elif i % 3 == 1:  # linked to a third of the Deployments, every tenth with an override
            links += [Link(env_object=env_object, deployment=d, override_data={"value": "2"} if j % 10 == 0 else {})
                      for j, d in enumerate(deployments[i % 3::3])]
        else:  # ten Deployments have their own object of that key
            own += [EnvObject(workspace=workspace, deployment=d, kind=kinds.Kind.ENV, key=env_object.key, data={"value": "3"})
                    for d in deployments[i % 30::30]]
    Link.objects.bulk_create(links, batch_size=5000)
    EnvObject.objects.bulk_create(own, batch_size=5000)
    return deployments


def build_history(workspace, env_object_services, ObjectVersion):
    """A connection with HISTORY_VERSIONS versions: created through the service, the rest written as the
    service writes them (one row each, secret tokens and changed fields), in bulk."""
    from envmanager import crypto

    connection = env_object_services.env_object_create(
        workspace=workspace, actor=None, kind="connection", key="warehouse",
        fields={"conn_type": "postgres", "host": "db", "port": 5432, "password": "pw-0"},
    )
    first = ObjectVersion.objects.get(object_id=connection.pk)
    rows = []
    for number in range(2, HISTORY_VERSIONS + 1):
        row = ObjectVersion(
            workspace=workspace, object_id=connection.pk, kind=first.kind, key=first.key, number=number,
            change=ObjectVersion.Change.CHANGED, actor_name="bench", changed_fields=["password", "port"],
            data={**first.data, "port": 5432 + number}, secrets={"password": crypto.seal_value(f"pw-{number}")},
        )
        rows.append(row)
    ObjectVersion.objects.bulk_create(rows, batch_size=500)
    return connection


def build_audit(workspace, audit_entry, append_entries):
    for start in range(0, AUDIT_ENTRIES, 2000):
        append_entries(
            audit_entry(actor=None, action="env_object.update", workspace=workspace, target_type="env_object",
                        target_id=n, target_label=f"Airflow variable 'key_{n}' (Workspace)",
                        before={"kind": "variable", "key": f"key_{n}", "fields": {"value": "a", "description": None}},
                        after={"kind": "variable", "key": f"key_{n}", "fields": {"value": "b", "description": None}})
            for n in range(start, min(start + 2000, AUDIT_ENTRIES))
        )


def worker() -> int:
    setup_django()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from envmanager import crypto, kinds
    from envmanager.models import AuditEntry, EnvObject, Link, ObjectVersion, Role
    from envmanager.selectors.compare import compare_targets
    from envmanager.selectors.versions import HISTORY_PAGE_SIZE
    from envmanager.services import env_objects as env_object_services
    from envmanager.services import workspaces as workspace_services
    from envmanager.services.audit import audit_entry
    from envmanager.services.audit_chain import append_entries, verify_chains
    from envmanager.services.members import membership_set
    from envmanager.views.compare import COMPARE_PAGE_SIZE

    setup_test_environment()  # the test client's host
    label = os.environ["ENVMANAGER_BENCH_LABEL"]
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("bench", password="bench-password-1")
    client = Client()
    client.force_login(user)

    # --- History ---
    started = time.perf_counter()
    workspace = workspace_services.workspace_create(name="history")
    membership_set(workspace=workspace, user=user, role=Role.OWNER, actor=None)
    connection = build_history(workspace, env_object_services, ObjectVersion)
    setup_s = time.perf_counter() - started
    last_page = -(-HISTORY_VERSIONS // HISTORY_PAGE_SIZE)
    for page in (1, last_page):
        address = reverse("envmanager:env-object-history", args=[workspace.pk, connection.pk]) + f"?page={page}"
        client.get(address)
        median, worst, queries, response, _cpu = _timed(lambda address=address: client.get(address))
        assert response.status_code == 200 and response.content.count(b"data-version=") == (
            HISTORY_PAGE_SIZE if page == 1 else HISTORY_VERSIONS - HISTORY_PAGE_SIZE * (last_page - 1)
        )
        ok = median < TARGET_MS and queries <= TARGET_HISTORY_QUERIES
        print(f"{label:<10} History of an object with {HISTORY_VERSIONS} versions, page {page}: median {median:.0f} ms, "
              f"worst {worst:.0f} ms, {queries} queries (session, user and Workspace included)  [{_verdict(ok)}: target "
              f"< {TARGET_MS} ms, <= {TARGET_HISTORY_QUERIES} queries]  (setup {setup_s:.1f} s)")
    only = os.environ.get("ENVMANAGER_BENCH_ONLY")
    if only == "history":
        return 0

    # --- Compare ---
    started = time.perf_counter()
    workspace = workspace_services.workspace_create(name="compare")
    membership_set(workspace=workspace, user=user, role=Role.OWNER, actor=None)
    source = workspace_services.deployment_create(workspace=workspace, name="staging")
    target = workspace_services.deployment_create(workspace=workspace, name="prod")
    build_compare(workspace, (source, target), (EnvObject, Link), crypto, kinds)
    setup_s = time.perf_counter() - started
    median, worst, queries, comparison, cpu = _timed(lambda: compare_targets(source=source, target=target))
    assert (len(comparison.only_from), len(comparison.only_to)) == (0, 0), comparison.as_dict()
    assert len(comparison.differs) == COMPARE_OVERRIDES + COMPARE_OWN // 2, len(comparison.differs)
    assert comparison.same == COMPARE_SHARED - COMPARE_OVERRIDES + COMPARE_OWN // 2
    print(f"{label:<10} Compare 2 × {COMPARE_SHARED + COMPARE_OWN} objects, selector: median {median:.0f} ms, worst "
          f"{worst:.0f} ms, CPU {cpu:.0f} ms, {queries} queries  "
          f"[{_verdict(median < TARGET_MS and queries <= TARGET_COMPARE_QUERIES)}: "
          f"target < {TARGET_MS} ms, <= {TARGET_COMPARE_QUERIES} queries]  (setup {setup_s:.1f} s)")
    address = reverse("envmanager:compare", args=[workspace.pk]) + f"?from=deployment-{source.pk}&to=deployment-{target.pk}"
    last_page = -(-len(comparison.differs) // COMPARE_PAGE_SIZE)
    for page in (1, last_page):
        page_address = f"{address}&differs_page={page}"
        client.get(page_address)
        median, worst, queries, response, cpu = _timed(lambda page_address=page_address: client.get(page_address))
        shown, left = response.content.count(b'data-bucket="differs"'), len(comparison.differs) - (page - 1) * COMPARE_PAGE_SIZE
        assert response.status_code == 200 and shown == min(COMPARE_PAGE_SIZE, left)
        ok = median < TARGET_MS and queries <= TARGET_COMPARE_QUERIES
        print(f"{label:<10} Compare page 2 × {COMPARE_SHARED + COMPARE_OWN} objects, {len(comparison.differs)} differing, "
              f"page {page} of {last_page} ({shown} rows): median {median:.0f} ms, worst {worst:.0f} ms, CPU {cpu:.0f} ms, "
              f"{queries} queries "
              f"(session, user, Workspace and switcher included)  [{_verdict(ok)}: target < {TARGET_MS} ms, "
              f"<= {TARGET_COMPARE_QUERIES} queries]")

    if only == "compare":
        return 0

    # --- Matrix ---
    started = time.perf_counter()
    workspace = workspace_services.workspace_create(name="matrix")
    membership_set(workspace=workspace, user=user, role=Role.OWNER, actor=None)
    build_matrix(workspace_services, workspace, (EnvObject, Link), kinds)
    setup_s = time.perf_counter() - started
    for page in (1, 40):
        address = reverse("envmanager:matrix", args=[workspace.pk, "environment-variables"]) + f"?page={page}"
        client.get(address)
        median, worst, queries, response, _cpu = _timed(lambda address=address: client.get(address))
        assert response.status_code == 200 and response.content.count(b"<td class=") == 40 * MATRIX_DEPLOYMENTS
        print(f"{label:<10} Matrix {MATRIX_DEPLOYMENTS} Deployments × {MATRIX_KEYS} keys, page {page} "
              f"(40 keys, {40 * MATRIX_DEPLOYMENTS} cells): median {median:.0f} ms, worst {worst:.0f} ms, {queries} queries"
              f"  [{_verdict(median < TARGET_MS)}: target < {TARGET_MS} ms]  (setup {setup_s:.1f} s)")

    # --- audit_verify ---
    started = time.perf_counter()
    workspace = workspace_services.workspace_create(name="audit")
    build_audit(workspace, audit_entry, append_entries)
    setup_s = time.perf_counter() - started
    total = AuditEntry.objects.count()
    started = time.perf_counter()
    result = verify_chains()
    verify_s = time.perf_counter() - started
    assert result.ok and result.entries == total, result
    started = time.perf_counter()
    call_command("audit_verify", stdout=io.StringIO())
    command_s = time.perf_counter() - started
    print(f"{label:<10} audit_verify over {total} entries: {verify_s:.2f} s (command {command_s:.2f} s)  "
          f"[{_verdict(command_s < TARGET_VERIFY_S)}: target < {TARGET_VERIFY_S} s]  "
          f"(appending them: {setup_s:.1f} s, {AUDIT_ENTRIES / setup_s:.0f} entries/s)")
    return 0


if __name__ == "__main__":
    main(__file__, "envmanager_bench_history", worker)
