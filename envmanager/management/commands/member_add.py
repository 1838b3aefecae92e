from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from envmanager.management import cli, utils
from envmanager.models import Membership, Role
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import members as member_services


class Command(cli.EnvManagerCommand):
    help = (
        "Give a user a role in a Workspace, or change the role they have.\n"
        "Roles: owner, operator, author, member. With --create-user a missing user is created with a\n"
        "generated password, printed once."
    )
    example = """
        manage.py member_add --workspace 'Data Platform' --username alice --role operator
        manage.py member_add --username bob --role author --create-user
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        cli.add_username_option(parser)
        parser.add_argument("--role", required=True, choices=Role.values, help="The user's role in the Workspace.")
        parser.add_argument(
            "--create-user", action="store_true",
            help="Create the user if missing, with a generated password printed once.",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, username, role, create_user, dry_run, **options):
        workspace = workspace_by_name(workspace)
        user = get_user_model().objects.filter(username=username).first()
        if user is None and not create_user:
            raise CommandError(
                f"No user named '{username}'; add --create-user to create one (its password is printed once)."
            )
        before = Membership.objects.filter(workspace=workspace, user=user).first() if user else None
        password = None
        with utils.changes(dry_run=dry_run):
            if user is None:
                password = utils.generate_password()
                user = member_services.user_create(username=username, password=password)
            member_services.membership_set(workspace=workspace, user=user, role=role, actor=None)
        self._report(workspace, username, role, before, password, dry_run)

    def _report(self, workspace, username, role, before, password, dry_run):
        """Say what changed; print a new user's password exactly once (never in a dry run)."""
        role_label, where = Role(role).label, f"Workspace '{workspace.name}'"
        if before is not None and before.role == role:
            self.stdout.write(f"User '{username}' is already {role_label} of {where}; nothing changed.")
            return
        was = before.get_role_display() if before else "not a member"
        if dry_run:
            created = f"create user '{username}' and " if password else ""
            self.stdout.write(f"Would {created}make '{username}' {role_label} of {where} (was: {was}).")
            self.dry_run_note()
            return
        if password:
            self.success(f"Created user '{username}'.")
            self.stdout.write(f"Password (shown once; change it after the first login): {password}")
        self.success(f"User '{username}' is now {role_label} of {where} (was: {was}).")
