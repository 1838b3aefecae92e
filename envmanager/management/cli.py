"""The base class and option builders of every envmanager management command, so that they behave alike (docs/cli.md).

A command parses its options with the builders here, resolves names with the selectors
(`selectors.workspaces.workspace_by_name`, ...), calls services inside `utils.changes()`, and prints
what happened with `utils`. Services and selectors report bad input with ValidationError;
`EnvManagerCommand` turns it into a one-line CommandError (exit status 1).
"""

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from envmanager import crypto
from envmanager.kinds import KIND_SPECS, Kind, parse_kind, value_notices
from envmanager.management import utils
from envmanager.models import Workspace
from envmanager.selectors.workspaces import deployment_by_name, ide_project_by_name
from envmanager.targets import Target

STDIN = "-"
T = TypeVar("T")


class HelpFormatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Django's option order, with the description and the example kept as written."""


class EnvManagerCommand(BaseCommand):
    """Base of every envmanager command: an example in --help, secrets from stdin, one-line errors."""

    example = ""  # shown under "Example:" at the end of --help; one command per line
    stealth_options = ("stdin",)  # tests pass `stdin=io.StringIO(...)` to call_command

    def create_parser(self, prog_name, subcommand, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        if self.example:
            lines = self.example.strip().splitlines()
            kwargs.setdefault("epilog", "Example:\n" + "\n".join(f"  {line.strip()}" for line in lines))
        return super().create_parser(prog_name, subcommand, **kwargs)

    def run_from_argv(self, argv):
        # argparse exits with status 2 on a usage error; docs/cli.md promises 1 for every failure.
        try:
            super().run_from_argv(argv)
        except SystemExit as exc:
            if exc.code == 2:
                raise SystemExit(1) from None
            raise

    def execute(self, *args, **options):
        self.stdin = options.get("stdin") or sys.stdin
        # rich writes partial lines; Django's OutputWrapper would end each with a newline.
        self.raw_stderr = options.get("stderr") or sys.stderr
        try:
            return super().execute(*args, **options)
        except (ValidationError, crypto.SecretDecryptionError, ImproperlyConfigured) as exc:
            # Bad input, an undecryptable secret or a bad key setting: one line, never a traceback.
            raise CommandError(error_line(exc)) from None

    def read_secrets(self, values: dict[str, str | None]) -> dict[str, str | None]:
        """Return `values` ({option label: value}) with each `-` replaced by a value read from stdin.

        One `-`: the whole of standard input, exactly as read (a multi-line value works; so does a
        final newline, which is kept: pipe with `printf '%s'` to leave it out). Several: one line
        each, in the order given, without its line terminator. On a terminal each is asked for
        without echo.
        """
        wanted = [label for label, value in values.items() if value == STDIN]
        if not wanted:
            return values
        read = dict(values)
        if self.stdin.isatty():
            for label in wanted:
                read[label] = getpass.getpass(f"{label}: ")
        elif len(wanted) == 1:
            read[wanted[0]] = self.stdin.read()
        else:
            for label in wanted:
                read[label] = self.stdin.readline().removesuffix("\n")
        for label in wanted:
            if not read[label]:
                raise CommandError(f"Standard input held no value for {label}; pipe the value in, one line each.")
        return read

    def confirm(self, question: str, *, yes: bool) -> None:
        """Return when the user agrees (or gave --yes); otherwise raise CommandError, changing nothing.

        `question` is a full sentence, e.g. "Delete Airflow connection 'warehouse' (Workspace)?".
        """
        if yes:
            return
        if not self.stdin.isatty():
            raise CommandError(
                f"{question} Refusing without confirmation: standard input is not a terminal. "
                "Add --yes to go ahead; nothing changed."
            )
        self.stderr.write(f"{question} Type 'yes' to continue: ", style_func=lambda text: text, ending="")
        self.stderr.flush()
        if self.stdin.readline().strip().lower() not in ("yes", "y"):
            raise CommandError("Cancelled; nothing changed.")

    @contextmanager
    def progress(self, description: str) -> Iterator[Callable[[int, int], None]]:
        """Draw a progress bar on standard error; yield `update(done, total)`."""
        console = Console(file=self.raw_stderr)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task(description, total=None)
            yield lambda done, total: bar.update(task, completed=done, total=total)

    def write_notices(self, kind: Kind, fields: dict) -> None:
        """Say on standard error which given values start or end with whitespace (they are kept as is)."""
        for notice in value_notices(kind, fields):
            self.stderr.write(f"Note: {notice}")

    def write_json(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2))

    def success(self, message: str) -> None:
        self.stdout.write(self.style.SUCCESS(message))

    def dry_run_note(self) -> None:
        self.stdout.write("Dry run: nothing changed.")

    def report(self, *, dry_run: bool, would: str, done: str) -> bool:
        """Say what the run did: `done`, or for a dry run `would` and that nothing changed.

        Return whether the change was made, for a command with more to say after it.
        """
        if dry_run:
            self.stdout.write(would)
            self.dry_run_note()
            return False
        self.success(done)
        return True

    def change(self, apply: Callable[[], T], *, dry_run: bool, would: str, done: str, ask: str = "", yes=False) -> T:
        """Ask `ask` (unless --yes or a dry run), run `apply()` in one transaction (rolled back for a
        dry run, so it checks everything) and report; return what `apply` returned."""
        if ask and not dry_run:
            self.confirm(ask, yes=yes)
        with utils.changes(dry_run=dry_run):
            result = apply()
        self.report(dry_run=dry_run, would=would, done=done)
        return result


