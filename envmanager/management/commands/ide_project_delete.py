from envmanager.management import cli
from envmanager.management.commands.deployment_delete import run_deletion
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
        run_deletion(
            self, workspace=workspace, plan=ide_project_deletion_plan(ide_project=ide_project),
            delete=lambda: ide_project_delete(ide_project=ide_project, actor=None), yes=yes, dry_run=dry_run,
        )
