import json

import pytest
from django.core.management.base import CommandError

from envmanager.models import EnvObject
from envmanager.services import links as link_services
from tests.conftest import AIRFLOW_DB_SECRET


def test_text_and_json_list_shadowed_keys_and_candidates(run, dev, airflow_db):
    link_services.link_create(env_object=EnvObject.objects.get(key="shared"), actor=None, target=dev)

    text = run("drift_report", "--deployment", "dev").out
    assert "1 shadowed in the metastore (0 same, 1 differs), 3 only in the metastore." in text
    assert "differs  Airflow variable shared: value" in text and "connection warehouse" in text
    data = json.loads(run("drift_report", "--deployment", "dev", "--format", "json").out)
    assert data["shadowed"] == [{"type": "variable", "key": "shared", "status": "differs", "fields": ["value"]}]
    assert {item["key"] for item in data["only_in_metastore"]} == {"warehouse", "bad key", "region"}
    assert AIRFLOW_DB_SECRET not in text + json.dumps(data)


def test_an_unreachable_database_is_a_one_line_error(run, dev, airflow_db, tmp_path):
    (tmp_path / "airflow" / "airflow.db").unlink()
    with pytest.raises(CommandError, match="There is no SQLite database file"):
        run("drift_report", "--deployment", "dev")
