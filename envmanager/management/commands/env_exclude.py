from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services import links as link_services
from envmanager.services.audit import env_object_label


class Command(cli.EnvManagerCommand):
    help = (
        "Keep one Deployment from receiving a Workspace object that is linked to all Deployments.\n"
        "Undo with env_include."
    )
    example = "manage.py env_exclude --type env --key LOG_LEVEL --deployment prod"
    deployment_help = "The Deployment to leave out."
    # env_include shares everything else and swaps these three.
    service = staticmethod(link_services.link_exclude)
    would = "Would exclude Deployment '{deployment}' from {target}."
    done = "Deployment '{deployment}' no longer receives {target}."

    def add_arguments(self, parser):
        cli.add_object_options(parser, scope_option=False)
        parser.add_argument("--deployment", required=True, metavar="NAME", help=self.deployment_help)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, key, deployment, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key)
        with utils.changes(dry_run=dry_run):
            self.service(env_object=env_object, actor=None, target=deployment)
        names = {"deployment": deployment.name, "target": env_object_label(env_object)}
        self.report(dry_run=dry_run, would=self.would.format(**names), done=self.done.format(**names))
