"""Run a benchmark against a fresh database of its own: SQLite in a temp folder and PostgreSQL."""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = os.environ.get("ENVMANAGER_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def postgres_database(name: str) -> str | None:
    """Return the URL of a freshly created PostgreSQL database, or None when no server answers."""
    try:
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # any reason: the benchmark then runs on SQLite only
        print(f"PostgreSQL not available ({exc.__class__.__name__}); skipping it.", file=sys.stderr)
        return None
    return f"{POSTGRES_SERVER}/{name}"


def run_on_each_database(script: Path, name: str) -> int:
    """Run `script --worker` once per database with DATABASE_URL set; return the worst exit status."""
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", f"sqlite:///{tmp}/bench.sqlite3")]
        if url := postgres_database(name):
            targets.append(("PostgreSQL", url))
        for label, url in targets:
            env = {**os.environ, "DATABASE_URL": url, "ENVMANAGER_BENCH_LABEL": label, "ENVMANAGER_VAR_DIR": tmp}
            status = max(status, subprocess.call([sys.executable, str(script), "--worker"], env=env, cwd=ROOT))
    return status


def server_database(name: str, prefix: str, **settings: str) -> tuple[dict, Path]:
    """Return the environment of a benchmark's server on a fresh PostgreSQL database `name`, and its folder.

    The server benchmarks (gunicorn, the read API) need PostgreSQL; `settings` add to or replace the
    defaults. Exit with a message when no PostgreSQL server answers.
    """
    from cryptography.fernet import Fernet
    from django.core.management.utils import get_random_secret_key

    database_url = postgres_database(name)
    if database_url is None:
        raise SystemExit("This benchmark needs PostgreSQL (ENVMANAGER_BENCH_POSTGRES, default 127.0.0.1:5432).")
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    env = {
        "DATABASE_URL": database_url, "SECRET_KEY": get_random_secret_key(),
        "ENVMANAGER_ENCRYPTION_KEYS": Fernet.generate_key().decode(), "ENVMANAGER_VAR_DIR": str(workdir),
        "ALLOWED_HOSTS": "127.0.0.1", "DEBUG": "false", "DATABASE_CONN_MAX_AGE": "600", **settings,
    }
    return env, workdir


def machine_load() -> str:
    """Say how busy the machine is, to print next to the figures: other work here skews them."""
    return f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"


def build_timed[T](build_data: Callable[[dict], T], env: dict) -> T:
    """Return `build_data(env)`, a server benchmark's data, having printed how long building it took."""
    started = time.monotonic()
    data = build_data(env)
    print(f"  data built in {time.monotonic() - started:.1f} s")
    return data


def setup_django() -> None:
    """Configure Django for this worker process and create the schema."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def main(script_file: str, database_name: str, worker: Callable[[], int]) -> None:
    """Be a benchmark's entry point: `worker()` in a worker process (`--worker`), else start one per database."""
    if "--worker" in sys.argv:
        sys.exit(worker())
    sys.exit(run_on_each_database(Path(script_file).resolve(), database_name))
