from envmanager.management import cli
from envmanager.selectors.versions import object_history_by_key, version_get, version_state_lines
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.version_restore import version_revert


class Command(cli.EnvManagerCommand):
    help = (
        "Revert one environment object to an earlier version: it holds exactly what that version held\n"
        "(secrets as they were stored). The revert is a new version and an audit entry. Asks for\n"
        "confirmation (--yes skips the question); refused with a reason if the object changed so that the\n"
        "version no longer fits (e.g. an override holds a secret the plain version would expose)."
    )
    example = """
        manage.py env_history --type connection --key warehouse
        manage.py env_revert --type connection --key warehouse --version 3 --dry-run
        manage.py env_revert --type variable --key batch_size --deployment prod --version 2 --yes
    """

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version N` is this command's contract (docs/cli.md); it replaces Django's own --version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        cli.add_object_options(parser)
        parser.add_argument(
            "--version", required=True, type=int, metavar="N", help="The version to go back to (see env_history)."
        )
        cli.add_dry_run_option(parser)
        cli.add_yes_option(parser)

    def handle(self, *args, workspace, deployment, key, version, dry_run, yes, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        versions = object_history_by_key(
            workspace_id=workspace.pk, kind=kind, key=key, deployment_id=deployment.pk if deployment else None
        )
        target = version_get(versions, version)
        label = f"{kind.label} '{key}'"
        self.stdout.write(f"Version {target.number} of {label} ({target.created_at:%Y-%m-%d %H:%M:%S}, {target.actor_name}):")
        for line in version_state_lines(target):
            self.stdout.write(f"  {line}")
        new = self.change(
            lambda: version_revert(version=target, actor=None), dry_run=dry_run, yes=yes,
            ask=f"Revert {label} to version {target.number}?",
            would=f"Would revert {label} to version {target.number}.",
            done=f"Reverted {label} to version {target.number}.",
        )
        if not dry_run:
            self.stdout.write(f"That is now version {new.number}.")
