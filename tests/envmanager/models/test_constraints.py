"""The database itself refuses rows that break envmanager's invariants, whatever code writes them."""

import re
import sys
import unicodedata

import pytest
from django.core.management import call_command
from django.db import DataError, IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from envmanager.kinds import KIND_SPECS, Kind, key_error
from envmanager.models import EnvObject, Link
from envmanager.word_characters import WORD_RANGES, WORD_UNICODE_VERSION


def _refused(**fields):
    # PostgreSQL refuses a key longer than the column (DataError) before its CHECK constraint runs.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        EnvObject.objects.create(**fields)


def test_duplicate_key_in_workspace_scope_is_refused(workspace):
    EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")
    _refused(workspace=workspace, kind=Kind.VARIABLE, key="region")


def test_duplicate_key_in_one_deployment_is_refused(workspace, dev):
    EnvObject.objects.create(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")
    _refused(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")


def test_same_key_in_other_scopes_and_types_is_allowed(workspace, dev, prod, other_workspace):
    EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, deployment=prod, kind=Kind.VARIABLE, key="region")
    EnvObject.objects.create(workspace=workspace, kind=Kind.CONNECTION, key="region")
    EnvObject.objects.create(workspace=other_workspace, kind=Kind.VARIABLE, key="region")
    assert EnvObject.objects.filter(key="region").count() == 5


# Keys Airflow refuses (or that cannot be environment variable names); the database refuses them too.
REFUSED_KEYS = {
    Kind.ENV: [
        "1STARTS_WITH_DIGIT",
        "HAS-DASH",
        "has space",
        "ÜBER",
        "TRAILING_NEWLINE\n",  # Python's `$` would let this through; `\Z` does not
    ],
    Kind.CONNECTION: [
        "has space",
        " leading",
        "tab\tinside",
        "quote'inside",
        "semi;colon",
        "zero\u200bwidth",
        "combining\u0301",  # a combining mark is not a word character in Python
        "x" * 251,
    ],
    Kind.VARIABLE: [
        "quote'inside",
        "slash/inside",
        "colon:inside",
        "ключ переменной",
        "trailing\n",
        "",
        "x" * 251,
    ],
    Kind.METRICS: ["ünïcode"],
}
# Keys Airflow accepts: Unicode word characters, and for connection ids # ! ( ) - . : / \
ACCEPTED_KEYS = {
    Kind.ENV: ["_OK_NAME_1"],
    Kind.CONNECTION: [
        "my-db.prod_1",
        "odd:conn#id(1)",
        "соединение_бд",
        "path/like\\windows!",
        "𝐦𝐚𝐭𝐡_数据_٣",
        "x" * 250,
    ],
    Kind.VARIABLE: [
        "a.b-c_d",
        "ключ_переменной",
        "ªº½Ⅻ",
        "x" * 250,
    ],
    Kind.METRICS: ["prom.remote-write_1"],
}


def _each(keys_by_kind):
    return [(kind, key) for kind, keys in keys_by_kind.items() for key in keys]


@pytest.mark.parametrize("kind, key", _each(REFUSED_KEYS))
def test_invalid_keys_are_refused(workspace, kind, key):
    assert key_error(kind, key) is not None
    _refused(workspace=workspace, kind=kind, key=key)


@pytest.mark.parametrize("kind, key", _each(ACCEPTED_KEYS))
def test_valid_keys_are_accepted(workspace, kind, key):
    assert key_error(kind, key) is None
    assert EnvObject.objects.create(workspace=workspace, kind=kind, key=key).pk


KEY_ALPHABET = st.characters(codec="utf-8") | st.sampled_from("_.-#!():/\\ \t\nabcXYZ019ключ数𝐦\u0301\u200b")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(list(Kind)), key=st.text(KEY_ALPHABET, min_size=0, max_size=12))
def test_the_database_accepts_exactly_the_keys_kinds_accepts(workspace, kind, key):
    """The CHECK constraint and `kinds.key_error` are one rule, on SQLite and on PostgreSQL."""
    try:
        with transaction.atomic():
            EnvObject.objects.create(workspace=workspace, kind=kind, key=key)
            transaction.set_rollback(True)
        accepted = True
    except (IntegrityError, DataError):  # DataError: PostgreSQL text cannot hold NUL at all
        accepted = False
    assert accepted == (key_error(kind, key) is None), repr(key)


