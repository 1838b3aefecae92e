"""Load the read API the way Airflow's secrets backend does, and compare with Airflow's own metastore.

    .venv/bin/python benchmarks/secrets_api.py

One command, bounded in count and time, loopback only. It:
1. creates a fresh PostgreSQL database with 10,000 environment objects linked to one Deployment
   (1,000 of them overridden) and an API token;
2. serves envmanager with gunicorn (2 sync workers) on 127.0.0.1;
3. runs single-key lookups (connections and variables) at a fixed concurrency, then paced at
   500 requests/s, and prints requests/s and p50/p99 latency;
4. in the cached Airflow venv (tests/airflow/airflow_venv.py), times the same number of
   `Variable.get` calls against a real Airflow metadata database holding 10,000 variables, the
   envmanager backend's cached lookup, and `Variable.get` resolved through the backend;
5. prints the figures and the ratios. Target: p99 under 20 ms at 500 requests/s; the backend's
   cached lookup faster than Airflow's metastore lookup.
"""

import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._django import build_timed, machine_load, server_database, setup_django  # noqa: E402
from tests.airflow import airflow_venv  # noqa: E402

OBJECTS = 10_000
OVERRIDES = 1_000
CONCURRENCY = 8
LOOKUPS = 4_000  # per load phase; also the number of metastore lookups
PACED_RATE = 500  # requests per second
PHASE_TIME_LIMIT = 60  # seconds; every phase stops by then whatever happened
TARGET_P99_MS = 20


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- 1. Data ------------------------------------------------------------------------------------


def build_data(env: dict) -> dict:
    """Create the schema and the objects in the benchmark database; return the token and the keys."""
    os.environ.update(env)
    setup_django()

    from envmanager import crypto
    from envmanager.kinds import Kind
    from envmanager.models import EnvObject, Link
    from envmanager.services import tokens as token_services
    from envmanager.services import workspaces as workspace_services

    workspace = workspace_services.workspace_create(name="bench")
    deployment = workspace_services.deployment_create(workspace=workspace, name="prod")
    password = crypto.seal_value("not-a-real-password")  # one token reused: sealing 10k would time the setup
    kinds = [Kind.CONNECTION, Kind.VARIABLE, Kind.ENV, Kind.METRICS]
    data = {
        Kind.CONNECTION: (
            {"conn_type": "postgres", "host": "db", "login": "app", "port": 5432}, {"password": password}
        ),
        Kind.VARIABLE: ({"value": "some value", "description": "benchmark"}, {}),
        Kind.ENV: ({"value": "1"}, {}),
        Kind.METRICS: ({"endpoint": "https://m.example.com", "exporter_type": "prometheus_remote_write",
                        "auth_type": "bearer"}, {"password": password}),
    }
    objects = EnvObject.objects.bulk_create(
        (EnvObject(workspace=workspace, kind=kinds[i % 4], key=f"OBJ_{i:05d}", data=data[kinds[i % 4]][0],
                   secrets=data[kinds[i % 4]][1]) for i in range(OBJECTS)),
        batch_size=2000,
    )
    links = []
    for i, env_object in enumerate(objects):
        override = {}
        if i < OVERRIDES:
            override = {"value": "overridden"} if env_object.kind in (Kind.VARIABLE, Kind.ENV) else {"host": "db.prod"}
            if env_object.kind == Kind.METRICS:
                override = {"username": "bench"}
        links.append(Link(env_object=env_object, deployment=deployment, override_data=override))
    Link.objects.bulk_create(links, batch_size=2000)
    issued = token_services.api_token_create(actor=None, name="bench", target=deployment)
    from django.db import connection

    with connection.cursor() as cursor:
        # Vacuumed now, so autovacuum does not wake up on the fresh rows in the middle of a load run.
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    return {
        "token": issued.plain,
        "connections": [o.key for o in objects if o.kind == Kind.CONNECTION],
        "variables": [o.key for o in objects if o.kind == Kind.VARIABLE],
    }


