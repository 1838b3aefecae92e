from django.core.management.base import CommandError

from envmanager.gitops_yaml import from_yaml
from envmanager.management import cli
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services.declarative import plan_apply, workspace_plan
from envmanager.services.declarative_document import DocumentInvalid, operator_resolver, read_document


class Command(cli.EnvManagerCommand):
    help = (
        "Make a Workspace hold what a YAML file (docs/gitops.md, version 1) says: print the plan, one line per\n"
        "object and a summary, then apply it in one transaction (all or nothing) with audit entries.\n"
        "Without --prune nothing is deleted. Secret references ({from_env: NAME}, {from_file: path}) are\n"
        "read here, on this machine."
    )
    example = """
        manage.py env_apply --workspace 'Data Platform' -f workspace.yaml --dry-run
        manage.py env_apply --workspace 'Data Platform' -f workspace.yaml --prune --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("-f", "--file", required=True, metavar="FILE", help="The YAML file ('-': standard input).")
        parser.add_argument("--prune", action="store_true", help="Delete objects and links the file does not list.")
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def _read(self, path: str) -> str:
        if path == cli.STDIN:
            return self.stdin.read()
        try:
            with open(path, encoding="utf-8") as file:
                return file.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None

    def handle(self, *args, workspace, file, prune, dry_run, yes, **options):
        workspace = workspace_by_name(workspace)
        try:
            document = from_yaml(self._read(file))
            plan = workspace_plan(
                workspace=workspace, prune=prune,
                desired=read_document(document, workspace=workspace, resolver=operator_resolver),
            )
            for line in plan.lines:
                self.stdout.write(line)
            self.stdout.write(plan.summary)
            if not plan.changes:
                return
            if not dry_run and plan.count("delete"):
                self.confirm(f"Delete {plan.count('delete')} object(s) from Workspace '{workspace.name}'?", yes=yes)
            plan_apply(plan=plan, actor=None, dry_run=dry_run)
        except DocumentInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"{error['path']}: {error['message']}")
            raise CommandError(f"{len(exc.errors)} error(s) in {file}; nothing was applied.") from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if dry_run:
            self.dry_run_note()
        else:
            self.success(f"Applied to Workspace '{workspace.name}'.")
