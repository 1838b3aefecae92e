from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from envmanager.management import cli
from envmanager.models import Membership
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import members as member_services


class Command(cli.EnvManagerCommand):
    help = "Remove a user from a Workspace; they lose every permission there at once. Asks for confirmation."
    example = "manage.py member_remove --workspace 'Data Platform' --username alice --yes"

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_username_option(parser)
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, username, yes, dry_run, **options):
        workspace = workspace_by_name(workspace)
        user = get_user_model().objects.filter(username=username).first()
        membership = Membership.objects.filter(workspace=workspace, user=user).first() if user else None
        if membership is None:
            raise CommandError(f"User '{username}' is not a member of Workspace '{workspace.name}'.")
        what = f"user '{username}' ({membership.get_role_display()}) from Workspace '{workspace.name}'"
        self.change(
            lambda: member_services.membership_remove(workspace=workspace, user=user, actor=None),
            dry_run=dry_run, yes=yes, ask=f"Remove {what}?", would=f"Would remove {what}.", done=f"Removed {what}.",
        )
