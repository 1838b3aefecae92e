from envmanager.management import cli
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.version_restore import env_object_restore


class Command(cli.EnvManagerCommand):
    help = (
        "Restore a deleted environment object (deleted in the last 30 days), with its links and overrides\n"
        "whose Deployments and IDE projects still exist. Refused if an object with that key exists again."
    )
    example = """
        manage.py env_restore --type connection --key warehouse
        manage.py env_restore --type variable --key batch_size --deployment prod --dry-run
    """

    def add_arguments(self, parser):
        cli.add_object_options(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, deployment, key, dry_run, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        label = f"{kind.label} '{key}'"
        restored = self.change(
            lambda: env_object_restore(workspace=workspace, kind=kind, key=key, deployment=deployment, actor=None),
            dry_run=dry_run, would=f"Would restore {label}.", done=f"Restored {label}.",
        )
        links = f"{restored.links} link{'s' if restored.links != 1 else ''} ({restored.overrides} with an override)"
        self.stdout.write(f"{'Would bring' if dry_run else 'Brought'} back {links}.")
        if restored.skipped:
            self.stderr.write(f"Left out {len(restored.skipped)} link(s): their Deployment or IDE project was deleted.")
