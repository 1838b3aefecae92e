from django.core.management.base import CommandError

from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = (
        "Stop making a Workspace object available to a Deployment or an IDE project (its overrides there\n"
        "are removed too), or to all Deployments (exclusions are dropped with it). Asks for confirmation.\n"
        "For an object linked to all Deployments, keep one Deployment out with env_exclude instead."
    )
    example = """
        manage.py env_unlink --type connection --key warehouse --deployment dev --yes
        manage.py env_unlink --type env --key LOG_LEVEL --all-deployments
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser, scope_option=False)
        cli.add_target_options(parser, all_deployments=True)
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, key, all_deployments, yes, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key)
        label = env_object_label(env_object)
        if all_deployments and not env_object.linked_to_all:
            raise CommandError(f"{label} is not linked to all Deployments; nothing to unlink.")
        target_label = "all Deployments" if all_deployments else target.label
        # Rehearse (rolled back) so that "not linked" is reported before the question, not after it.
        with utils.changes(dry_run=True):
            self._unlink(env_object, target)
        if dry_run:
            self.stdout.write(f"Would unlink {label} from {target_label}.")
            self.dry_run_note()
            return
        self.confirm(f"Unlink {label} from {target_label}? Its overrides and exclusions there go with it.", yes=yes)
        with utils.changes(dry_run=False):
            self._unlink(env_object, target)
        self.success(f"Unlinked {label} from {target_label}.")

    def _unlink(self, env_object, target) -> None:
        if target is None:  # --all-deployments
            link_services.env_object_set_linked_to_all(env_object=env_object, actor=None, linked_to_all=False)
        else:
            link_services.link_delete(env_object=env_object, actor=None, target=target)
