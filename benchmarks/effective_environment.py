"""Resolve the effective environment of a Deployment with 10,000 linked Workspace objects and 1,000 overrides.

    .venv/bin/python benchmarks/effective_environment.py

Prints, for SQLite and PostgreSQL: resolve time (median and worst of several runs) and the number of SQL
queries. Target: under 300 ms and at most 5 queries.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._django import main, setup_django  # noqa: E402

OBJECTS = 10_000
OVERRIDES = 1_000
RUNS = 7
TARGET_MS, TARGET_QUERIES = 300, 5


def build(workspace_services, link_model, env_object_model, crypto, kinds):
    """Create a Workspace with two Deployments; every object linked to both, overrides on the first."""
    workspace = workspace_services.workspace_create(name="bench")
    deployment = workspace_services.deployment_create(workspace=workspace, name="prod")
    other = workspace_services.deployment_create(workspace=workspace, name="dev")
    password = crypto.seal_value("not-a-real-password")  # one token reused: sealing 10k would time the setup
    kind_cycle = [kinds.Kind.CONNECTION, kinds.Kind.VARIABLE, kinds.Kind.ENV, kinds.Kind.METRICS]
    data = {
        kinds.Kind.CONNECTION: ({"conn_type": "postgres", "host": "db", "login": "app", "port": 5432}, {"password": password}),
        kinds.Kind.VARIABLE: ({"value": "some value", "description": "benchmark"}, {}),
        kinds.Kind.ENV: ({"value": "1"}, {}),
        kinds.Kind.METRICS: ({"endpoint": "https://m.example.com", "exporter_type": "prometheus_remote_write",
                              "auth_type": "bearer"}, {"password": password}),
    }
    objects = env_object_model.objects.bulk_create(
        env_object_model(
            workspace=workspace, kind=kind, key=f"OBJ_{i:05d}", data=data[kind][0], secrets=data[kind][1]
        )
        for i in range(OBJECTS)
        for kind in [kind_cycle[i % 4]]
    )
    links = []
    for i, env_object in enumerate(objects):
        override = {"value": "overridden"} if i < OVERRIDES and env_object.kind in (kinds.Kind.VARIABLE, kinds.Kind.ENV) else {}
        if i < OVERRIDES and not override:
            override = {"host": "db.prod"} if env_object.kind == kinds.Kind.CONNECTION else {"username": "bench"}
        links.append(link_model(env_object=env_object, deployment=deployment, override_data=override))
        links.append(link_model(env_object=env_object, deployment=other))
    link_model.objects.bulk_create(links, batch_size=2000)
    return deployment


def worker() -> int:
    setup_django()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from envmanager import crypto, kinds
    from envmanager.models import Deployment, EnvObject, Link
    from envmanager.selectors.environment import deployment_effective_environment
    from envmanager.services import workspaces as workspace_services

    label = os.environ["ENVMANAGER_BENCH_LABEL"]
    started = time.perf_counter()
    deployment = build(workspace_services, Link, EnvObject, crypto, kinds)
    setup_s = time.perf_counter() - started

    timings, queries, entries = [], 0, []
    for _ in range(RUNS):
        deployment = Deployment.objects.get(pk=deployment.pk)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            entries = deployment_effective_environment(deployment=deployment)
            timings.append((time.perf_counter() - started) * 1000)
        queries = len(captured.captured_queries)
    overridden = sum(1 for entry in entries if entry.source == "override")
    assert len(entries) == OBJECTS and overridden == OVERRIDES, (len(entries), overridden)

    median, worst = statistics.median(timings), max(timings)
    verdict = "OK" if median < TARGET_MS and queries <= TARGET_QUERIES else "MISSED"
    print(
        f"{label:<10} {OBJECTS} objects, {OVERRIDES} overrides: resolve median {median:.0f} ms, "
        f"worst {worst:.0f} ms, {queries} queries  [{verdict}: target < {TARGET_MS} ms, <= {TARGET_QUERIES} queries]"
        f"  (setup {setup_s:.1f} s)"
    )
    return 0


if __name__ == "__main__":
    main(__file__, "envmanager_bench_effective_environment", worker)
