from envmanager.management import cli, utils
from envmanager.management.commands.deployment_delete import plan_lines
from envmanager.selectors.target_deletion import ide_project_deletion_plan
from envmanager.selectors.workspaces import ide_project_by_name, workspace_by_name
from envmanager.services.target_deletion import ide_project_delete


class Command(cli.EnvManagerCommand):
    help = (
        "Delete an IDE project with its links and overrides and its API tokens; Workspace objects stay.\n"
        "Lists what goes and asks for confirmation (--yes skips it)."
    )
    example = """
        manage.py ide_project_delete --workspace 'Data Platform' --ide-project notebooks --dry-run
        manage.py ide_project_delete --workspace 'Data Platform' --ide-project notebooks --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--ide-project", required=True, metavar="NAME", help="The IDE project to delete.")
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, ide_project, yes, dry_run, **options):
        workspace = workspace_by_name(workspace)
        ide_project = ide_project_by_name(workspace, ide_project)
        plan = ide_project_deletion_plan(ide_project=ide_project)
        for line in plan_lines(plan):
            self.stdout.write(line)
        if not dry_run:
            self.confirm(f"Delete {plan.label} of Workspace '{workspace.name}'?", yes=yes)
        with utils.changes(dry_run=dry_run):
            ide_project_delete(ide_project=ide_project, actor=None)
        if dry_run:
            self.stdout.write(f"Would delete {plan.label}.")
            self.dry_run_note()
            return
        self.success(f"Deleted {plan.label} of Workspace '{workspace.name}'.")
