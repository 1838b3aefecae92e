from envmanager.management.tokens import TokenRevokeCommand, UserTokens
from envmanager.selectors.personal_tokens import personal_token_get
from envmanager.services import personal_tokens as pat_services


class Command(UserTokens, TokenRevokeCommand):
    help = (
        "Revoke a user's personal access token, by name. From the next request on, the management API\n"
        "refuses it (401)."
    )
    example = """
        manage.py pat_revoke --username alice --name ci-pipeline
        manage.py pat_revoke --username alice --name terraform --yes
    """
    username_help = "The user who owns the token."

    def token_get(self, user, *, name):
        return personal_token_get(user=user, name=name)

    def revoke(self, token):
        pat_services.personal_token_revoke(token=token, actor=None)

    def revoke_messages(self, user, token):
        owned = f"the {token.label} of user '{user.get_username()}'"
        return (
            f"Revoke {owned}? Whatever uses it loses access.", f"Would revoke the {token.label}.", f"Revoked {owned}."
        )
