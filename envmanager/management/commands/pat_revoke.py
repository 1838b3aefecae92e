from envmanager.management import cli
from envmanager.management.commands.pat_create import user_by_username
from envmanager.selectors.personal_tokens import personal_token_get
from envmanager.services import personal_tokens as pat_services


class Command(cli.EnvManagerCommand):
    help = (
        "Revoke a user's personal access token, by name. From the next request on, the management API\n"
        "refuses it (401)."
    )
    example = """
        manage.py pat_revoke --username alice --name ci-pipeline
        manage.py pat_revoke --username alice --name terraform --yes
    """

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, metavar="USER", help="The user who owns the token.")
        parser.add_argument("--name", required=True, metavar="NAME", help="The name of the active token to revoke.")
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, username, name, dry_run, yes, **options):
        user = user_by_username(username)
        token = personal_token_get(user=user, name=name)
        self.change(
            lambda: pat_services.personal_token_revoke(token=token, actor=None), dry_run=dry_run, yes=yes,
            ask=f"Revoke the {token.label} of user '{username}'? Whatever uses it loses access.",
            would=f"Would revoke the {token.label}.", done=f"Revoked the {token.label} of user '{username}'.",
        )
