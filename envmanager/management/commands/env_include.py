from envmanager.management import cli
from envmanager.selectors.env_objects import env_object_get
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = "Undo env_exclude: the Deployment receives the Workspace object linked to all Deployments again."
    example = "manage.py env_include --type env --key LOG_LEVEL --deployment prod"

    def add_arguments(self, parser):
        cli.add_object_options(parser, scope_option=False)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The excluded Deployment to include.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, key, deployment, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = cli.workspace_by_name(workspace)
        deployment = cli.deployment_by_name(workspace, deployment)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key)
        with cli.changes(dry_run=dry_run):
            link_services.deployment_include(env_object=env_object, actor=None, deployment=deployment)
        if dry_run:
            self.stdout.write(f"Would include Deployment '{deployment.name}' in {env_object_label(env_object)} again.")
            self.dry_run_note()
            return
        self.success(f"Deployment '{deployment.name}' receives {env_object_label(env_object)} again.")
