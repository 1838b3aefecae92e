import os
from pathlib import Path

from django.core.management.base import CommandError

from envmanager.management import cli
from envmanager.selectors.exports import EXPORT_FORMATS
from envmanager.services import exports as export_services


class Command(cli.EnvManagerCommand):
    help = (
        "Export the effective environment of a Deployment (or IDE project) with secrets in clear:\n"
        "  connections  JSON for `airflow connections import`\n"
        "  variables    JSON for `airflow variables import`\n"
        "  dotenv       a .env file: AIRFLOW_CONN_<ID> (JSON), AIRFLOW_VAR_<KEY>, plain environment variables\n"
        "Writes to standard output, or to --output FILE (created readable by its owner only).\n"
        "Every export is recorded in the audit log (who, what; never a value)."
    )
    example = """
        manage.py env_export --deployment prod --format connections --output connections.json
        manage.py env_export --deployment prod --format variables > variables.json
        manage.py env_export --ide-project notebooks --format dotenv --output .env --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)
        parser.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="What to write (see above).")
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, format, output, yes, **options):
        workspace = cli.workspace_by_name(workspace)
        deployment, ide_project = cli.targets(workspace, options)
        path = Path(output) if output else None
        if path is not None:
            if path.is_dir():
                raise CommandError(f"--output {path} is a directory; name a file.")
            if not path.parent.exists():
                raise CommandError(f"--output {path}: the folder {path.parent} does not exist.")
            if path.exists():
                self.confirm(f"{path} exists and will be overwritten.", yes=yes)
        export = export_services.environment_export_record(
            actor=None, export_format=format, deployment=deployment, ide_project=ide_project, channel="command"
        )
        for reason in export.skipped:
            self.stderr.write(f"Left out {reason}")
        target = cli.target_label(deployment, ide_project)
        if path is None:
            self.stdout.write(export.content, ending="")
            self.stderr.write(f"Exported {cli.plural(export.count, 'object')} of {target} as {format}.")
            return
        _write_private(path, export.content)
        self.success(f"Exported {cli.plural(export.count, 'object')} of {target} as {format} to {path}.")


def _write_private(path: Path, content: str) -> None:
    """Write `content` to `path` readable by its owner only: the file holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT; tighten it
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
