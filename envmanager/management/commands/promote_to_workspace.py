from envmanager.management import cli, utils
from envmanager.selectors.env_objects import env_object_get
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.audit import env_object_label
from envmanager.services.promotion import env_object_promote, env_object_promotion_plan


class Command(cli.EnvManagerCommand):
    help = (
        "Promote a Deployment's own object (any type) to the Workspace. It stays linked to that\n"
        "Deployment, whose values do not change. If the Workspace already has an object of that type\n"
        "and key, the Deployment's values become an override on it (only the fields that differ)."
    )
    example = """
        manage.py promote_to_workspace --deployment dev --type connection --key warehouse --dry-run
        manage.py promote_to_workspace --deployment dev --type env --key LOG_LEVEL --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment that owns the object.")
        parser.add_argument("--type", required=True, metavar="TYPE", help="connection, variable, env or metrics.")
        parser.add_argument("--key", required=True, metavar="KEY", help="The object's key.")
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, deployment, key, dry_run, yes, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment)
        env_object = env_object_get(workspace=workspace, kind=kind, key=key, deployment=deployment)
        plan = env_object_promotion_plan(env_object=env_object)
        self.stdout.write(plan.describe())
        if dry_run:
            self.dry_run_note()
            return
        self.confirm(f"Promote {env_object_label(env_object)} to the Workspace?", yes=yes)
        result = env_object_promote(env_object=env_object, actor=None)
        self.success(f"Promoted: {env_object_label(result)}, {utils.link_summary(result)}.")
