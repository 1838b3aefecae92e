"""A real Apache Airflow (3.x, and 2.10) in its own cached virtualenv, for end-to-end tests and benchmarks.

Airflow never goes into the app's venv: its dependency tree is large and pins things the app does
not want. Each venv lives under `~/.cache/envmanager/airflow-<version>-py3.12` (override the root
with `ENVMANAGER_CACHE_DIR`, the versions with `ENVMANAGER_AIRFLOW_VERSION` and
`ENVMANAGER_AIRFLOW_2_VERSION`) and is built once, on first use, under a file lock so two test runs
do not build it twice. Later runs reuse it.

Airflow 3 installs as `apache-airflow-core`; Airflow 2 as `apache-airflow`, pinned by the
constraints file in `constraints/` (Airflow's own constraints live on GitHub, out of reach here).

Usable from tests, benchmarks and a CI step (`python tests/airflow/airflow_venv.py` builds both).
Standard library only, so it imports anywhere.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

AIRFLOW_VERSION = os.environ.get("ENVMANAGER_AIRFLOW_VERSION", "3.3.2")
AIRFLOW_2_VERSION = os.environ.get("ENVMANAGER_AIRFLOW_2_VERSION", "2.10.5")
PYTHON_VERSION = "3.12"
CONSTRAINTS_DIR = Path(__file__).resolve().parent / "constraints"
PYENV_PYTHON_VERSION = "3.12.1"
BUILD_TIMEOUT_SECONDS = 1800
# The venv is only reused when this file exists: a build that died half-way is not a venv.
COMPLETE_MARKER = ".envmanager-complete"


def cache_root() -> Path:
    if root := os.environ.get("ENVMANAGER_CACHE_DIR"):
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "envmanager"


def venv_path(version: str = AIRFLOW_VERSION) -> Path:
    return cache_root() / f"airflow-{version}-py{PYTHON_VERSION}"


def venv_bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


def _base_python() -> str:
    """Return a Python 3.12 interpreter to build the venv with."""
    if sys.version_info[:2] == (3, 12):
        return sys.base_prefix + "/bin/python3" if Path(sys.base_prefix, "bin/python3").exists() else sys.executable
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidate = pyenv_root / "versions" / PYENV_PYTHON_VERSION / "bin" / "python3"
    if candidate.exists():
        return str(candidate)
    found = shutil.which(f"python{PYTHON_VERSION}")
    if found:
        return found
    raise RuntimeError(
        f"No Python {PYTHON_VERSION} found to build the Airflow venv: install it with pyenv "
        f"(`pyenv install {PYENV_PYTHON_VERSION}`) or put python{PYTHON_VERSION} on PATH."
    )


@contextmanager
def _lock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_ready(venv: Path) -> bool:
    return (venv / COMPLETE_MARKER).exists() and venv_bin(venv, "airflow").exists()


def major_version(version: str) -> int:
    return int(version.split(".", 1)[0])


def _requirements(version: str) -> list[str]:
    """Return the `pip install` arguments for Airflow `version`."""
    if major_version(version) >= 3:
        return [f"apache-airflow-core=={version}"]
    constraints = CONSTRAINTS_DIR / f"airflow-{version}-py{PYTHON_VERSION}.txt"
    pinned = ["-c", str(constraints)] if constraints.exists() else []
    return [f"apache-airflow=={version}", *pinned]


def ensure_airflow_venv(version: str = AIRFLOW_VERSION, *, log=None) -> Path:
    """Return the path of a venv holding Airflow `version` (3.x core, or 2.x), building it if needed."""
    venv = venv_path(version)
    if is_ready(venv):
        return venv
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    with _lock(venv.with_name(venv.name + ".lock")):
        if is_ready(venv):  # built by another process while this one waited
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        started = time.monotonic()
        log(f"Building the Airflow {version} venv in {venv} (first run only; takes a few minutes)...")
        # Built in place under its final name (a venv's scripts hard-code their own path); without
        # COMPLETE_MARKER a half-built one is never used, and the next run removes it first.
        subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True, timeout=120)
        pip = [str(venv_bin(venv, "python")), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run_quietly([*pip, "--upgrade", "pip"], timeout=600)
        _run_quietly([*pip, *_requirements(version)], timeout=BUILD_TIMEOUT_SECONDS)
        check = subprocess.run(
            [str(venv_bin(venv, "airflow")), "version"], env=airflow_env(Path(venv, "airflow-home-check")),
            capture_output=True, text=True, timeout=300,
        )
        if check.returncode != 0 or version not in check.stdout:
            raise RuntimeError(f"The Airflow venv was built but `airflow version` failed:\n{check.stderr[-4000:]}")
        shutil.rmtree(Path(venv, "airflow-home-check"), ignore_errors=True)
        (venv / COMPLETE_MARKER).write_text(f"{version}\n")
        log(f"Airflow {version} venv ready after {time.monotonic() - started:.0f} s.")
        return venv


def _run_quietly(command: list[str], *, timeout: float) -> None:
    """Run a build step; show its output only when it fails."""
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {result.returncode}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )


def airflow_env(airflow_home: Path, *, extra: dict | None = None, pythonpath: list[Path] = ()) -> dict:
    """Return a process environment for running Airflow with its home (and SQLite db) in `airflow_home`."""
    airflow_home = Path(airflow_home)
    airflow_home.mkdir(parents=True, exist_ok=True)
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SSL_CERT_FILE", "PIP_CERT")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow_home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(airflow_home / "dags"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
            # Loopback only: nothing Airflow does in these tests may reach out.
            "NO_PROXY": "127.0.0.1,localhost",
        }
    )
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
    env.update(extra or {})
    return env


def run_airflow(venv: Path, args: list[str], env: dict, *, timeout: float = 300, check: bool = True):
    """Run the `airflow` CLI of `venv`; return the CompletedProcess (text)."""
    result = subprocess.run(
        [str(venv_bin(venv, "airflow")), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"airflow {' '.join(args)} exited {result.returncode}\nstdout:\n{result.stdout[-4000:]}\n"
            f"stderr:\n{result.stderr[-4000:]}"
        )
    return result


def run_python(venv: Path, code: str, env: dict, *, timeout: float = 300, check: bool = True):
    """Run a Python snippet with the Airflow venv's interpreter; return the CompletedProcess (text)."""
    result = subprocess.run(
        [str(venv_bin(venv, "python")), "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"python snippet exited {result.returncode}\nstdout:\n{result.stdout[-4000:]}\n"
            f"stderr:\n{result.stderr[-4000:]}"
        )
    return result


def metadata_db_create(venv: Path, airflow_home: Path, *, env: dict | None = None) -> Path:
    """Create (migrate) an Airflow SQLite metadata database in `airflow_home`; return its path."""
    env = env or airflow_env(airflow_home)
    run_airflow(venv, ["db", "migrate"], env, timeout=600)
    return Path(airflow_home) / "airflow.db"


if __name__ == "__main__":
    for wanted in (AIRFLOW_VERSION, AIRFLOW_2_VERSION):
        print(ensure_airflow_venv(wanted))
