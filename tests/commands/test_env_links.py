import pytest
from django.core.management.base import CommandError

from envmanager.models import EnvObject, Link
from envmanager.selectors.environment import deployment_effective_environment
from envmanager.services import links as link_services
from tests.commands.conftest import MARKER, TerminalInput, audit_text, db_state
from tests.factories import ConnectionFactory, EnvVarFactory, IdeProjectFactory, VariableFactory


@pytest.fixture
def warehouse(workspace):
    return ConnectionFactory(
        workspace=workspace, key="warehouse", fields={"conn_type": "postgres", "host": "db.internal", "password": "pw"}
    )


def _keys(deployment) -> list[str]:
    return [entry.key for entry in deployment_effective_environment(deployment=deployment)]


# --- env_link / env_unlink -----------------------------------------------------------------------


def test_link_to_a_deployment(run, warehouse, dev, prod):
    result = run("env_link", type="connection", key="warehouse", deployment="dev")

    assert _keys(dev) == ["warehouse"]
    assert _keys(prod) == []
    assert "Airflow connection 'warehouse' (Workspace) is linked to Deployment 'dev'." in result.out


def test_link_to_an_ide_project(run, workspace, warehouse):
    notebooks = IdeProjectFactory(workspace=workspace, name="notebooks")

    run("env_link", type="connection", key="warehouse", ide_project="notebooks")

    assert Link.objects.get(env_object=warehouse).ide_project == notebooks


def test_link_to_all_deployments_covers_later_ones(run, warehouse, dev):
    run("env_link", type="connection", key="warehouse", all_deployments=True)
    run("deployment_create", name="stage")

    assert EnvObject.objects.get(key="warehouse").linked_to_all
    assert _keys(dev) == ["warehouse"]
    assert _keys(dev.workspace.deployments.get(name="stage")) == ["warehouse"]


def test_link_dry_run_changes_nothing(run, warehouse, dev):
    before = db_state()

    result = run("env_link", type="connection", key="warehouse", deployment="dev", dry_run=True)

    assert db_state() == before
    assert "Would link Airflow connection 'warehouse' (Workspace) to Deployment 'dev'." in result.out


def test_link_refuses_a_deployment_object(run, workspace, dev, prod):
    VariableFactory(workspace=workspace, deployment=dev, key="only_dev")
    with pytest.raises(CommandError, match="No airflow variable 'only_dev' in the Workspace."):
        run("env_link", type="variable", key="only_dev", deployment="prod")
    assert not Link.objects.exists()


def test_link_needs_a_target(run, warehouse):
    required = "one of the arguments --deployment --ide-project --all-deployments is required"
    with pytest.raises(CommandError, match=required):
        run("env_link", type="connection", key="warehouse")


def test_unlink_refuses_without_yes_and_removes_with_it(run, warehouse, dev):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_set_override(env_object=warehouse, actor=None, target=dev, fields={"host": "dev-db"})
    before = db_state()

    with pytest.raises(CommandError, match="Unlink Airflow connection 'warehouse' .* Refusing without confirmation"):
        run("env_unlink", type="connection", key="warehouse", deployment="dev")
    assert db_state() == before

    result = run("env_unlink", type="connection", key="warehouse", deployment="dev", yes=True)

    assert not Link.objects.exists()
    assert _keys(dev) == []
    assert "Unlinked Airflow connection 'warehouse' (Workspace) from Deployment 'dev'." in result.out


def test_unlink_of_a_missing_link_fails_before_asking(run, warehouse, dev):
    stdin = TerminalInput("yes\n")
    with pytest.raises(CommandError, match="is not linked to Deployment 'dev'"):
        run("env_unlink", type="connection", key="warehouse", deployment="dev", stdin=stdin)
    assert stdin.tell() == 0  # the question was never asked


def test_unlink_all_deployments_drops_exclusions(run, workspace, dev, prod):
    flag = EnvVarFactory(workspace=workspace, key="FLAG", linked_to_all=True)
    link_services.link_exclude(env_object=flag, actor=None, target=prod)

    run("env_unlink", type="env", key="FLAG", all_deployments=True, yes=True)

    flag.refresh_from_db()
    assert not flag.linked_to_all
    assert not Link.objects.exists()


def test_unlink_all_when_not_linked_to_all(run, warehouse):
    with pytest.raises(CommandError, match="is not linked to all Deployments; nothing to unlink"):
        run("env_unlink", type="connection", key="warehouse", all_deployments=True, yes=True)


def test_unlink_dry_run_changes_nothing(run, warehouse, dev):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    before = db_state()

    result = run("env_unlink", type="connection", key="warehouse", deployment="dev", dry_run=True)

    assert db_state() == before
    assert "Would unlink" in result.out


# --- env_exclude / env_include -------------------------------------------------------------------


