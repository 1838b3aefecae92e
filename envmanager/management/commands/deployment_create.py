from envmanager.management import cli, utils
from envmanager.models import ExecutionMode
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import workspaces as workspace_services


class Command(cli.EnvManagerCommand):
    help = (
        "Create a Deployment (one Airflow instance) in a Workspace.\n"
        "The metadata database URL and the Fernet keys are secrets: give '-' to read them from standard\n"
        "input (one '-': all of stdin; both: one line each, URL first). They are never printed."
    )
    example = """
        manage.py deployment_create --workspace 'Data Platform' --name prod --metadata-db-url - --fernet-key - < secrets.txt
        manage.py deployment_create --name edge --execution-mode remote_execution
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--name", required=True, metavar="NAME", help="Deployment name, unique in the Workspace.")
        parser.add_argument(
            "--execution-mode", choices=ExecutionMode.values, default=ExecutionMode.STANDARD,
            help="standard (default) or remote_execution.",
        )
        parser.add_argument(
            "--metadata-db-url", default="", metavar="URL",
            help="Airflow metadata database URL (postgresql://... or sqlite:///...). Secret; '-' reads stdin.",
        )
        parser.add_argument(
            "--fernet-key", dest="fernet_keys", default="", metavar="KEYS",
            help="Airflow's [core] fernet_key: comma-separated, newest first. Secret; '-' reads stdin.",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, name, execution_mode, metadata_db_url, fernet_keys, dry_run, **options):
        secrets = self.read_secrets({"--metadata-db-url": metadata_db_url, "--fernet-key": fernet_keys})
        workspace = workspace_by_name(workspace)
        with utils.changes(dry_run=dry_run):
            deployment = workspace_services.deployment_create(
                workspace=workspace, name=name, actor=None, execution_mode=execution_mode,
                metadata_db_url=secrets["--metadata-db-url"], fernet_keys=secrets["--fernet-key"],
            )
        summary = utils.deployment_summary(deployment)
        self.report(dry_run=dry_run, would=f"Would create {summary}", done=f"Created {summary}")