def error_line(exc: Exception) -> str:
    """Return the one-line message of a ValidationError (or any error) for the terminal."""
    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    return " ".join(" ".join(message.split()) for message in messages)


# --- Options --------------------------------------------------------------------------------------


def add_workspace_option(parser) -> None:
    parser.add_argument(
        "--workspace", metavar="NAME", help="Workspace name; may be left out when exactly one Workspace exists."
    )


def add_username_option(parser) -> None:
    parser.add_argument("--username", required=True, metavar="USERNAME", help="The user's login name.")


def add_object_options(parser, *, scope_option: bool = True) -> None:
    """Add --workspace, --type, --key and (with `scope_option`) --deployment for the object's scope."""
    add_workspace_option(parser)
    parser.add_argument(
        "--type", required=True, metavar="TYPE",
        help="Object type: connection, variable, env or metrics (plurals work).",
    )
    parser.add_argument("--key", required=True, metavar="KEY", help="Object key (connection id, variable name, ...).")
    if scope_option:
        parser.add_argument(
            "--deployment", metavar="NAME",
            help="The object belongs to this Deployment; leave out for a Workspace object.",
        )


def add_target_options(parser, *, all_deployments: bool = False) -> None:
    """Add the required choice of --deployment / --ide-project (/ --all-deployments) a link points to."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--deployment", metavar="NAME", help="Target Deployment.")
    group.add_argument("--ide-project", metavar="NAME", help="Target IDE project.")
    if all_deployments:
        group.add_argument(
            "--all-deployments", action="store_true", help="Every Deployment of the Workspace, present and future."
        )


def add_dry_run_option(parser) -> None:
    parser.add_argument(
        "--dry-run", action="store_true", help="Check everything and say what would happen; change nothing."
    )


def add_yes_option(parser) -> None:
    parser.add_argument(
        "--yes", action="store_true",
        help="Do not ask for confirmation (needed when standard input is not a terminal).",
    )


def add_format_option(parser) -> None:
    parser.add_argument(
        "--format", dest="output_format", choices=["text", "json"], default="text",
        help="text (default, secrets masked) or json (the read API's shape, secret values null).",
    )


def _field_specs():
    return (field_spec for spec in KIND_SPECS.values() for field_spec in spec.fields)


def field_name(name: str) -> str:
    """Return the `kinds` field name for a name given on the command line (`conn-type`, `exporter`)."""
    option = "--" + name.strip().removeprefix("--").replace("_", "-")
    return next((f.name for f in _field_specs() if f.cli_option == option), option[2:].replace("-", "_"))


def field_option(name: str) -> str:
    """Return the command-line option for a `kinds` field name (`FieldSpec.cli_option`)."""
    return next((f.cli_option for f in _field_specs() if f.name == name), "--" + name.replace("_", "-"))


def stdin_capable(kind: Kind, name: str) -> bool:
    """Return whether field `name` of `kind` may be secret, so `-` reads it from standard input."""
    return KIND_SPECS[kind].field(name).may_be_secret


# --- Reading options ------------------------------------------------------------------------------


def kind_from_options(options: dict) -> Kind | None:
    """Return the Kind named by --type, or None when it was left out."""
    # Read from `options`: a parameter named `type` would shadow the builtin.
    if not options.get("type"):
        return None
    return parse_kind(options["type"])  # its ValidationError becomes a one-line CommandError


def target(workspace: Workspace, options: dict) -> Target | None:
    """Return the Deployment or IDE project named by --deployment / --ide-project (None for --all-deployments)."""
    if options.get("deployment"):
        return Target(deployment=deployment_by_name(workspace, options["deployment"]))
    if options.get("ide_project"):
        return Target(ide_project=ide_project_by_name(workspace, options["ide_project"]))
    return None
