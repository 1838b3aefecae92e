from envmanager.management.tokens import TokenCreateCommand, UserTokens
from envmanager.services import personal_tokens as pat_services


class Command(UserTokens, TokenCreateCommand):
    help = (
        "Create a personal access token for a user: it calls the management API (/api/v1/manage/) with\n"
        "that user's roles at the time of each request. It is printed once, alone on the last line of\n"
        "standard output, and only its hash is stored: keep it now."
    )
    example = """
        manage.py pat_create --username alice --name ci-pipeline
        manage.py pat_create --username alice --name terraform --expires-days 30 | tail -n 1 > token.txt
    """
    username_help = "The user the token acts as."
    name_help = "A name for the token, unique among the user's active tokens."

    def add_token_arguments(self, parser):
        parser.add_argument(
            "--expires-days", type=int, default=pat_services.DEFAULT_EXPIRY_DAYS, metavar="DAYS",
            help=f"Days until the token expires (default {pat_services.DEFAULT_EXPIRY_DAYS}, "
            f"at most {pat_services.MAX_EXPIRY_DAYS}).",
        )

    def create(self, user, *, name, options):
        return pat_services.personal_token_create(user=user, name=name, expires_days=options["expires_days"])

    def create_messages(self, user, *, name):
        token = f"personal access token '{name}' for user '{user.get_username()}'"
        return f"Would create {token}.", f"Created {token}."

    def shown_once(self, issued):
        return f"It expires at {issued.api_token.expires_at:%Y-%m-%d %H:%M} UTC and is shown only now:"
