from envmanager.management.tokens import TargetTokens, TokenRevokeCommand
from envmanager.selectors.tokens import api_token_get
from envmanager.services import tokens as token_services


class Command(TargetTokens, TokenRevokeCommand):
    help = (
        "Revoke an API token of a Deployment (or IDE project), by name. From the next request on, the\n"
        "read API refuses it (401) and an Airflow using it falls back to its other secrets backends."
    )
    example = """
        manage.py token_revoke --deployment prod --name airflow-prod
        manage.py token_revoke --workspace 'Data Platform' --ide-project notebooks --name laptop --yes
    """

    def token_get(self, target, *, name):
        return api_token_get(name=name, target=target)

    def revoke(self, api_token):
        token_services.api_token_revoke(api_token=api_token, actor=None)

    def revoke_messages(self, target, api_token):
        token = f"API token '{api_token.name}' ({api_token.prefix}…) of {target.label}"
        return (
            f"Revoke {token}? Whatever uses it loses access.", f"Would revoke {token}.",
            f"Revoked API token '{api_token.name}' of {target.label}.",
        )
