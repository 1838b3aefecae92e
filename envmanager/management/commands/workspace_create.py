from envmanager.management import cli
from envmanager.services import workspaces as workspace_services


class Command(cli.EnvManagerCommand):
    help = "Create a Workspace: a team's space for Deployments, IDE projects, members and environment objects."
    example = "manage.py workspace_create --name 'Data Platform' --description 'Airflow for the data team'"

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, metavar="NAME", help="Workspace name (unique).")
        parser.add_argument("--description", default="", metavar="TEXT", help="Optional description.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, name, description, dry_run, **options):
        self.change(
            lambda: workspace_services.workspace_create(name=name, description=description, actor=None),
            dry_run=dry_run, would=f"Would create Workspace '{name}'.", done=f"Created Workspace '{name}'.",
        )
