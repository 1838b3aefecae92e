import os
from pathlib import Path

from django.core.management.base import CommandError

from envmanager.management import cli, utils
from envmanager.selectors.exports import AIRFLOW_VERSIONS, EXPORT_FORMATS, ExportFormat, ExportOptions
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import exports as export_services


class Command(cli.EnvManagerCommand):
    help = (
        "Export the effective environment of a Deployment (or IDE project) with secrets in clear, every\n"
        "value byte for byte:\n"
        "  connections  JSON for `airflow connections import` (Airflow 2 and 3)\n"
        "  variables    JSON for `airflow variables import`; --airflow 2 writes the plain {key: value} shape\n"
        "               Airflow 2.10 reads (descriptions left out), --airflow 3 (default) keeps descriptions\n"
        "  dotenv       a .env file for python-dotenv: AIRFLOW_CONN_<ID> (JSON), AIRFLOW_VAR_<KEY>, plain\n"
        "               environment variables\n"
        "  k8s-secret   a Kubernetes Secret manifest of the environment variables (values base64-encoded);\n"
        "               --include-airflow-objects adds AIRFLOW_CONN_<ID> and AIRFLOW_VAR_<KEY> entries\n"
        "Keys that cannot be environment variable names are left out of dotenv and k8s-secret, said on\n"
        "standard error. Writes to standard output, or to --output FILE (created readable by its owner\n"
        "only). Every export is recorded in the audit log (who, what; never a value)."
    )
    example = """
        manage.py env_export --deployment prod --format connections --output connections.json
        manage.py env_export --deployment prod --format variables > variables.json
        manage.py env_export --ide-project notebooks --format dotenv --output .env --yes
        manage.py env_export --deployment prod --format variables --airflow 2 > variables-airflow2.json
        manage.py env_export --deployment prod --format k8s-secret --include-airflow-objects | kubectl apply -f -
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)
        parser.add_argument("--format", required=True, choices=EXPORT_FORMATS, help="What to write (see above).")
        parser.add_argument(
            "--airflow", type=int, choices=AIRFLOW_VERSIONS, default=3, dest="airflow_version",
            help="variables: the Airflow major version whose `variables import` reads the file (default 3).",
        )
        parser.add_argument(
            "--include-airflow-objects", action="store_true",
            help="k8s-secret: also AIRFLOW_CONN_<ID> (Airflow's JSON format) and AIRFLOW_VAR_<KEY> entries.",
        )
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, format, airflow_version, include_airflow_objects, output, yes, **options):
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        path = Path(output) if output else None
        if path is not None:
            if path.is_dir():
                raise CommandError(f"--output {path} is a directory; name a file.")
            if not path.parent.exists():
                raise CommandError(f"--output {path}: the folder {path.parent} does not exist.")
            if path.exists():
                self.confirm(f"{path} exists and will be overwritten.", yes=yes)
        if include_airflow_objects and format != ExportFormat.K8S_SECRET:
            raise CommandError("--include-airflow-objects applies to --format k8s-secret only.")
        export = export_services.environment_export_record(
            actor=None, export_format=format, target=target, channel="command",
            options=ExportOptions(airflow_version=airflow_version, include_airflow_objects=include_airflow_objects),
        )
        for reason in export.skipped:
            self.stderr.write(f"Left out {reason}")
        for note in export.notes:
            self.stderr.write(f"Note: {note}")
        if path is None:
            self.stdout.write(export.content, ending="")
            self.stderr.write(f"Exported {utils.plural(export.count, 'object')} of {target.label} as {format}.")
            return
        _write_private(path, export.content)
        self.success(f"Exported {utils.plural(export.count, 'object')} of {target.label} as {format} to {path}.")


def _write_private(path: Path, content: str) -> None:
    """Write `content` to `path` readable by its owner only: the file holds secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode on O_CREAT; tighten it
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:  # the exact bytes, no newline translation
        handle.write(content)
