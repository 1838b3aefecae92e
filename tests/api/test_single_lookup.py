"""The read API's single-key statement selects exactly what the effective-environment selector selects."""

import pytest

from envmanager.kinds import Kind
from envmanager.selectors.environment import entry_as_dict, target_effective_environment
from envmanager.selectors.hot_path import target_effective_entry
from envmanager.services import links as link_services
from tests.factories import (
    ConnectionFactory,
    DeploymentFactory,
    EnvVarFactory,
    IdeProjectFactory,
    MetricsExportFactory,
    VariableFactory,
)


@pytest.fixture
def landscape(workspace, other_workspace, dev, prod):
    """Every way an object can reach, or not reach, a Deployment or IDE project."""
    project = IdeProjectFactory(workspace=workspace, name="notebooks")
    other_project = IdeProjectFactory(workspace=workspace, name="other-notebooks")
    elsewhere = DeploymentFactory(workspace=other_workspace, name="dev")

    linked = VariableFactory(workspace=workspace, key="linked", fields={"value": "w", "description": "d"})
    link_services.link_create(env_object=linked, actor=None, target=dev)
    link_services.link_create(env_object=linked, actor=None, target=project)
    link_services.link_set_override(env_object=linked, actor=None, target=project, fields={"value": "ide"})

    to_all = ConnectionFactory(workspace=workspace, key="to_all", linked_to_all=True,
                               fields={"conn_type": "http", "host": "h", "password": "pw"})
    link_services.link_set_override(env_object=to_all, actor=None, target=prod, fields={"password": "prod-pw"})

    excluded = EnvVarFactory(workspace=workspace, key="EXCLUDED", linked_to_all=True, fields={"value": "x"})
    link_services.link_exclude(env_object=excluded, actor=None, target=dev)

    ConnectionFactory(workspace=workspace, key="unlinked", fields={"conn_type": "http"})

    shadowed = VariableFactory(workspace=workspace, key="shadowed", linked_to_all=True, fields={"value": "workspace"})
    VariableFactory(workspace=workspace, deployment=dev, key="shadowed", is_secret=True, fields={"value": "own"})
    link_services.link_create(env_object=shadowed, actor=None, target=project)

    # Keys Airflow accepts beyond ASCII; lookups compare them exactly (no case folding, no normalisation:
    # "Å" U+00C5 and "Å" U+212B are two keys, as in Airflow's metastore).
    unicode_var = VariableFactory(workspace=workspace, key="ключ_переменной", fields={"value": " padded\n"})
    link_services.link_create(env_object=unicode_var, actor=None, target=dev)
    link_services.link_create(env_object=unicode_var, actor=None, target=project)
    link_services.link_set_override(env_object=unicode_var, actor=None, target=project, fields={"value": "ide "})
    odd_conn = ConnectionFactory(workspace=workspace, key="соединение:бд#(1)/x", linked_to_all=True,
                                 fields={"conn_type": "http", "password": "  pw  "})
    link_services.link_set_override(env_object=odd_conn, actor=None, target=dev, fields={"login": " dev"})
    VariableFactory(workspace=workspace, deployment=dev, key="\u00c5ngstr\u00f6m", fields={"value": "precomposed"})
    VariableFactory(workspace=workspace, deployment=prod, key="\u212bngstr\u00f6m", fields={"value": "sign"})

    MetricsExportFactory(workspace=workspace, deployment=prod, key="prom")
    VariableFactory(workspace=other_workspace, deployment=elsewhere, key="linked", fields={"value": "theirs"})
    ConnectionFactory(workspace=other_workspace, key="to_all", linked_to_all=True, fields={"conn_type": "mysql"})
    return {"dev": dev, "prod": prod, "elsewhere": elsewhere, "project": project, "other_project": other_project}


KEYS = [
    (Kind.VARIABLE, "linked"), (Kind.CONNECTION, "to_all"), (Kind.ENV, "EXCLUDED"), (Kind.CONNECTION, "unlinked"),
    (Kind.VARIABLE, "shadowed"), (Kind.METRICS, "prom"), (Kind.VARIABLE, "to_all"), (Kind.VARIABLE, "absent"),
    (Kind.VARIABLE, "ключ_переменной"), (Kind.VARIABLE, "КЛЮЧ_ПЕРЕМЕННОЙ"), (Kind.CONNECTION, "соединение:бд#(1)/x"),
    (Kind.VARIABLE, "\u00c5ngstr\u00f6m"), (Kind.VARIABLE, "\u212bngstr\u00f6m"),
]


@pytest.mark.parametrize("target_name", ["dev", "prod", "elsewhere", "project", "other_project"])
@pytest.mark.parametrize(("kind", "key"), KEYS, ids=[f"{k.value}:{key}" for k, key in KEYS])
def test_single_lookup_equals_the_selector(landscape, target_name, kind, key):
    target = landscape[target_name]

    fast = target_effective_entry(kind=kind.value, key=key, target=target)
    expected = [e for e in target_effective_environment(target=target) if (e.kind, e.key) == (kind.value, key)]

    if not expected:
        assert fast is None
        return
    assert fast is not None
    assert entry_as_dict(fast, reveal=True) == entry_as_dict(expected[0], reveal=True)
    assert (fast.object_id, fast.link_id) == (expected[0].object_id, expected[0].link_id)


def test_the_landscape_exercises_every_outcome(landscape):
    """Guard the test above against a fixture that quietly stops covering a case."""
    dev, prod, project = landscape["dev"], landscape["prod"], landscape["project"]

    assert target_effective_entry(kind="variable", key="shadowed", target=dev).source == "deployment"
    assert target_effective_entry(kind="variable", key="shadowed", target=prod).source == "workspace"
    assert target_effective_entry(kind="connection", key="to_all", target=prod).source == "override"
    assert target_effective_entry(kind="variable", key="ключ_переменной", target=project).reveal()["value"] == "ide "
    assert target_effective_entry(kind="variable", key="\u00c5ngstr\u00f6m", target=prod) is None
    assert target_effective_entry(kind="variable", key="\u212bngstr\u00f6m", target=prod).reveal()["value"] == "sign"
    assert target_effective_entry(kind="env", key="EXCLUDED", target=dev) is None
    assert target_effective_entry(kind="env", key="EXCLUDED", target=prod) is not None
    assert target_effective_entry(kind="variable", key="linked", target=project).reveal()["value"] == "ide"
    assert target_effective_entry(kind="connection", key="to_all", target=project) is None
    assert target_effective_entry(kind="variable", key="linked", target=landscape["elsewhere"]).reveal()["value"] == "theirs"
