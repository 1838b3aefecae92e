from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services import env_objects as env_object_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = (
        "Delete one environment object with its links and overrides. Says how many Deployments and\n"
        "IDE projects receive it, and asks for confirmation (--yes skips the question)."
    )
    example = """
        manage.py env_delete --type connection --key warehouse
        manage.py env_delete --type variable --key batch_size --deployment prod --yes
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser)
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, deployment, key, yes, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        env_object = env_object_get(workspace=workspace, kind=kind, key=key, deployment=deployment)
        label, links = env_object_label(env_object), utils.link_summary(env_object)
        if not dry_run:
            self.confirm(f"Delete {label}, {links}?", yes=yes)
        with utils.changes(dry_run=dry_run):
            env_object_services.env_object_delete(env_object=env_object, actor=None)
        self.report(dry_run=dry_run, would=f"Would delete {label}, {links}.", done=f"Deleted {label}; it was {links}.")
