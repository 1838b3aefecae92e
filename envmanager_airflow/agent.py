"""The envmanager agent: runs where Airflow runs and keeps it supplied with every object type.

    python -m envmanager_airflow.agent sync --url URL --token-file FILE --dir DIR [--once] [--interval S]
    python -m envmanager_airflow.agent run  --url URL --token-file FILE [--watch] -- COMMAND...

`sync` keeps these files in DIR, each replaced atomically (temporary file + rename, mode 0600):
- `connections.json`, `variables.json`: Airflow's own `LocalFilesystemBackend` format, so Airflow's
  built-in backend can read them with no envmanager code on the worker;
- `env`: the environment variables (and the `[metrics]` settings when there are metrics exports) as a
  .env file that python-dotenv reads back exactly;
- `environment.json`: the snapshot with its ETag, for the secrets backend's `snapshot_file` (every task
  process on the host starts warm); touched on every successful revalidation, so its age says how
  current it is;
- `otel-collector.yaml`: an OpenTelemetry Collector configuration, when the target has metrics exports.
It revalidates with ETags every `--interval` seconds, keeps the last good files while envmanager is
unreachable, logs without secrets, and exits cleanly on SIGTERM. `--once` suits an init container.

`run` starts COMMAND with the target's environment variables (and the `[metrics]` settings) added to
its environment, forwards signals to it and exits with its exit code; `--watch` restarts it gracefully
when those variables change.

Standard library only, Python 3.9 and newer.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from envmanager_airflow import formats
from envmanager_airflow.client import ApiClient, TokenSource, Unavailable
from envmanager_airflow.otel import collector_config
from envmanager_airflow.snapshot import Snapshot, SnapshotError, write_atomically

log = logging.getLogger("envmanager_airflow.agent")

CONNECTIONS_FILE = "connections.json"
VARIABLES_FILE = "variables.json"
ENV_FILE = "env"
SNAPSHOT_FILE = "environment.json"
COLLECTOR_FILE = "otel-collector.yaml"
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


class AgentError(Exception):
    """Something the agent cannot work around; the message says what to fix."""


# --- What the target's environment becomes ---------------------------------------------------------


def environment_variables(snapshot: Snapshot, *, otel_host: str, otel_port: int) -> dict:
    """Return the variables a process of the target gets: its env vars, plus Airflow's metrics settings."""
    variables = {key: formats.variable_text(values) for key, values in snapshot.items("env")}
    if snapshot.items("metrics"):
        variables.update(formats.airflow_metrics_settings(host=otel_host, port=otel_port))
    return variables


def rendered_files(snapshot: Snapshot, *, otel_host: str, otel_port: int) -> dict:
    """Return {file name: content} for everything `sync` writes (the collector config only with metrics)."""
    connections = dict(snapshot.items("connection"))
    variables = dict(snapshot.items("variable"))
    files = {
        CONNECTIONS_FILE: formats.local_filesystem_connections(connections),
        VARIABLES_FILE: formats.local_filesystem_variables(variables),
        ENV_FILE: formats.dotenv(environment_variables(snapshot, otel_host=otel_host, otel_port=otel_port)),
    }
    metrics = snapshot.items("metrics")
    if metrics:
        files[COLLECTOR_FILE] = collector_config(metrics).to_yaml()
    return files


def _counts(snapshot: Snapshot) -> str:
    return ", ".join(
        f"{len(snapshot.items(kind))} {label}"
        for kind, label in (("connection", "connections"), ("variable", "variables"), ("env", "env vars"),
                            ("metrics", "metrics exports"))
    )


# --- sync ------------------------------------------------------------------------------------------


