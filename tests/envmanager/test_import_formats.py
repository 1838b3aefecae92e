"""Bulk import files are read exactly: values with spaces, quotes, newlines, `=`, unicode come through as the
file's reader (python-dotenv, Airflow) would give them; what cannot be read is said, never guessed."""

import json

import pytest
from dotenv import dotenv_values

from envmanager.import_formats import ImportFileError, decode_import, parse_import
from envmanager.kinds import Kind
from envmanager_airflow.formats import dotenv_quote

TRICKY = [
    "  leading and trailing  ", "a=b=c", 'say "hi"', "it's", "line one\nline two\r\nthree", "tab\there",
    "ünïcødé ✓ 日本", "#not a comment", "${NOT_EXPANDED}", "back\\slash", "", "trailing newline\n",
]


def test_dotenv_values_round_trip_through_envmanagers_quoting_exactly():
    text = "".join(f"V{n}={dotenv_quote(value)[0]}\n" for n, value in enumerate(TRICKY))
    rows = parse_import(text, "dotenv")
    assert [(row.key, row.fields["value"]) for row in rows] == [(f"V{n}", v) for n, v in enumerate(TRICKY)]
    # The same values python-dotenv itself reads from the file (no interpolation).
    assert dict(dotenv_values(stream=__import__("io").StringIO(text), interpolate=False)) == {
        row.key: row.fields["value"] for row in rows
    }
    assert all(row.kind == Kind.ENV and row.problem is None for row in rows)


def test_dotenv_syntax_export_comments_and_sensitive_names():
    rows = parse_import("# a comment\nexport A=1=2 # note\n\nDB_PASSWORD='p w'\nAPI_TOKEN=\"x\"\nPLAIN=ok\n", "dotenv")
    assert [(r.key, r.fields["value"], r.is_secret) for r in rows] == [
        ("A", "1=2", False), ("DB_PASSWORD", "p w", True), ("API_TOKEN", "x", True), ("PLAIN", "ok", False),
    ]


def test_dotenv_rows_that_cannot_be_read_say_why_and_trailing_spaces_are_pointed_out():
    rows = parse_import('GOOD=1\nnot an entry here\nNOEQ\nGOOD=2\nSPACED=value   \nQ="unterminated\n', "dotenv")
    problems = {row.position: row.problem for row in rows if row.problem}
    assert "cannot be read as KEY=value" in problems["line 2"]
    assert "has no '='" in problems["line 3"]
    assert "given again (line 1 too)" in problems["line 4"]
    assert "cannot be read" in problems["line 6"]
    spaced = next(row for row in rows if row.key == "SPACED")
    assert spaced.fields["value"] == "value" and "quote the value" in spaced.notices[0]


def test_airflow_connections_export_json_and_yaml():
    # The shape of airflow/cli/commands/connection_command.py `_connection_to_dict`; extra is Airflow's text.
    exported = {
        "warehouse": {"conn_type": "postgres", "description": None, "login": "etl", "password": " p@ss=word \n",
                      "host": "db.internal", "port": 5432, "schema": "dwh", "extra": '{"sslmode":  "require"}'},
        "uri_one": "postgres://u:p@h/db",
        "dejson": {"conn_type": "http", "extra_dejson": {"timeout": 5, "name": "ü"}},
        "odd": {"conn_type": "http", "colour": "red"},
    }
    for text in (json.dumps(exported, indent=2), __import__("yaml").dump(exported)):
        rows = {row.key: row for row in parse_import(text, "connections")}
        assert rows["warehouse"].fields == {**exported["warehouse"]}
        assert rows["warehouse"].fields["extra"] == '{"sslmode":  "require"}'  # the text as Airflow holds it
        assert json.loads(rows["dejson"].fields["extra"]) == {"timeout": 5, "name": "ü"}  # json.dumps, as Airflow
        assert "connection URI" in rows["uri_one"].problem
        assert "colour" in rows["odd"].problem


def test_airflow_variables_export_both_shapes():
    exported = {"plain": " spaced ", "described": {"value": "v", "description": "d"}, "obj": {"a": [1, 2]},
                "num": 5, "api_key": "k"}
    rows = {row.key: row for row in parse_import(json.dumps(exported), "variables")}
    assert rows["plain"].fields == {"value": " spaced ", "description": None}
    assert rows["described"].fields == {"value": "v", "description": "d"}
    assert rows["obj"].fields["value"] == json.dumps({"a": [1, 2]}, indent=2)  # Variable.set(serialize_json=True)
    assert rows["num"].fields["value"] == "5"
    assert rows["api_key"].is_secret and not rows["plain"].is_secret


@pytest.mark.parametrize(
    ("text", "import_format", "said"),
    [("", "variables", "empty"), ("[1, 2]", "variables", "one object"), ("{nope", "variables", "Not JSON"),
     ("a: [", "connections", "Neither JSON nor YAML"), ("x", "toml", "Unknown import format")],
)
def test_unreadable_files_are_refused_whole(text, import_format, said):
    with pytest.raises(ImportFileError, match=said):
        parse_import(text, import_format)


def test_bytes_must_be_utf8_and_line_endings_are_kept():
    assert decode_import(b'A="x\r\ny"\n') == 'A="x\r\ny"\n'
    assert parse_import(decode_import(b'A="x\r\ny"\n'), "dotenv")[0].fields["value"] == "x\r\ny"
    with pytest.raises(ImportFileError, match="not UTF-8"):
        decode_import(b"A=\xff\n")
