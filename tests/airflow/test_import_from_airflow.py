"""Files written by the real `airflow connections export` (JSON and YAML) and `airflow variables export`
(Airflow 3.3 and 2.10) import into envmanager with every value exactly as Airflow held it."""

import json

import pytest

from envmanager.import_formats import decode_import, parse_import
from envmanager.models import EnvObject
from envmanager.selectors.env_objects import plaintext_values
from envmanager.selectors.exports import ExportOptions
from envmanager.services import exports as export_services
from envmanager.services.imports import env_import
from tests.airflow import airflow_venv
from tests.airflow.test_exports_in_airflow import _expected, tricky  # noqa: F401 - the fixture
from tests.factories import WorkspaceFactory

pytestmark = pytest.mark.airflow


def _as_exported(text: str) -> str:
    """`airflow variables export` writes a value that is JSON text other than a string as the JSON value
    itself (variable_command.py decodes it), so the file no longer holds its spelling; envmanager stores
    it as Airflow's own `variables import` would, `json.dumps(value, indent=2)`. Other text is exact."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return text if isinstance(value, str) else json.dumps(value, indent=2)


def test_airflows_own_export_files_import_exactly(tricky, tmp_path, real_airflow):  # noqa: F811
    dev = tricky
    home = real_airflow.home(tmp_path / "airflow" / "home")
    env = airflow_venv.airflow_env(home)
    options = ExportOptions(airflow_version=real_airflow.major)
    for export_format in ("connections", "variables"):  # into Airflow first, through its own import
        export = export_services.environment_export_record(actor=None, export_format=export_format, target=dev,
                                                           options=options)
        (tmp_path / export.filename).write_text(export.content, encoding="utf-8")
        airflow_venv.run_airflow(real_airflow.venv, [export_format, "import", str(tmp_path / export.filename)], env)
    files = {name: tmp_path / name for name in ("connections.json", "connections.yaml", "variables.json")}
    for name, path in files.items():
        command = name.split(".")[0]
        airflow_venv.run_airflow(real_airflow.venv, [command, "export", str(path)], env)

    connections, variables, _ = _expected(dev)
    for name, path in files.items():
        target = WorkspaceFactory(name=f"imported from {name}")
        import_format = name.split(".")[0]
        rows = parse_import(decode_import(path.read_bytes()), import_format)
        done = env_import(workspace=target, deployment=None, rows=rows, actor=None)
        assert done.counts["invalid"] == 0, [(item.row.key, item.reason) for item in done.rows if item.reason]
        imported = {obj.key: plaintext_values(obj) for obj in EnvObject.objects.filter(workspace=target)}
        expected = connections if import_format == "connections" else {
            # Airflow 2's `variables import` left the descriptions behind (test_exports_in_airflow.py).
            key: {"value": _as_exported(values["value"]),
                  "description": values.get("description") if real_airflow.major >= 3 else None}
            for key, values in variables.items()
        }
        assert imported == expected, name
