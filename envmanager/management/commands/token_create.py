from envmanager.management import cli
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import tokens as token_services


class Command(cli.EnvManagerCommand):
    help = (
        "Create an API token for one Deployment (or IDE project). The token reads that target's effective\n"
        "environment through the read API and the Airflow secrets backend. It is printed once, alone on\n"
        "the last line of standard output, and only its hash is stored: keep it now."
    )
    example = """
        manage.py token_create --deployment prod --name airflow-prod
        manage.py token_create --workspace 'Data Platform' --ide-project notebooks --name laptop | tail -n 1 > token.txt
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)
        parser.add_argument(
            "--name", required=True, metavar="NAME",
            help="A name for the token, unique among the target's active tokens (e.g. where it is used).",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, name, dry_run, **options):
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        issued = self.change(
            lambda: token_services.api_token_create(actor=None, name=name, target=target), dry_run=dry_run,
            would=f"Would create API token '{name}' for {target.label}.",
            done=f"Created API token '{name}' for {target.label} in Workspace '{workspace.name}'.",
        )
        if dry_run:
            return
        self.stdout.write("It is shown only now; store it where Airflow reads it (e.g. a token_file):")
        self.stdout.write(issued.plain)
