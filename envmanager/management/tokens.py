"""The base of the commands that create and revoke tokens: `token_create` / `token_revoke` (an API token
of a Deployment or IDE project) and `pat_create` / `pat_revoke` (a user's personal access token).

Whoever owns the token, the commands take the same steps (docs/cli.md): the owner's options, then
`--name`; creating prints the token once, alone on the last line of standard output, and only its hash
is stored; revoking asks first. A command is a create or revoke base with the owner's mixin
(`TargetTokens`, `UserTokens`), and says which service to call and what to say.
"""

from envmanager.management import cli
from envmanager.selectors.members import user_by_username
from envmanager.selectors.workspaces import workspace_by_name


class TokenCommand(cli.EnvManagerCommand):
    """Options `<owner options> --name NAME [<token options>] --dry-run`, in that order in --help."""

    name_help = ""  # the help text of --name

    def add_owner_arguments(self, parser) -> None:
        """Add the options that name whose token it is."""
        raise NotImplementedError

    def add_token_arguments(self, parser) -> None:
        """Add the options that come after --name (none unless a command has some)."""

    def add_arguments(self, parser):
        self.add_owner_arguments(parser)
        parser.add_argument("--name", required=True, metavar="NAME", help=self.name_help)
        self.add_token_arguments(parser)
        cli.add_dry_run_option(parser)

    def owner(self, options: dict):
        """Return whose token it is (a user, a Target) from the options; ValidationError for an unknown name."""
        raise NotImplementedError


class TokenCreateCommand(TokenCommand):
    """Create a token and print it once, alone on the last line (so `| tail -n 1` keeps just the token)."""

    def create(self, owner, *, name: str, options: dict):
        """Create the token with its service; return the issued token (`.plain` is its only copy)."""
        raise NotImplementedError

    def create_messages(self, owner, *, name: str) -> tuple[str, str]:
        """Return what a dry run says it would do and what a run says it did."""
        raise NotImplementedError

    def shown_once(self, issued) -> str:
        """Return the line printed before the token."""
        raise NotImplementedError

    def handle(self, *args, name, dry_run, **options):
        owner = self.owner(options)
        would, done = self.create_messages(owner, name=name)
        issued = self.change(
            lambda: self.create(owner, name=name, options=options), dry_run=dry_run, would=would, done=done
        )
        if dry_run:
            return
        self.stdout.write(self.shown_once(issued))
        self.stdout.write(issued.plain)


class TokenRevokeCommand(TokenCommand):
    """Revoke the owner's active token called --name, after asking (or with --yes)."""

    name_help = "The name of the active token to revoke."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        cli.add_yes_option(parser)

    def token_get(self, owner, *, name: str):
        """Return the owner's active token called `name`; ValidationError (naming the active ones) if none."""
        raise NotImplementedError

    def revoke(self, token) -> None:
        """Revoke `token` with its service."""
        raise NotImplementedError

    def revoke_messages(self, owner, token) -> tuple[str, str, str]:
        """Return the question asked before revoking, what a dry run says, and what a run says."""
        raise NotImplementedError

    def handle(self, *args, name, dry_run, yes, **options):
        owner = self.owner(options)
        token = self.token_get(owner, name=name)
        ask, would, done = self.revoke_messages(owner, token)
        self.change(lambda: self.revoke(token), dry_run=dry_run, yes=yes, ask=ask, would=would, done=done)


class TargetTokens:
    """The owner is a Deployment or IDE project: --workspace, then --deployment or --ide-project."""

    def add_owner_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_target_options(parser)

    def owner(self, options):
        return cli.target(workspace_by_name(options["workspace"]), options)


class UserTokens:
    """The owner is a user: --username."""

    username_help = ""

    def add_owner_arguments(self, parser):
        parser.add_argument("--username", required=True, metavar="USER", help=self.username_help)

    def owner(self, options):
        return user_by_username(options["username"])
