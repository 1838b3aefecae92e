from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from envmanager.management import cli
from envmanager.services import personal_tokens as pat_services


def user_by_username(username: str):
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise ValidationError(f"No user named '{username}'.")
    return user


class Command(cli.EnvManagerCommand):
    help = (
        "Create a personal access token for a user: it calls the management API (/api/v1/manage/) with\n"
        "that user's roles at the time of each request. It is printed once, alone on the last line of\n"
        "standard output, and only its hash is stored: keep it now."
    )
    example = """
        manage.py pat_create --username alice --name ci-pipeline
        manage.py pat_create --username alice --name terraform --expires-days 30 | tail -n 1 > token.txt
    """

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, metavar="USER", help="The user the token acts as.")
        parser.add_argument(
            "--name", required=True, metavar="NAME", help="A name for the token, unique among the user's active tokens."
        )
        parser.add_argument(
            "--expires-days", type=int, default=pat_services.DEFAULT_EXPIRY_DAYS, metavar="DAYS",
            help=f"Days until the token expires (default {pat_services.DEFAULT_EXPIRY_DAYS}, "
            f"at most {pat_services.MAX_EXPIRY_DAYS}).",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, username, name, expires_days, dry_run, **options):
        user = user_by_username(username)
        issued = self.change(
            lambda: pat_services.personal_token_create(user=user, name=name, expires_days=expires_days),
            dry_run=dry_run, would=f"Would create personal access token '{name}' for user '{username}'.",
            done=f"Created personal access token '{name}' for user '{username}'.",
        )
        if dry_run:
            return
        self.stdout.write(f"It expires at {issued.api_token.expires_at:%Y-%m-%d %H:%M} UTC and is shown only now:")
        self.stdout.write(issued.plain)
