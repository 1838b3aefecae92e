from envmanager.management import cli, utils
from envmanager.models import ExecutionMode
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services import workspaces as workspace_services


class Command(cli.EnvManagerCommand):
    help = (
        "Change a Deployment: its name, execution mode, Airflow metadata database URL or Fernet keys.\n"
        "Options left out keep their value. The URL and the keys are secrets: give '-' to read them from\n"
        "standard input (both: one line each, URL first); they are never printed."
    )
    example = """
        manage.py deployment_update --deployment prod --metadata-db-url - --fernet-key - < secrets.txt
        manage.py deployment_update --deployment edge --execution-mode remote_execution --clear-metadata-db-url
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment to change.")
        parser.add_argument("--rename", metavar="NAME", help="A new name, unique in the Workspace.")
        parser.add_argument("--execution-mode", choices=ExecutionMode.values, help="standard or remote_execution.")
        parser.add_argument(
            "--metadata-db-url", metavar="URL",
            help="Airflow metadata database URL (postgresql://... or sqlite:///...). Secret; '-' reads stdin.",
        )
        parser.add_argument(
            "--fernet-key", dest="fernet_keys", metavar="KEYS",
            help="Airflow's [core] fernet_key: comma-separated, newest first. Secret; '-' reads stdin.",
        )
        parser.add_argument("--clear-metadata-db-url", action="store_true", help="Remove the stored URL.")
        parser.add_argument("--clear-fernet-key", action="store_true", help="Remove the stored Fernet keys.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, deployment, rename, execution_mode, metadata_db_url, fernet_keys,
               clear_metadata_db_url, clear_fernet_key, dry_run, **options):
        secrets = self.read_secrets({"--metadata-db-url": metadata_db_url, "--fernet-key": fernet_keys})
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment)
        with utils.changes(dry_run=dry_run):
            deployment = workspace_services.deployment_update(
                deployment=deployment, actor=None, name=rename, execution_mode=execution_mode,
                metadata_db_url=secrets["--metadata-db-url"], fernet_keys=secrets["--fernet-key"],
                clear_metadata_db_url=clear_metadata_db_url, clear_fernet_keys=clear_fernet_key,
            )
        summary = utils.deployment_summary(deployment)
        self.report(dry_run=dry_run, would=f"Would update {summary}", done=f"Updated {summary}")
