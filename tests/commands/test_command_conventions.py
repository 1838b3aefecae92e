"""What every envmanager command shares (docs/cli.md): an example in --help, help on every option, exit 1."""

import pytest
from django.core.management import get_commands, load_command_class

from envmanager.management.cli import EnvManagerCommand

COMMANDS = sorted(name for name, app in get_commands().items() if app == "envmanager")
READING = {  # change no data: no --dry-run
    "env_show", "env_list", "env_export", "env_diff", "env_dump", "env_history", "audit_verify", "audit_export",
    "migration_runs", "drift_report",
}


def _parser(name):
    return load_command_class("envmanager", name).create_parser("manage.py", name)


def test_the_commands_are_all_there():
    assert set(COMMANDS) >= {
        "workspace_create", "deployment_create", "member_add", "member_remove", "env_set", "env_delete", "env_show",
        "env_link", "env_unlink", "env_exclude", "env_include", "env_override", "rotate_encryption_keys", "load_demo",
    }


@pytest.mark.parametrize("name", COMMANDS)
def test_help_has_an_example_and_explains_every_option(name):
    parser = _parser(name)

    assert isinstance(load_command_class("envmanager", name), EnvManagerCommand)
    help_text = parser.format_help()
    assert "Example:\n" in help_text
    assert f"manage.py {name} " in help_text.split("Example:\n", 1)[1]
    assert all(action.help for action in parser._actions)


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - READING))
def test_commands_that_change_data_offer_dry_run(name):
    assert "--dry-run" in _parser(name).format_help()


@pytest.mark.parametrize("name", ["env_show", "env_list", "env_diff"])
def test_reading_commands_offer_json(name):
    assert "--format {text,json}" in _parser(name).format_help()


def test_usage_errors_exit_with_status_1(capsys):
    command = load_command_class("envmanager", "env_set")

    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "env_set", "--key", "x"])

    assert exit_info.value.code == 1
    assert "the following arguments are required: --type" in capsys.readouterr().err


@pytest.mark.django_db
def test_bad_input_exits_with_status_1_and_one_line_without_traceback(capsys):
    command = load_command_class("envmanager", "workspace_create")

    with pytest.raises(SystemExit) as exit_info:
        command.run_from_argv(["manage.py", "workspace_create", "--name", " "])

    assert exit_info.value.code == 1
    assert capsys.readouterr().err == "CommandError: The Workspace needs a name.\n"
