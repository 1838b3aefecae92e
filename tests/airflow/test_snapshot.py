"""The snapshot the backend holds and the agent writes to environment.json (standard library only)."""

import json

import pytest

from envmanager_airflow.snapshot import FILE_FORMAT, Snapshot, SnapshotError

VALUE = " keep\tme \n as typed ✓ "
BODY = {
    "target": {"type": "deployment", "name": "prod"},
    "airflow_metrics_settings": {"AIRFLOW__METRICS__OTEL_ON": "True"},
    "entries": [
        {"type": "connection", "key": "warehouse", "source": "workspace", "is_secret": True,
         "fields": {"conn_type": {"value": "postgres", "secret": False}, "password": {"value": VALUE, "secret": True}}},
        {"type": "variable", "key": "region", "source": "override", "is_secret": False,
         "fields": {"value": {"value": "eu-west-1", "secret": False}, "description": {"value": None}}},
        {"type": "variable", "key": "zone", "fields": {"value": {"value": "b"}}},
    ],
}


def test_lookups_answer_the_values_of_each_type_and_key():
    snapshot = Snapshot(BODY, '"v1"')

    assert snapshot.get("connection", "warehouse") == {"conn_type": "postgres", "password": VALUE}
    assert snapshot.get("variable", "warehouse") is None
    assert snapshot.items("variable") == [("region", {"value": "eu-west-1", "description": None}), ("zone", {"value": "b"})]
    assert snapshot.target == {"type": "deployment", "name": "prod"} and len(snapshot) == 3
    assert VALUE not in repr(snapshot)


def test_the_file_reads_back_as_the_same_snapshot_byte_for_byte():
    snapshot = Snapshot(BODY, '"v1"')
    content = snapshot.to_file_content()

    again = Snapshot.from_file_content(content)

    assert json.loads(content)["format"] == FILE_FORMAT == 3
    assert json.loads(content)["entries"]["variable"] == {"region": {"value": "eu-west-1", "description": None},
                                                          "zone": {"value": "b"}}
    assert (again.etag, again.environment, again.items("connection"), again.items("variable")) == (
        snapshot.etag, snapshot.environment, snapshot.items("connection"), snapshot.items("variable"))
    assert again.get("connection", "warehouse")["password"] == VALUE
    # A task process parses this file when it starts: the values keyed by type and key, not the API's whole body.
    assert len(content) < len(json.dumps(BODY)) * 0.7


def test_a_file_written_by_an_agent_not_yet_upgraded_is_still_read():
    old = json.dumps({"format": 1, "etag": '"v0"', "environment": BODY})

    snapshot = Snapshot.from_file_content(old)

    assert snapshot.etag == '"v0"' and snapshot.get("variable", "region") == {"value": "eu-west-1", "description": None}


def test_a_file_in_the_previous_format_is_still_read():
    rows = [["connection", "warehouse", {"password": VALUE}], ["variable", "region", {"value": "eu-west-1"}]]
    old = json.dumps({"format": 2, "etag": '"v1"', "environment": {"target": {"name": "prod"}}, "entries": rows})

    snapshot = Snapshot.from_file_content(old)

    assert snapshot.get("connection", "warehouse") == {"password": VALUE} and snapshot.target == {"name": "prod"}
    assert snapshot.items("variable") == [("region", {"value": "eu-west-1"})] and len(snapshot) == 2


@pytest.mark.parametrize("content", [
    "not json", "[]", json.dumps({"format": 4, "environment": {}, "entries": {}}), json.dumps({"format": 3}),
    json.dumps({"format": 2, "environment": {}, "entries": [["variable", "k"]]}),
    json.dumps({"format": 2, "environment": {}, "entries": [["variable", "k", "v"]]}),
    json.dumps({"format": 2, "environment": [], "entries": []}), json.dumps({"format": 2, "environment": {}}),
    json.dumps({"format": 3, "environment": {}, "entries": {"variable": {"k": "v"}}}),
    json.dumps({"format": 3, "environment": {}, "entries": {"variable": [["k", {}]]}}),
    json.dumps({"format": 3, "environment": {}, "entries": []}),
])
def test_anything_else_is_refused_with_a_reason(content):
    with pytest.raises(SnapshotError):
        Snapshot.from_file_content(content)
