import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from envmanager.services import links as link_services
from tests.airflow import airflow_venv

# The marker secrets live beside the shared `warehouse` fixture; the Airflow tests import them from here.
from tests.conftest import API_KEY_VALUE, WAREHOUSE_DEV_PASSWORD  # noqa: F401
from tests.factories import VariableFactory

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def delivered(workspace, dev, prod, warehouse):
    """Objects for dev: a Workspace connection linked to all with a dev override, variables of both scopes."""
    region = VariableFactory(workspace=workspace, key="region", fields={"value": "eu-west-1"})
    link_services.link_create(env_object=region, actor=None, target=dev)
    api_key = VariableFactory(workspace=workspace, deployment=dev, key="api_key", is_secret=True,
                              fields={"value": API_KEY_VALUE})
    return {"warehouse": warehouse, "region": region, "api_key": api_key}


@pytest.fixture
def token_file(tmp_path, dev_token):
    path = tmp_path / "envmanager-token"
    path.write_text(dev_token.plain + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def backend_logs(caplog):
    """Capture the backend's log records, at every level."""
    caplog.set_level(logging.DEBUG, logger="envmanager_airflow")
    return caplog


# --- Real Airflow ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def airflow_venv_path():
    """The cached Airflow venv; built on first use (minutes), reused afterwards."""
    return airflow_venv.ensure_airflow_venv()


@pytest.fixture(scope="session")
def airflow_db_template(airflow_venv_path, tmp_path_factory):
    """A migrated, empty Airflow SQLite metadata database, copied for each test that needs one."""
    home = tmp_path_factory.mktemp("airflow-template")
    return airflow_venv.metadata_db_create(airflow_venv_path, home)


@dataclass(frozen=True)
class RealAirflow:
    """One Airflow version's cached venv and an empty, migrated metadata database made by its own CLI."""

    version: str
    venv: Path
    template_db: Path

    @property
    def major(self) -> int:
        return airflow_venv.major_version(self.version)

    @property
    def hook_imports(self) -> str:
        """How Dag code imports BaseHook and Variable in this version."""
        if self.major >= 3:
            return "from airflow.sdk import BaseHook, Variable"
        return "from airflow.hooks.base import BaseHook\nfrom airflow.models import Variable"

    def home(self, folder: Path) -> Path:
        """Return an AIRFLOW_HOME in `folder` holding a fresh copy of the metadata database."""
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.template_db, folder / "airflow.db")
        return folder


@pytest.fixture(
    scope="session", params=[airflow_venv.AIRFLOW_VERSION, airflow_venv.AIRFLOW_2_VERSION], ids=lambda v: f"airflow-{v}"
)
def real_airflow(request, tmp_path_factory) -> RealAirflow:
    """Each supported Airflow (3.x and 2.10) in turn: its venv is built on first use (minutes), then reused."""
    if request.param == airflow_venv.AIRFLOW_VERSION:  # the same venv and database the other tests use
        return RealAirflow(
            request.param, request.getfixturevalue("airflow_venv_path"), request.getfixturevalue("airflow_db_template")
        )
    venv = airflow_venv.ensure_airflow_venv(request.param)
    template = airflow_venv.metadata_db_create(venv, tmp_path_factory.mktemp(f"airflow-{request.param}-template"))
    return RealAirflow(request.param, venv, template)


@pytest.fixture
def backend_package(tmp_path):
    """A folder holding only `envmanager_airflow`, for the Airflow venv's PYTHONPATH (not the app)."""
    folder = tmp_path / "backend-pkg"
    folder.mkdir()
    shutil.copytree(REPO_ROOT / "envmanager_airflow", folder / "envmanager_airflow",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def airflow_home(tmp_path, airflow_db_template):
    home = tmp_path / "airflow" / "home"  # under <VAR_DIR>/airflow/: envmanager may open its database
    home.mkdir(parents=True)
    shutil.copy(airflow_db_template, home / "airflow.db")
    return home


def backend_env(airflow_home: Path, backend_package: Path, *, url: str | None, token_file: Path | None,
                ttl: float = 5, **kwargs):
    """Return an Airflow process environment with envmanager configured as the secrets backend."""
    backend_kwargs = {"cache_ttl_seconds": ttl, "timeout": 5, **kwargs}
    if url:
        backend_kwargs.update(url=url, token_file=str(token_file))
    return airflow_venv.airflow_env(
        airflow_home,
        pythonpath=[backend_package],
        extra={
            "AIRFLOW__SECRETS__BACKEND": "envmanager_airflow.secrets.EnvmanagerSecretsBackend",
            "AIRFLOW__SECRETS__BACKEND_KWARGS": json.dumps(backend_kwargs),
        },
    )


RESULT_PREFIX = "RESULT:"


def snippet_result(stdout: str):
    """Return the JSON a snippet printed after RESULT_PREFIX (Airflow logs to the same stream)."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    assert lines, f"no result line in output:\n{stdout[-3000:]}"
    return json.loads(lines[-1][len(RESULT_PREFIX):])


# --- Clocks and request counting for the backend and the agent ------------------------------------


class FakeClock:
    """A clock that moves only when a test says so: TTLs and refresh intervals without sleeping."""

    def __init__(self, start: float = 1_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


def record_requests(client) -> list:
    """Wrap `client.get` so the test sees every request it makes: [(path, status or "failed"), ...]."""
    calls = []
    original = client.get

    def recording(path, *, etag=None):
        try:
            response = original(path, etag=etag)
        except Exception:
            calls.append((path, "failed"))
            raise
        calls.append((path, response.status))
        return response

    client.get = recording
    return calls


def count_connections(client) -> list:
    """Wrap `client._open` so the test sees each new TCP connection (keep-alive reuses one)."""
    opened = []
    original = client._open

    def counting():
        connection, reused = original()
        if not reused:
            opened.append(connection)
        return connection, reused

    client._open = counting
    return opened
