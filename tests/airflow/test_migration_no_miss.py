"""Issue #13 item 2: a real Airflow process reading a key in a loop through the snapshot backend never
misses it while Migrate from Airflow moves that key out of its metastore into envmanager."""

import json
import select
import sqlite3
import subprocess
import time

import pytest
from cryptography.fernet import Fernet

from envmanager.kinds import Kind
from envmanager.models import ApiTokenReader
from envmanager.services.migration import airflow_migration_apply
from envmanager.services.workspaces import deployment_update
from tests.airflow import airflow_venv
from tests.airflow.conftest import RESULT_PREFIX, backend_env

pytestmark = pytest.mark.airflow

FERNET_KEY = Fernet.generate_key().decode()
KEY = "moving_key"

LOOP_SNIPPET = f"""
import json, select, sys
import airflow  # noqa: F401
from airflow.models import Variable
reads = misses = 0
values = set()
stop_after = None
while stop_after is None or reads < stop_after:
    value = Variable.get({KEY!r}, default_var=None)
    reads += 1
    if value is None:
        misses += 1
    else:
        values.add(value)
    if reads == 1:
        print("READY", flush=True)
    if stop_after is None and select.select([sys.stdin], [], [], 0)[0]:
        sys.stdin.readline()
        stop_after = reads + 300
print({RESULT_PREFIX!r} + json.dumps({{"reads": reads, "misses": misses, "values": sorted(values)}}), flush=True)
"""


def _line(process, prefix: str, timeout: float = 180) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 1)
        if not ready:
            continue
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no {prefix!r} line from the Airflow process:\n" + "".join(seen[-40:]))


def test_a_key_read_in_a_loop_is_never_missed_while_it_is_migrated(
    dev, dev_token, live_server, token_file, airflow_venv_path, airflow_home, backend_package, settings
):
    settings.ENVMANAGER_MIGRATION_READER_GRACE_SECONDS = 30  # the reader confirms well before; no time-out here
    plain_env = airflow_venv.airflow_env(airflow_home, extra={"AIRFLOW__CORE__FERNET_KEY": FERNET_KEY})
    airflow_venv.run_airflow(airflow_venv_path, ["variables", "set", KEY, "the value"], plain_env)
    db_path = airflow_home / "airflow.db"
    deployment = deployment_update(deployment=dev, metadata_db_url=f"sqlite:///{db_path}", fernet_keys=FERNET_KEY)

    env = backend_env(airflow_home, backend_package, url=live_server.url, token_file=token_file,
                      mode="snapshot", refresh_seconds=1)
    env["AIRFLOW__CORE__FERNET_KEY"] = FERNET_KEY
    env["_AIRFLOW_PROCESS_CONTEXT"] = "server"
    process = subprocess.Popen(
        [str(airflow_venv.venv_bin(airflow_venv_path, "python")), "-c", LOOP_SNIPPET],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        _line(process, "READY")  # reading from the metastore through a snapshot without the key
        assert ApiTokenReader.objects.filter(token_id=dev_token.api_token.pk).count() == 1

        with sqlite3.connect(db_path) as conn:
            [(source_id,)] = conn.execute("SELECT id FROM variable WHERE key = ?", [KEY]).fetchall()
        result = airflow_migration_apply(deployment=deployment, kind=Kind.VARIABLE, source_ids=[source_id], actor=None)

        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT count(*) FROM variable WHERE key = ?", [KEY]).fetchone() == (0,)
        process.stdin.write("stop\n")
        process.stdin.flush()
        loop = json.loads(_line(process, RESULT_PREFIX)[len(RESULT_PREFIX):])
    finally:
        process.kill()
        process.wait(timeout=10)

    assert result.migrated == [KEY]
    assert result.reader_wait["readers"] == 1 and result.reader_wait["behind"] == 0
    assert not result.reader_wait["timed_out"]
    assert loop["misses"] == 0 and loop["reads"] > 300
    assert loop["values"] == ["the value"]
