from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = (
        "Make a Workspace object available to a Deployment or an IDE project, or to all Deployments\n"
        "(present and future; exclude single ones with env_exclude). Linking an excluded Deployment\n"
        "includes it again."
    )
    example = """
        manage.py env_link --type connection --key warehouse --deployment prod
        manage.py env_link --type env --key LOG_LEVEL --all-deployments
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser, scope_option=False)
        cli.add_target_options(parser, all_deployments=True)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, key, all_deployments, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key)
        with utils.changes(dry_run=dry_run):
            if all_deployments:
                link_services.env_object_set_linked_to_all(env_object=env_object, actor=None, linked_to_all=True)
            else:
                link_services.link_create(env_object=env_object, actor=None, target=target)
        target = "all Deployments, present and future" if all_deployments else target.label
        label = env_object_label(env_object)
        self.report(dry_run=dry_run, would=f"Would link {label} to {target}.", done=f"{label} is linked to {target}.")
