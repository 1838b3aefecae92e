from envmanager.management.tokens import TargetTokens, TokenCreateCommand
from envmanager.services import tokens as token_services


class Command(TargetTokens, TokenCreateCommand):
    help = (
        "Create an API token for one Deployment (or IDE project). The token reads that target's effective\n"
        "environment through the read API and the Airflow secrets backend. It is printed once, alone on\n"
        "the last line of standard output, and only its hash is stored: keep it now."
    )
    example = """
        manage.py token_create --deployment prod --name airflow-prod
        manage.py token_create --workspace 'Data Platform' --ide-project notebooks --name laptop | tail -n 1 > token.txt
    """
    name_help = "A name for the token, unique among the target's active tokens (e.g. where it is used)."

    def create(self, target, *, name, options):
        return token_services.api_token_create(actor=None, name=name, target=target)

    def create_messages(self, target, *, name):
        return (
            f"Would create API token '{name}' for {target.label}.",
            f"Created API token '{name}' for {target.label} in Workspace '{target.workspace.name}'.",
        )

    def shown_once(self, issued):
        return "It is shown only now; store it where Airflow reads it (e.g. a token_file):"