def test_exclude_and_include_a_deployment(run, workspace, dev, prod):
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL", linked_to_all=True)

    result = run("env_exclude", type="env", key="LOG_LEVEL", deployment="prod")
    assert _keys(prod) == [] and _keys(dev) == ["LOG_LEVEL"]
    assert "Deployment 'prod' no longer receives Environment variable 'LOG_LEVEL' (Workspace)." in result.out

    result = run("env_include", type="env", key="LOG_LEVEL", deployment="prod")
    assert _keys(prod) == ["LOG_LEVEL"]
    assert "Deployment 'prod' receives Environment variable 'LOG_LEVEL' (Workspace) again." in result.out


def test_exclude_needs_a_link_to_all_object(run, warehouse, dev):
    before = db_state()
    with pytest.raises(CommandError, match="is not linked to all Deployments; unlink Deployment 'dev' instead"):
        run("env_exclude", type="connection", key="warehouse", deployment="dev")
    assert db_state() == before


def test_include_of_a_deployment_not_excluded(run, workspace, dev):
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL", linked_to_all=True)
    with pytest.raises(CommandError, match="Deployment 'dev' is not excluded"):
        run("env_include", type="env", key="LOG_LEVEL", deployment="dev")


def test_exclude_dry_run_changes_nothing(run, workspace, prod):
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL", linked_to_all=True)
    before = db_state()
    run("env_exclude", type="env", key="LOG_LEVEL", deployment="prod", dry_run=True)
    assert db_state() == before


# --- env_override --------------------------------------------------------------------------------


def test_override_sets_plain_and_secret_fields_for_one_deployment(run, warehouse, dev, prod):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_create(env_object=warehouse, actor=None, target=prod)

    result = run(
        "env_override", "--type", "connection", "--key", "warehouse", "--deployment", "prod",
        "--set", "host=prod-db.internal", "--set", "password=-", "--set", "port=6432", stdin=MARKER,  # the whole of stdin, as is
    )

    link = Link.objects.get(env_object=warehouse, deployment=prod)
    assert link.override_data == {"host": "prod-db.internal", "port": 6432}
    assert link.reveal_override("password") == MARKER
    assert Link.objects.get(env_object=warehouse, deployment=dev).override_data == {}
    warehouse.refresh_from_db()
    assert warehouse.data["host"] == "db.internal"
    assert "Deployment 'prod' overrides Airflow connection 'warehouse' (Workspace):" in result.out
    assert "  password: set" in result.out and "  host: prod-db.internal" in result.out
    assert MARKER not in result.both and MARKER not in audit_text()


def test_override_on_a_link_to_all_object(run, workspace, prod):
    EnvVarFactory(workspace=workspace, key="LOG_LEVEL", fields={"value": "DEBUG"}, linked_to_all=True)

    run("env_override", type="env", key="LOG_LEVEL", deployment="prod", set=["value=WARNING"])

    [entry] = deployment_effective_environment(deployment=prod)
    assert entry.fields["value"].value == "WARNING"


def test_override_clear_one_field_and_clear_all(run, warehouse, dev):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    link_services.link_set_override(
        env_object=warehouse, actor=None, target=dev, fields={"host": "dev-db", "password": "dev-pw"}
    )

    run("env_override", type="connection", key="warehouse", deployment="dev", clear=["host"])
    link = Link.objects.get(deployment=dev)
    assert link.override_data == {} and set(link.override_secrets) == {"password"}

    result = run("env_override", type="connection", key="warehouse", deployment="dev", clear_all=True)
    link.refresh_from_db()
    assert not link.has_override
    assert "Deployment 'dev' has no override of Airflow connection 'warehouse' (Workspace)" in result.out


def test_override_dry_run_changes_nothing(run, warehouse, dev):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    before = db_state()

    result = run("env_override", type="connection", key="warehouse", deployment="dev", set=["host=x"], dry_run=True)

    assert db_state() == before
    assert "Deployment 'dev' would override" in result.out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"set": ["colour=red"]}, "Airflow connections have no field 'colour'"),
        ({"set": [MARKER]}, "--set expects FIELD=VALUE"),
        ({"set": ["host=a", "host=b"]}, "--set names field 'host' twice"),
        ({"set": ["port=many"]}, "Port must be a whole number."),
        ({"set": ["extra={bad"]}, "Extra is not valid JSON"),
        ({}, "Nothing to do: give --set FIELD=VALUE, --clear FIELD or --clear-all."),
        ({"set": ["host=a"], "clear_all": True}, "leave out --set and --clear"),
    ],
)
def test_override_bad_input_changes_nothing(run, warehouse, dev, options, message):
    link_services.link_create(env_object=warehouse, actor=None, target=dev)
    before = db_state()

    with pytest.raises(CommandError, match=message) as error:
        run("env_override", type="connection", key="warehouse", deployment="dev", **options)

    assert MARKER not in str(error.value)
    assert db_state() == before


def test_override_needs_a_link(run, warehouse, prod):
    with pytest.raises(CommandError, match="is not linked to Deployment 'prod'; link it before overriding"):
        run("env_override", type="connection", key="warehouse", deployment="prod", set=["host=x"])
