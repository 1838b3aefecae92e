from envmanager.management import cli
from envmanager.selectors.versions import object_history_by_key
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "List the versions of one environment object, oldest first: one line per version with its number,\n"
        "when, who and the fields it changed. Works for a deleted object too (kept 30 days). Secret values\n"
        "are never shown."
    )
    example = """
        manage.py env_history --type connection --key warehouse
        manage.py env_history --type variable --key batch_size --deployment prod
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser)

    def handle(self, *args, workspace, deployment, key, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        versions = object_history_by_key(
            workspace_id=workspace.pk, kind=kind, key=key, deployment_id=deployment.pk if deployment else None
        )
        for version in versions.order_by("number").iterator():
            fields = ", ".join(version.changed_fields) or f"({version.get_change_display().lower()})"
            when = version.created_at.strftime("%Y-%m-%d %H:%M:%S")
            self.stdout.write(f"{version.number}  {when}  {version.actor_name}  {fields}")
