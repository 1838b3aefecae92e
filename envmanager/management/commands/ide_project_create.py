from envmanager.management import cli
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import workspaces as workspace_services


class Command(cli.EnvManagerCommand):
    help = "Create an IDE project in a Workspace; Workspace objects can then be linked to it."
    example = "manage.py ide_project_create --workspace 'Data Platform' --name notebooks"

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--name", required=True, metavar="NAME", help="IDE project name, unique in the Workspace.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, name, dry_run, **options):
        workspace = workspace_by_name(workspace)
        what = f"IDE project '{name}' in Workspace '{workspace.name}'"
        self.change(
            lambda: workspace_services.ide_project_create(workspace=workspace, name=name, actor=None),
            dry_run=dry_run, would=f"Would create {what}.", done=f"Created {what}.",
        )
