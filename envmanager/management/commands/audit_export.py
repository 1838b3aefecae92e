from django.core.management.base import CommandError

from envmanager.management import cli
from envmanager.selectors.audit_readable import EXPORT_FORMATS, export_entries, export_lines
from envmanager.selectors.workspaces import workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "Write the audit log, oldest first, as JSON lines (one entry per line) or CSV: time (UTC), actor,\n"
        "action (also in words), target, the change in words, the recorded change (secrets redacted) and the\n"
        "entry's hash-chain columns (see docs/audit.md). Every Workspace's entries, or one Workspace's."
    )
    example = """
        manage.py audit_export --output audit.jsonl
        manage.py audit_export --workspace 'Data Platform' --format csv --output audit.csv
    """

    def add_arguments(self, parser):
        parser.add_argument("--workspace", metavar="NAME", help="Only this Workspace's entries (default: all).")
        parser.add_argument(
            "--format", dest="output_format", choices=EXPORT_FORMATS, default="jsonl",
            help="jsonl (default: one JSON object per line) or csv.",
        )
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, workspace, output_format, output, **options):
        workspace_id = workspace_by_name(workspace).pk if workspace is not None else None
        counted = [0]

        def entries():
            for entry in export_entries(workspace_id=workspace_id).iterator(chunk_size=2000):
                counted[0] += 1
                yield entry

        if output is None:
            for chunk in export_lines(entries(), output_format):
                self.stdout.write(chunk, ending="")
            return
        try:
            # newline="" so CSV keeps its CRLF row ends and JSON lines their LF, byte for byte.
            with open(output, "w", encoding="utf-8", newline="") as file:
                for chunk in export_lines(entries(), output_format):
                    file.write(chunk)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
        noun = "entry" if counted[0] == 1 else "entries"
        self.raw_stderr.write(f"Wrote {counted[0]} {noun} to {output}.\n")
