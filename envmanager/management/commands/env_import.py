import sys
from pathlib import Path

from django.core.management.base import CommandError

from envmanager.import_formats import IMPORT_FORMATS, ImportFileError, decode_import, parse_import
from envmanager.kinds import KIND_SPECS
from envmanager.management import cli, utils
from envmanager.selectors.imports import ImportStatus, import_preview
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.imports import env_import


class Command(cli.EnvManagerCommand):
    help = (
        "Import many objects at once into a Workspace (or, with --deployment, as that Deployment's own objects):\n"
        "  dotenv       a .env file (read as python-dotenv reads it): environment variables\n"
        "  connections  what `airflow connections export` writes, JSON or YAML\n"
        "  variables    what `airflow variables export` writes (JSON)\n"
        "Prints each row as new, exists (the fields that differ), same or invalid (why), asks, then applies\n"
        "every new and differing row in one transaction; invalid rows are left out. Values are kept exactly;\n"
        "names Airflow treats as sensitive (password, token, api_key, ...) make variables secret.\n"
        "--file - reads standard input. Secret values are never printed."
    )
    example = """
        manage.py env_import --file .env --format dotenv --dry-run
        manage.py env_import --file connections.json --format connections --yes
        airflow variables export /dev/stdout | manage.py env_import --file - --format variables --deployment prod --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--file", required=True, metavar="FILE", help="The file to import; - reads standard input.")
        parser.add_argument("--format", required=True, choices=IMPORT_FORMATS, help="What the file holds (see above).")
        parser.add_argument("--deployment", help="Import as this Deployment's own objects (default: the Workspace's).")
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, file, format, deployment, yes, dry_run, **options):
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        try:
            rows = parse_import(decode_import(self._read(file)), format)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from None
        preview = import_preview(workspace=workspace, deployment=deployment, rows=rows)
        for item in preview.rows:
            self.stdout.write(_line(item))
            for notice in item.row.notices:
                self.stderr.write(f"Note: {item.row.position}: {notice}")
        counts = preview.counts
        summary = (
            f"{utils.plural(counts['new'], 'new object')}, {counts['exists']} to update, "
            f"{counts['same']} unchanged, {counts['invalid']} invalid"
        )
        if not preview.changes:
            self.stdout.write(f"Nothing to import into {preview.scope_label} ({summary}).")
            return
        changes = utils.plural(len(preview.changes), "change")
        self.change(
            lambda: env_import(workspace=workspace, deployment=deployment, rows=rows, actor=None),
            dry_run=dry_run, yes=yes, ask=f"Import {changes} into {preview.scope_label} ({summary})?",
            would=f"Would import {changes} into {preview.scope_label} ({summary}).",
            done=f"Imported {changes} into {preview.scope_label} ({summary}).",
        )

    def _read(self, file: str) -> bytes:
        if file == "-":
            return sys.stdin.buffer.read() if self.stdin is sys.stdin else self.stdin.read().encode()
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"--file {file}: no such file.")
        return path.read_bytes()  # bytes: line endings inside values stay as they are


def _line(item) -> str:
    label = f"{KIND_SPECS[item.row.kind].noun} '{item.row.key}'" if item.row.key else item.row.position
    if item.status == ImportStatus.INVALID:
        return f"invalid  {label} ({item.row.position}): {item.reason}"
    if item.status == ImportStatus.EXISTS:
        return f"exists   {label}: {', '.join(item.differing_labels)} differ{'s' if len(item.differing) == 1 else ''}"
    return f"{item.status:<8} {label}" + (" (secret)" if item.row.is_secret and item.status == ImportStatus.NEW else "")
