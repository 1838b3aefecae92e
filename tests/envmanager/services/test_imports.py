"""Applying a bulk import: all rows or none; the preview is made again; two imports at once make one object per key."""

import pytest
from django.core.exceptions import ValidationError

from envmanager.import_formats import parse_import
from envmanager.models import AuditEntry, EnvObject
from envmanager.selectors.env_objects import plaintext_values
from envmanager.services import env_objects as env_object_services
from envmanager.services.imports import env_import
from tests.concurrency import run_together
from tests.factories import EnvVarFactory

ROWS = "A=1\nB=2\nC=3\n"


def test_a_failure_half_way_leaves_nothing(workspace, monkeypatch):
    real = env_object_services.env_object_create
    calls = []

    def failing_on_the_second(**kwargs):
        calls.append(kwargs["key"])
        if len(calls) == 2:
            raise ValidationError("the process died here")
        return real(**kwargs)

    monkeypatch.setattr("envmanager.services.imports.env_object_create", failing_on_the_second)
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        env_import(workspace=workspace, deployment=None, rows=parse_import(ROWS, "dotenv"), actor=None)
    assert not EnvObject.objects.exists() and AuditEntry.objects.count() == entries


def test_the_preview_is_made_again_when_applying(workspace):
    rows = parse_import(ROWS, "dotenv")
    EnvVarFactory(workspace=workspace, key="B", fields={"value": "changed meanwhile"})
    done = env_import(workspace=workspace, deployment=None, rows=rows, actor=None)
    assert done.counts == {"new": 2, "exists": 1, "same": 0, "invalid": 0}
    assert {o.key: plaintext_values(o)["value"] for o in EnvObject.objects.all()} == {"A": "1", "B": "2", "C": "3"}


def test_clearing_a_field_the_file_leaves_empty(workspace):
    from tests.factories import VariableFactory

    VariableFactory(workspace=workspace, key="v", fields={"value": "x", "description": "old"})
    env_import(workspace=workspace, deployment=None, rows=parse_import('{"v": "x"}', "variables"), actor=None)
    assert plaintext_values(EnvObject.objects.get(key="v")) == {"value": "x", "description": None}


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_two_imports_at_once_make_one_object_per_key(workspace):
    rows = parse_import(ROWS, "dotenv")
    results, errors = run_together(
        lambda: env_import(workspace=workspace, deployment=None, rows=rows, actor=None),
        lambda: env_import(workspace=workspace, deployment=None, rows=rows, actor=None),
    )
    assert len(results) + len(errors) == 2 and len(results) >= 1
    assert all(isinstance(error, ValidationError) for error in errors), errors
    assert sorted(EnvObject.objects.values_list("key", flat=True)) == ["A", "B", "C"]


def test_an_empty_value_in_the_file_empties_the_stored_one(workspace):
    """`A=` in a .env is the empty string, which envmanager stores as "no value" (values.py)."""
    from envmanager.selectors.imports import import_preview

    EnvVarFactory(workspace=workspace, key="A", fields={"value": "x"})
    rows = parse_import("A=\n", "dotenv")
    [item] = import_preview(workspace=workspace, deployment=None, rows=rows).rows
    assert (item.status, item.differing) == ("exists", ("value",))
    env_import(workspace=workspace, deployment=None, rows=rows, actor=None)
    assert plaintext_values(EnvObject.objects.get(key="A"))["value"] is None