@pytest.mark.postgres_only
@pytest.mark.parametrize("kind", [Kind.CONNECTION, Kind.VARIABLE])
def test_postgresql_reads_the_key_characters_exactly_as_python_does(db, kind):
    """Every code point: PostgreSQL's regular expressions (whatever the database's locale) and Python's
    agree on the characters a key may hold. The key pattern is that class repeated 1 to 250 times."""
    rule = KIND_SPECS[kind].key_rule
    assert rule.pattern == rule.character_pattern(first=False).replace("]\\Z", "]{1,250}\\Z")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code FROM generate_series(1, %s) AS code "
            "WHERE (code < 55296 OR code > 57343) AND chr(code) ~ %s",
            [sys.maxunicode, rule.character_pattern(first=False)],
        )
        in_postgresql = {row[0] for row in cursor.fetchall()}
    in_python = re.compile(rule.character_pattern(first=False)).search
    assert in_postgresql == {code for code in range(1, sys.maxunicode + 1) if in_python(chr(code))}


def test_word_characters_are_pythons_unicode_word_characters():
    """The frozen table is Python's `\\w` (Unicode 15.0); a newer Python only adds newly assigned characters."""
    frozen = {code for first, last in WORD_RANGES for code in range(first, last + 1)}
    running = {code for code in range(sys.maxunicode + 1) if re.match(r"\w", chr(code))}
    if unicodedata.unidata_version == WORD_UNICODE_VERSION:
        assert frozen == running
    else:
        assert frozen <= running
        assert all(unicodedata.category(chr(code)) != "Cn" for code in running - frozen)


def test_the_migrations_hold_the_models_constraints(db):
    """The key patterns are generated: a change to them needs its migration."""
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_unknown_type_is_refused(workspace):
    _refused(workspace=workspace, kind="certificate", key="x")


def test_secret_flag_on_a_connection_is_refused(workspace):
    _refused(workspace=workspace, kind=Kind.CONNECTION, key="db", is_secret=True)


def test_link_to_all_on_a_deployment_object_is_refused(workspace, dev):
    _refused(workspace=workspace, deployment=dev, kind=Kind.VARIABLE, key="x", linked_to_all=True)


@pytest.fixture
def variable(workspace):
    return EnvObject.objects.create(workspace=workspace, kind=Kind.VARIABLE, key="region")


def _link_refused(**fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(**fields)


def test_link_needs_exactly_one_target(variable, dev, workspace):
    from tests.factories import IdeProjectFactory

    ide = IdeProjectFactory(workspace=workspace)
    _link_refused(env_object=variable)
    _link_refused(env_object=variable, deployment=dev, ide_project=ide)


def test_second_link_to_the_same_target_is_refused(variable, dev):
    Link.objects.create(env_object=variable, deployment=dev)
    _link_refused(env_object=variable, deployment=dev)


def test_an_override_exists_only_on_a_link(variable, dev):
    """Overrides are columns of Link, so there is no override without a link; an exclusion carries none."""
    _link_refused(env_object=variable, deployment=dev, excluded=True, override_data={"value": "x"})
    _link_refused(env_object=variable, deployment=dev, excluded=True, override_secrets={"value": "token"})
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(env_object=None, deployment=dev, override_data={"value": "x"})


def test_exclusion_of_an_ide_project_is_refused(variable, workspace):
    from tests.factories import IdeProjectFactory

    _link_refused(env_object=variable, ide_project=IdeProjectFactory(workspace=workspace), excluded=True)
