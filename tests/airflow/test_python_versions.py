"""Issue #13 item 7: envmanager_airflow runs on every Python Airflow 2.10 and 3.x support (3.9 and newer).

Each interpreter gets a copy of the package alone on its path (no Django, no repository), imports
every module, answers a lookup from a snapshot fetched from a live envmanager, and runs
`agent sync --once`. The interpreters: the Airflow venv's own (3.12), and pyenv's 3.9 when present.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.airflow.conftest import REPO_ROOT

PYENV_39 = sorted(Path.home().glob(".pyenv/versions/3.9*/bin/python3"))
PACKAGE = REPO_ROOT / "envmanager_airflow"

SCRIPT = r"""
import json, sys
url, token_file, directory, with_airflow = sys.argv[1:5]
if with_airflow == "1":
    import airflow  # noqa: F401  (Airflow's own loading imports it first)
import envmanager_airflow.agent, envmanager_airflow.client, envmanager_airflow.formats
import envmanager_airflow.otel, envmanager_airflow.snapshot
from envmanager_airflow.secrets import EnvmanagerSecretsBackend
backend = EnvmanagerSecretsBackend(url=url, token_file=token_file, mode="snapshot")
print(json.dumps({
    "python": list(sys.version_info[:2]),
    "region": backend.get_variable("region"),
    "missing": backend.get_variable("not_in_envmanager"),
    "conn_host": json.loads(backend.get_conn_value("warehouse"))["host"],
    "base": type(backend).__mro__[1].__module__,
}))
"""


def _interpreters():
    found = [pytest.param("airflow", id="airflow-venv")]
    found += [pytest.param(str(path), id=f"pyenv-{path.parent.parent.name}") for path in PYENV_39[-1:]]
    return found


@pytest.mark.airflow
@pytest.mark.parametrize("interpreter", _interpreters())
def test_the_package_runs_on_each_python(interpreter, airflow_venv_path, live_server, token_file, delivered, tmp_path):
    with_airflow = interpreter == "airflow"
    python = str(airflow_venv_path / "bin" / "python") if with_airflow else interpreter
    path = tmp_path / "path"
    shutil.copytree(PACKAGE, path / "envmanager_airflow", ignore=shutil.ignore_patterns("__pycache__"))
    env = {"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AIRFLOW_HOME": str(tmp_path)}

    lookup = subprocess.run(
        [python, "-c", SCRIPT, live_server.url, str(token_file), str(tmp_path / "agent"), "1" if with_airflow else "0"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert lookup.returncode == 0, lookup.stderr
    answer = json.loads(lookup.stdout.strip().splitlines()[-1])
    assert answer["python"][0] == 3 and answer["python"][1] >= 9
    assert (answer["region"], answer["missing"], answer["conn_host"]) == ("eu-west-1", None, "db-dev.internal")
    if with_airflow:
        assert answer["base"].startswith("airflow.")  # Airflow's own BaseSecretsBackend, not the stand-in

    sync = subprocess.run(
        [python, "-m", "envmanager_airflow.agent", "sync", "--once", "--url", live_server.url,
         "--token-file", str(token_file), "--dir", str(tmp_path / "agent")],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert sync.returncode == 0, sync.stderr
    variables = json.loads((tmp_path / "agent" / "variables.json").read_text())
    assert variables["region"] == "eu-west-1"
    assert (tmp_path / "agent" / "environment.json").stat().st_mode & 0o777 == 0o600


def test_vermin_finds_nothing_newer_than_python_3_9():
    """The source needs nothing newer than 3.9 (vermin reads every module, annotations included)."""
    vermin = Path(sys.executable).with_name("vermin")
    result = subprocess.run(
        [str(vermin), "--target=3.9-", "--no-tips", "--eval-annotations", "--violations", str(PACKAGE)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