class Syncer:
    """Keeps DIR's files equal to the target's environment; one `sync_once()` per interval."""

    def __init__(self, client: ApiClient, directory: str, *, otel_host: str, otel_port: int):
        self.client = client
        self.directory = directory
        self.otel_host, self.otel_port = otel_host, otel_port
        self.snapshot: Snapshot | None = None
        try:  # a restarted agent revalidates what it wrote before instead of downloading it again
            self.snapshot = Snapshot.read(self.path(SNAPSHOT_FILE))
        except (OSError, SnapshotError):
            pass

    def path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def sync_once(self) -> bool:
        """Revalidate; write the files if anything changed (or is missing). Return whether files changed."""
        etag = self.snapshot.etag if self.snapshot is not None else None
        response = self.client.get("/environment", etag=etag)
        if response.status == 304 and self.snapshot is not None:
            if self._files_missing():
                self._write(self.snapshot)
                return True
            os.utime(self.path(SNAPSHOT_FILE))  # confirmed current: the backend reads the file's age
            log.debug("environment unchanged (%s)", etag)
            return False
        if response.status != 200:
            raise Unavailable(f"HTTP {response.status} for the environment")
        try:
            snapshot = Snapshot(response.json(), response.etag)
        except SnapshotError as exc:
            raise Unavailable(str(exc)) from None
        self._write(snapshot)
        self.snapshot = snapshot
        log.info("environment written to %s: %s (ETag %s)", self.directory, _counts(snapshot), snapshot.etag)
        return True

    def _files_missing(self) -> bool:
        expected = rendered_files(self.snapshot, otel_host=self.otel_host, otel_port=self.otel_port)
        return any(not os.path.exists(self.path(name)) for name in [*expected, SNAPSHOT_FILE])

    def _write(self, snapshot: Snapshot) -> None:
        files = rendered_files(snapshot, otel_host=self.otel_host, otel_port=self.otel_port)
        for name, content in files.items():
            write_atomically(self.path(name), content)
        if COLLECTOR_FILE not in files and os.path.exists(self.path(COLLECTOR_FILE)):
            os.unlink(self.path(COLLECTOR_FILE))  # the last metrics export is gone: no stale exporter
        # Last, so a backend that sees the new snapshot also finds the new Airflow files.
        write_atomically(self.path(SNAPSHOT_FILE), snapshot.to_file_content())


def sync(args, stop: threading.Event) -> int:
    os.makedirs(args.dir, mode=0o700, exist_ok=True)
    syncer = Syncer(_client(args), args.dir, otel_host=args.otel_host, otel_port=args.otel_port)
    if args.once:
        try:
            syncer.sync_once()
        except Unavailable as exc:
            log.error("cannot read the environment from %s: %s", syncer.client.api_url, exc)
            return 1
        return 0
    failing = False
    while not stop.is_set():
        try:
            syncer.sync_once()
            if failing:
                log.info("envmanager answers again")
            failing = False
        except Unavailable as exc:
            log.warning(
                "cannot read the environment from %s (%s); keeping the last good files", syncer.client.api_url, exc
            )
            failing = True
        stop.wait(args.interval)
    log.info("stopped")
    return 0


# --- run -------------------------------------------------------------------------------------------


class EnvironmentSource:
    """Where `run` reads the environment from: the API (with ETags) or the agent's snapshot file."""

    def __init__(self, args):
        self.snapshot_file = args.snapshot_file
        self.client = None if args.snapshot_file else _client(args)
        self.snapshot: Snapshot | None = None
        self.otel_host, self.otel_port = args.otel_host, args.otel_port

    def variables(self) -> dict:
        """Return the current variables (raise Unavailable when they cannot be read)."""
        if self.snapshot_file:
            try:
                self.snapshot = Snapshot.read(self.snapshot_file)
            except (OSError, SnapshotError) as exc:
                raise Unavailable(f"cannot read {self.snapshot_file}: {exc}") from None
        else:
            response = self.client.get("/environment", etag=self.snapshot.etag if self.snapshot else None)
            if response.status == 200:
                try:
                    self.snapshot = Snapshot(response.json(), response.etag)
                except SnapshotError as exc:
                    raise Unavailable(str(exc)) from None
            elif not (response.status == 304 and self.snapshot is not None):
                raise Unavailable(f"HTTP {response.status} for the environment")
        return environment_variables(self.snapshot, otel_host=self.otel_host, otel_port=self.otel_port)