# --- 2. Server ----------------------------------------------------------------------------------


def start_gunicorn(
    env: dict, port: int, log_path: Path, *options: str, wait_seconds: int = 30,
    app: str = "config.wsgi", ready_path: str = "/api/v1/openapi.json",
) -> subprocess.Popen:
    """Start gunicorn serving `app` with 2 workers (and `options`) on `port`; return once `ready_path`
    answers 200, or exit naming its log."""
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"), app, "--workers", "2", "--bind", f"127.0.0.1:{port}",
        *options, "--error-logfile", str(log_path), "--log-level", "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    stop(process)
    raise SystemExit(f"gunicorn did not start; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


# --- 3. Load ------------------------------------------------------------------------------------


def one_request(port: int, path: str, token: str) -> int:
    """Send one GET over a new loopback connection (gunicorn sync workers close after each); return the status."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return int(b"".join(chunks)[9:12])


def lookup_paths(keys: dict, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    paths = []
    for _ in range(count):
        if rng.random() < 0.5:
            paths.append(f"/api/v1/connections/{rng.choice(keys['connections'])}")
        else:
            paths.append(f"/api/v1/variables/{rng.choice(keys['variables'])}")
    return paths


def _run_clients(port, token, paths, workers, *, scheduled_at=None):
    """Send `paths` from `workers` threads until done or PHASE_TIME_LIMIT; return (latencies, errors).

    Without `scheduled_at` a client sends its next request as soon as the last one answered and
    latency counts from sending; with it, request i waits for `scheduled_at(i)` and latency counts
    from then, so queueing shows.
    """
    latencies, errors, lock, position = [], [], threading.Lock(), iter(range(len(paths)))
    deadline = time.monotonic() + PHASE_TIME_LIMIT

    def client():
        while time.monotonic() < deadline:
            with lock:
                index = next(position, None)
            if index is None:
                return
            if scheduled_at is None:
                started = time.perf_counter()
            else:
                started = scheduled_at(index)
                time.sleep(max(0.0, started - time.perf_counter()))
            status = one_request(port, paths[index], token)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(status)

    threads = [threading.Thread(target=client) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def run_closed_loop(port, token, paths, concurrency):
    """`concurrency` clients, each sending its next request as soon as the last one answered."""
    started = time.perf_counter()
    latencies, errors = _run_clients(port, token, paths, concurrency)
    return latencies, errors, time.perf_counter() - started


def run_paced(port, token, paths, rate, workers=32):
    """Send request i at start + i/rate; latency counts from the scheduled time, so queueing shows."""
    start = time.perf_counter() + 0.2
    latencies, errors = _run_clients(port, token, paths, workers, scheduled_at=lambda index: start + index / rate)
    return latencies, errors, time.perf_counter() - start


def describe(label, latencies, errors, seconds):
    ms = [value * 1000 for value in latencies]
    figures = {
        "requests": len(ms), "errors": len(errors), "seconds": round(seconds, 2),
        "rps": round(len(ms) / seconds, 1), "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 0.99), 2), "max_ms": round(max(ms), 2),
    }
    print(f"  {label}: {figures['requests']} requests in {figures['seconds']} s = {figures['rps']} req/s; "
          f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms; "
          f"errors {figures['errors']}")
    return figures


# --- 4. Airflow ---------------------------------------------------------------------------------

AIRFLOW_SNIPPET = r"""
import json, os, random, statistics, sys, time
config = json.loads(sys.argv[1])
rng = random.Random(7)
keys = config["variables"]
lookups = config["lookups"]
result = {}

def timed(function, n):
    samples = []
    for _ in range(n):
        key = rng.choice(keys)
        started = time.perf_counter()
        function(key)
        samples.append(time.perf_counter() - started)
    samples.sort()
    return {"mean_us": statistics.fmean(samples) * 1e6, "p50_us": samples[len(samples) // 2] * 1e6,
            "p99_us": samples[int(len(samples) * 0.99)] * 1e6, "n": n}

mode = config["mode"]
if mode == "metastore":
    from airflow.models import Variable
    Variable.get(keys[0])  # connect, load backends
    result["metastore_variable_get"] = timed(Variable.get, lookups)
else:
    import airflow  # first, as Airflow itself would be: it loads the configured backend while importing
    from envmanager_airflow.secrets import EnvmanagerSecretsBackend
    backend = EnvmanagerSecretsBackend(url=config["url"], token=config["token"], cache_ttl_seconds=3600)
    for key in keys:  # warm the cache: every key once
        assert backend.get_variable(key) is not None
    result["backend_cached_get_variable"] = timed(backend.get_variable, lookups * 10)
    uncached = EnvmanagerSecretsBackend(url=config["url"], token=config["token"], cache_ttl_seconds=0)
    result["backend_uncached_get_variable"] = timed(uncached.get_variable, min(lookups, 1000))
    from airflow.sdk import Variable
    for key in keys:  # Airflow builds its own backend instance from the config: warm that one too
        Variable.get(key)
    result["airflow_variable_get_via_backend_cached"] = timed(Variable.get, lookups)
print("RESULT:" + json.dumps(result))
"""


def airflow_figures(keys: dict, port: int, token: str, workdir: Path) -> dict:
    venv = airflow_venv.ensure_airflow_venv()
    home = workdir / "airflow-home"
    env = airflow_venv.airflow_env(home)
    env["_AIRFLOW_PROCESS_CONTEXT"] = "server"
    airflow_venv.metadata_db_create(venv, home, env=env)
    # The metastore holds the same 10,000 keys envmanager serves, so both look up in a table of that size.
    variables_file = workdir / "variables.json"
    all_keys = [f"OBJ_{i:05d}" for i in range(OBJECTS)]
    variables_file.write_text(json.dumps({key: "some value" for key in all_keys}))
    airflow_venv.run_airflow(venv, ["variables", "import", str(variables_file)], env, timeout=600)
    config = {"variables": keys["variables"], "lookups": LOOKUPS, "url": f"http://127.0.0.1:{port}", "token": token}

    results = {}
    for mode in ("metastore", "backend"):
        package = workdir / "backend-pkg"
        if not package.exists():
            package.mkdir()
            shutil.copytree(ROOT / "envmanager_airflow", package / "envmanager_airflow",
                            ignore=shutil.ignore_patterns("__pycache__"))
        run_env = dict(env, PYTHONPATH=str(package))
        if mode == "backend":
            run_env["AIRFLOW__SECRETS__BACKEND"] = "envmanager_airflow.secrets.EnvmanagerSecretsBackend"
            run_env["AIRFLOW__SECRETS__BACKEND_KWARGS"] = json.dumps(
                {"url": config["url"], "token": token, "cache_ttl_seconds": 3600}
            )
        output = subprocess.run(
            [str(airflow_venv.venv_bin(venv, "python")), "-c", AIRFLOW_SNIPPET, json.dumps({**config, "mode": mode})],
            env=run_env, capture_output=True, text=True, timeout=300,
        )
        lines = [line for line in output.stdout.splitlines() if line.startswith("RESULT:")]
        if output.returncode != 0 or not lines:
            raise SystemExit(f"Airflow timing ({mode}) failed:\n{output.stderr[-3000:]}")
        results.update(json.loads(lines[-1][len("RESULT:"):]))
    return results


# --- Main ---------------------------------------------------------------------------------------


def main() -> int:
    api_only = "--api-only" in sys.argv  # skip the Airflow comparison (quicker runs while tuning)
    env, workdir = server_database("envmanager_bench_secrets_api", "envmanager-bench-", LOG_LEVEL="WARNING")
    env["DATABASE_URL"] += os.environ.get("ENVMANAGER_BENCH_DB_OPTIONS", "")
    print(f"envmanager read API benchmark: {OBJECTS:,} objects ({OVERRIDES:,} overridden) on PostgreSQL, "
          f"gunicorn 2 sync workers, loopback, {machine_load()} at start")
    keys = build_timed(build_data, env)

    port = free_port()
    server = start_gunicorn(env, port, workdir / "gunicorn.log")
    try:
        token = keys["token"]
        warmup = lookup_paths(keys, 1000, seed=1)
        run_closed_loop(port, token, warmup, CONCURRENCY)
        closed_loop = run_closed_loop(port, token, lookup_paths(keys, LOOKUPS, 2), CONCURRENCY)
        closed = describe(f"fixed concurrency {CONCURRENCY}", *closed_loop)
        paced_run = run_paced(port, token, lookup_paths(keys, LOOKUPS, 3), PACED_RATE)
        paced = describe(f"paced at {PACED_RATE} req/s", *paced_run)
        whole_started = time.perf_counter()
        one_request(port, "/api/v1/environment", token)
        whole_ms = (time.perf_counter() - whole_started) * 1000
        print(f"  whole environment ({OBJECTS:,} entries, one request): {whole_ms:.0f} ms")
        print(f"  load average after the load runs: {os.getloadavg()[0]:.2f} (other work here skews the figures)")
        if api_only:
            return 0
        airflow = airflow_figures(keys, port, token, workdir)
    finally:
        stop(server)
        shutil.rmtree(workdir, ignore_errors=True)

    metastore = airflow["metastore_variable_get"]
    cached = airflow["backend_cached_get_variable"]
    via_backend = airflow["airflow_variable_get_via_backend_cached"]
    uncached = airflow["backend_uncached_get_variable"]
    print("Airflow 3 (cached venv), the same keys:")
    print(f"  Variable.get from the metastore (SQLite, {OBJECTS:,} variables): mean {metastore['mean_us']:.0f} µs, "
          f"p50 {metastore['p50_us']:.0f} µs, p99 {metastore['p99_us']:.0f} µs over {metastore['n']} lookups "
          f"= {1e6 / metastore['mean_us']:.0f} lookups/s in one process")
    print(f"  backend get_variable, uncached (one HTTP request each): mean {uncached['mean_us']:.0f} µs, "
          f"p99 {uncached['p99_us']:.0f} µs")
    print(f"  backend get_variable, cached: mean {cached['mean_us']:.2f} µs, p99 {cached['p99_us']:.2f} µs")
    print(f"  Variable.get resolved through the backend (cached): mean {via_backend['mean_us']:.0f} µs, "
          f"p99 {via_backend['p99_us']:.0f} µs")
    print("Ratios:")
    print(f"  API throughput at concurrency {CONCURRENCY} vs one process's metastore Variable.get: "
          f"{closed['rps'] / (1e6 / metastore['mean_us']):.2f}x")
    print(f"  API uncached lookup latency vs metastore Variable.get latency (mean): "
          f"{uncached['mean_us'] / metastore['mean_us']:.2f}x")
    print(f"  metastore Variable.get / backend cached lookup: {metastore['mean_us'] / cached['mean_us']:.0f}x "
          f"(the cached backend is faster: {cached['mean_us'] < metastore['mean_us']})")
    print(f"  metastore Variable.get / Variable.get through the cached backend: "
          f"{metastore['mean_us'] / via_backend['mean_us']:.1f}x")
    ok = paced["p99_ms"] < TARGET_P99_MS and paced["errors"] == 0 and cached["mean_us"] < metastore["mean_us"]
    met = "met" if paced["p99_ms"] < TARGET_P99_MS and paced["errors"] == 0 else "NOT met"
    print(f"Target p99 < {TARGET_P99_MS} ms at {PACED_RATE} req/s: {met} (p99 {paced['p99_ms']} ms); "
          f"cached backend faster than the metastore: {cached['mean_us'] < metastore['mean_us']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
