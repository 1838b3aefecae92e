from envmanager.management import cli
from envmanager.selectors.tokens import api_token_get
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import tokens as token_services


class Command(cli.EnvManagerCommand):
    help = (
        "Revoke an API token of a Deployment (or IDE project), by name. From the next request on, the\n"
        "read API refuses it (401) and an Airflow using it falls back to its other secrets backends."
    )
    example = """
        manage.py token_revoke --deployment prod --name airflow-prod
        manage.py token_revoke --workspace 'Data Platform' --ide-project notebooks --name laptop --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)
        parser.add_argument("--name", required=True, metavar="NAME", help="The name of the active token to revoke.")
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, name, dry_run, yes, **options):
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        api_token = api_token_get(name=name, target=target)
        token = f"API token '{api_token.name}' ({api_token.prefix}…) of {target.label}"
        self.change(
            lambda: token_services.api_token_revoke(api_token=api_token, actor=None), dry_run=dry_run, yes=yes,
            ask=f"Revoke {token}? Whatever uses it loses access.",
            would=f"Would revoke {token}.", done=f"Revoked API token '{api_token.name}' of {target.label}.",
        )