class Child:
    """The command `run` supervises."""

    def __init__(self, command: list, variables: dict):
        environment = dict(os.environ)
        environment.update(variables)
        self.process = subprocess.Popen(command, env=environment)
        log.info("started %s (pid %s)", command[0], self.process.pid)

    def signal(self, number: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(number)

    def stop(self, grace: float) -> int:
        """Ask the command to stop (SIGTERM), kill it after `grace` seconds; return its exit status."""
        self.signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log.warning("%s did not stop within %s s; killing it", self.process.args[0], grace)
            self.process.kill()
            return self.process.wait()


def exit_status(returncode: int) -> int:
    """The shell's convention: a command killed by signal N exits 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def run(args, stop: threading.Event) -> int:
    if not args.command:
        raise AgentError("give the command to run after '--', e.g. `agent run ... -- airflow scheduler`")
    source = EnvironmentSource(args)
    try:
        variables = source.variables()
    except Unavailable as exc:
        raise AgentError(f"cannot read the environment to start {args.command[0]} with: {exc}") from None
    child = Child(args.command, variables)
    def forward(number, _frame):
        child.signal(number)
        if number in (signal.SIGTERM, signal.SIGINT):
            stop.set()

    for number in FORWARDED_SIGNALS:
        signal.signal(number, forward)
    next_check = time.monotonic() + args.interval
    while True:
        returncode = child.process.poll()
        if returncode is not None:
            return exit_status(returncode)
        if stop.is_set():
            return exit_status(child.process.wait())
        if args.watch and time.monotonic() >= next_check:
            next_check = time.monotonic() + args.interval
            try:
                current = source.variables()
            except Unavailable as exc:
                log.warning("cannot revalidate the environment (%s); %s keeps running", exc, args.command[0])
                current = variables
            if current != variables:
                changed = sorted(k for k in {*current, *variables} if current.get(k) != variables.get(k))
                log.info("environment changed (%s); restarting %s", ", ".join(changed), args.command[0])
                child.stop(args.grace)
                variables = current
                child = Child(args.command, variables)
        stop.wait(0.1)


# --- Command line ----------------------------------------------------------------------------------


def _client(args) -> ApiClient:
    if not args.url:
        raise AgentError("--url is required (envmanager's http(s):// address)")
    if not args.token_file:
        raise AgentError("--token-file is required (a file holding the Deployment's API token)")
    try:
        return ApiClient(args.url, TokenSource(token_file=args.token_file), timeout=args.timeout,
                         ca_bundle=args.ca_bundle, reader_role="agent")
    except ValueError as exc:
        raise AgentError(str(exc)) from None


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m envmanager_airflow.agent",
        description="Keep Airflow supplied with envmanager's connections, variables, env vars and metrics exports.",
    )
    commands = main.add_subparsers(dest="action", required=True)

    def common(sub, *, url_required: bool):
        sub.add_argument("--url", required=url_required,
                         help="envmanager's address, e.g. https://envmanager.example.com")
        sub.add_argument("--token-file", required=url_required,
                         help="a file holding the target's API token (re-read when it changes)")
        sub.add_argument("--interval", type=float, default=5, help="seconds between revalidations (default 5)")
        sub.add_argument("--timeout", type=float, default=5, help="seconds to wait for envmanager (default 5)")
        sub.add_argument("--ca-bundle", help="CA file for envmanager's TLS certificate (default: the system's)")
        sub.add_argument("--otel-host", default=formats.DEFAULT_OTEL_HOST,
                         help=f"where Airflow finds the collector (default {formats.DEFAULT_OTEL_HOST})")
        sub.add_argument("--otel-port", type=int, default=formats.DEFAULT_OTEL_PORT,
                         help=f"the collector's OTLP/HTTP port (default {formats.DEFAULT_OTEL_PORT})")
        sub.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])

    sync_parser = commands.add_parser(
        "sync", help="keep Airflow's files, an env file, the snapshot and a collector config in a folder",
        epilog="Example: python -m envmanager_airflow.agent sync --url https://envmanager.example.com "
        "--token-file /run/secrets/envmanager-token --dir /var/lib/envmanager",
    )
    common(sync_parser, url_required=True)
    sync_parser.add_argument("--dir", required=True, help="the folder to keep the files in (created 0700)")
    sync_parser.add_argument("--once", action="store_true",
                             help="sync once and exit (an init container); exit 1 on failure")

    run_parser = commands.add_parser(
        "run", help="start a command with the target's environment variables; --watch restarts it on change",
        epilog="Example: python -m envmanager_airflow.agent run --url https://envmanager.example.com "
        "--token-file /run/secrets/envmanager-token --watch -- airflow scheduler",
    )
    common(run_parser, url_required=False)
    run_parser.add_argument("--snapshot-file",
                            help="read the environment from the agent's environment.json instead of the API")
    run_parser.add_argument("--watch", action="store_true", help="restart the command when its variables change")
    run_parser.add_argument("--grace", type=float, default=30,
                            help="seconds a restarted command gets to stop before it is killed (default 30)")
    run_parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    return main


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "command", None) and args.command[0] == "--":
        args.command = args.command[1:]
    if args.action == "run" and not args.snapshot_file and not (args.url and args.token_file):
        print("agent run: give --url and --token-file, or --snapshot-file", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level, format="%(asctime)s envmanager-agent %(levelname)s %(message)s",
                        stream=sys.stderr)
    stop = threading.Event()
    if args.action == "sync":
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda _number, _frame: stop.set())
    try:
        return sync(args, stop) if args.action == "sync" else run(args, stop)
    except AgentError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
