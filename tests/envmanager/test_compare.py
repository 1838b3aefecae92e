"""Compare two targets: every bucket (only here, only there, differs by a plain or secret value, same)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from envmanager.selectors.compare import (
    compare_targets,
    differing_fields,
    target_effective_environment,
)
from envmanager.services import links as link_services
from tests.commands.conftest import MARKER
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    IdeProjectFactory,
    VariableFactory,
)


@pytest.fixture
def environments(workspace, dev, prod):
    """dev and prod: one key each only they have, one plain and one secret difference, two the same."""
    VariableFactory(workspace=workspace, deployment=dev, key="only_dev", fields={"value": "x"})
    VariableFactory(workspace=workspace, deployment=prod, key="only_prod", fields={"value": "y"})
    # Same value, encrypted separately on each side: the tokens differ, the values do not.
    VariableFactory(workspace=workspace, deployment=dev, key="same_secret", fields={"value": MARKER}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=prod, key="same_secret", fields={"value": MARKER}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=dev, key="api_token", fields={"value": MARKER + "-dev"}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=prod, key="api_token", fields={"value": MARKER + "-prod"}, is_secret=True)
    warehouse = ConnectionFactory(
        workspace=workspace, key="warehouse",
        fields={"conn_type": "postgres", "host": "db", "port": 5432, "password": MARKER},
    )
    for target in (dev, prod):
        link_services.link_create(env_object=warehouse, actor=None, target=target)
    link_services.link_set_override(env_object=warehouse, actor=None, target=prod, fields={"port": 6432})
    shared = VariableFactory(workspace=workspace, key="shared", fields={"value": "eu"})
    link_services.env_object_set_linked_to_all(env_object=shared, actor=None, linked_to_all=True)
    return warehouse


def run_command(command, *args, **options) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_every_bucket(dev, prod, environments):
    comparison = compare_targets(source=dev, target=prod)

    assert [(ref.kind, ref.key) for ref in comparison.only_from] == [("variable", "only_dev")]
    assert [(ref.kind, ref.key) for ref in comparison.only_to] == [("variable", "only_prod")]
    assert [(d.kind, d.key, d.fields) for d in comparison.differs] == [
        ("connection", "warehouse", ("port",)),
        ("variable", "api_token", ("value",)),
    ]
    assert comparison.same == 2  # same_secret (by value) and shared (linked to all)
    assert MARKER not in json.dumps(comparison.as_dict())


def test_an_override_of_a_secret_is_a_difference_and_an_equal_override_is_not(workspace, dev, prod, environments):
    link_services.link_set_override(env_object=environments, actor=None, target=dev, fields={"password": MARKER + "!"})
    link_services.link_set_override(env_object=environments, actor=None, target=prod, fields={"port": 5432})

    differs = {d.key: d.fields for d in compare_targets(source=dev, target=prod).differs}
    assert differs["warehouse"] == ("password",)


def test_an_excluded_deployment_does_not_receive_a_linked_to_all_object(workspace, dev, prod, environments):
    shared = environments.workspace.env_objects.get(key="shared")
    link_services.link_exclude(env_object=shared, actor=None, target=prod)

    comparison = compare_targets(source=dev, target=prod)
    assert ("variable", "shared") in [(ref.kind, ref.key) for ref in comparison.only_from]


def test_a_deployment_against_an_ide_project(workspace, dev, environments):
    notebooks = IdeProjectFactory(workspace=workspace, name="notebooks")
    link_services.link_create(env_object=environments, actor=None, target=notebooks)

    comparison = compare_targets(source=notebooks, target=dev)
    assert comparison.only_from == [] and comparison.same == 1  # the connection without dev's override
    assert {ref.key for ref in comparison.only_to} == {"only_dev", "same_secret", "api_token", "shared"}


def test_a_secret_flag_difference_is_named(workspace, dev, prod):
    VariableFactory(workspace=workspace, deployment=dev, key="mode", fields={"value": "a"}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=prod, key="mode", fields={"value": "a"})

    assert [d.fields for d in compare_targets(source=dev, target=prod).differs] == [("is_secret",)]


def test_targets_of_two_workspaces_are_refused(dev, other_workspace):
    with pytest.raises(ValueError):
        compare_targets(source=dev, target=DeploymentFactory(workspace=other_workspace, name="x"))


def test_query_count_does_not_grow_with_the_number_of_objects(workspace, dev, prod):
    def count():
        with CaptureQueriesContext(connection) as queries:
            compare_targets(source=dev, target=prod)
        return len(queries)

    VariableFactory(workspace=workspace, deployment=dev, key="one", fields={"value": "1"})
    VariableFactory(workspace=workspace, deployment=prod, key="one", fields={"value": "2"})
    few = count()
    for n in range(15):
        VariableFactory(workspace=workspace, deployment=dev, key=f"d{n}", fields={"value": "1"}, is_secret=True)
        VariableFactory(workspace=workspace, deployment=prod, key=f"d{n}", fields={"value": "2"}, is_secret=True)
        shared = VariableFactory(workspace=workspace, key=f"w{n}", fields={"value": "1"})
        for target in (dev, prod):
            link_services.link_create(env_object=shared, actor=None, target=target)
        if n % 2:
            link_services.link_set_override(env_object=shared, actor=None, target=prod, fields={"value": "2"})
    # Both targets' visible Workspace objects (with the values and overrides a field comparison needs), and
    # both Deployments' own objects.
    assert count() == few == 2


def _reference(source, target):
    """The comparison straight from the two full effective environments (what the selector must equal)."""
    left = {(e.kind, e.key): e for e in target_effective_environment(source)}
    right = {(e.kind, e.key): e for e in target_effective_environment(target)}
    differs = {ref: differing_fields(left[ref], right[ref]) for ref in left.keys() & right.keys()}
    return {
        "only_from": sorted(left.keys() - right.keys()), "only_to": sorted(right.keys() - left.keys()),
        "differs": sorted((ref, names) for ref, names in differs.items() if names),
        "same": sum(1 for names in differs.values() if not names),
    }


def _as_reference(comparison):
    return {
        "only_from": sorted((r.kind, r.key) for r in comparison.only_from),
        "only_to": sorted((r.kind, r.key) for r in comparison.only_to),
        "differs": sorted(((d.kind, d.key), d.fields) for d in comparison.differs),
        "same": comparison.same,
    }


def test_the_selector_equals_comparing_the_full_effective_environments(workspace, dev, prod):
    notebooks = IdeProjectFactory(workspace=workspace, name="notebooks")
    for n in range(24):
        kind = ConnectionFactory if n % 3 == 0 else VariableFactory
        fields = {"conn_type": "http", "host": f"h{n % 2}", "password": MARKER} if n % 3 == 0 else {"value": f"v{n % 2}"}
        shared = kind(workspace=workspace, key=f"k{n:02d}", fields=fields, linked_to_all=n % 4 == 0)
        if n % 4 == 0 and n % 8 == 0:
            link_services.link_exclude(env_object=shared, actor=None, target=prod)
        if n % 4 == 1:
            link_services.link_create(env_object=shared, actor=None, target=dev)
        if n % 4 in (1, 2):
            link_services.link_create(env_object=shared, actor=None, target=prod)
            link_services.link_create(env_object=shared, actor=None, target=notebooks)
        if (n % 4 in (1, 2) and n % 5 in (0, 1)) or n == 4:
            override = {"host": "other"} if n % 3 == 0 else {"value": "other"}
            link_services.link_set_override(env_object=shared, actor=None, target=prod, fields=override)
        if n % 6 == 1:
            own_fields = {"conn_type": "http", "password": MARKER} if n % 3 == 0 else {"value": f"v{n % 2}"}
            kind(workspace=workspace, deployment=dev, key=f"k{n:02d}", fields=own_fields)
        if n % 7 == 2:
            VariableFactory(workspace=workspace, deployment=prod, key=f"own{n}", fields={"value": MARKER}, is_secret=True)
    for source, target in ((dev, prod), (prod, dev), (dev, notebooks), (notebooks, prod)):
        assert _as_reference(compare_targets(source=source, target=target)) == _reference(source, target), (source, target)


# --- env_diff ---------------------------------------------------------------------------------------

def test_env_diff_json_is_the_issue_shape(environments):
    out = run_command("env_diff", from_deployment="dev", to_deployment="prod", format="json")

    assert json.loads(out) == {
        "only_from": [{"type": "variable", "key": "only_dev"}],
        "only_to": [{"type": "variable", "key": "only_prod"}],
        "differs": [
            {"type": "connection", "key": "warehouse", "fields": ["port"]},
            {"type": "variable", "key": "api_token", "fields": ["value"]},
        ],
        "same": 2,
    }
    assert MARKER not in out


def test_env_diff_text(environments):
    out = run_command("env_diff", "--from-deployment", "dev", "--to-deployment", "prod")

    # The whole output: nothing else (no secret value) is printed.
    assert out == (
        "Comparing Deployment 'dev' with Deployment 'prod' in Workspace 'Data Platform'.\n\n"
        "Only in Deployment 'dev' (1):\n  Airflow variable 'only_dev'\n\n"
        "Only in Deployment 'prod' (1):\n  Airflow variable 'only_prod'\n\n"
        "Different values (2):\n  Airflow connection 'warehouse': port\n  Airflow variable 'api_token': value\n\n"
        "Same: 2.\n"
    )


def test_env_diff_ide_projects_and_type_filter(workspace, environments):
    for name in ("a", "b"):
        project = IdeProjectFactory(workspace=workspace, name=name)
        link_services.link_create(env_object=environments, actor=None, target=project)

    out = run_command("env_diff", from_ide_project="a", to_ide_project="b", type="connections")
    assert "Same: 1." in out and "identical" in out


def test_env_diff_errors(environments):
    with pytest.raises(CommandError, match="No Deployment named 'nope'"):
        run_command("env_diff", from_deployment="dev", to_deployment="nope")
    with pytest.raises(CommandError, match="the same target"):
        run_command("env_diff", from_deployment="dev", to_deployment="dev")


def test_own_objects_on_both_sides_equal_comparing_the_full_effective_environments(workspace, dev, prod):
    """Both Deployments' own objects of one key are compared straight from their rows: every case the
    entries' comparison distinguishes (plain, secret by value, one ciphertext, the flag, "" and unset)."""
    pairs = {
        "plain_same": ({"value": "a"}, {"value": "a"}, False, False),
        "plain_differs": ({"value": "a"}, {"value": "b"}, False, False),
        "empty_and_unset": ({"value": "a"}, {"value": "a"}, False, False),  # "" stored below
        "description_differs": ({"value": "a", "description": "x"}, {"value": "a", "description": "y"}, False, False),
        "secret_same_value": ({"value": MARKER}, {"value": MARKER}, True, True),
        "secret_differs": ({"value": MARKER}, {"value": MARKER + "!"}, True, True),
        "secret_and_plain": ({"value": "a"}, {"value": "a"}, True, False),
        "plain_and_secret": ({"value": "a"}, {"value": "b"}, False, True),
    }
    for key, (mine, theirs, mine_secret, theirs_secret) in pairs.items():
        VariableFactory(workspace=workspace, deployment=dev, key=key, fields=mine, is_secret=mine_secret)
        VariableFactory(workspace=workspace, deployment=prod, key=key, fields=theirs, is_secret=theirs_secret)
    for key, port, password in (("warehouse", 5432, MARKER), ("lake", 6432, MARKER + "?")):
        for target, each_port in ((dev, 5432), (prod, port)):
            ConnectionFactory(workspace=workspace, deployment=target, key=key,
                              fields={"conn_type": "postgres", "host": "db", "port": each_port, "password": password})
    shared_token = dev.env_objects.get(key="secret_same_value").secrets
    VariableFactory(workspace=workspace, deployment=dev, key="one_token", fields={"value": MARKER}, is_secret=True)
    VariableFactory(workspace=workspace, deployment=prod, key="one_token", fields={"value": "other"}, is_secret=True)
    prod.env_objects.filter(key="one_token").update(secrets=shared_token)  # one ciphertext on both sides
    dev.env_objects.filter(key="empty_and_unset").update(data={"value": "a", "description": ""})  # as stored raw
    dev.env_objects.filter(key="one_token").update(secrets=shared_token)

    comparison = compare_targets(source=dev, target=prod)
    assert _as_reference(comparison) == _reference(dev, prod)
    assert {d.key: d.fields for d in comparison.differs} == {
        "lake": ("port",), "plain_differs": ("value",), "description_differs": ("description",),
        "secret_differs": ("value",), "secret_and_plain": ("is_secret",), "plain_and_secret": ("value", "is_secret"),
    }
    assert comparison.same == 5  # plain_same, empty_and_unset, secret_same_value, one_token, warehouse
