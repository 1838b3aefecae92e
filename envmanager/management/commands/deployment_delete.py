from envmanager.management import cli, utils
from envmanager.selectors.target_deletion import deployment_deletion_plan
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name
from envmanager.services.target_deletion import deployment_delete


class Command(cli.EnvManagerCommand):
    help = (
        "Delete a Deployment with its own objects, its links and overrides, its API tokens and its\n"
        "migration runs; Workspace objects stay. Lists what goes and asks for confirmation (--yes skips it)."
    )
    example = """
        manage.py deployment_delete --workspace 'Data Platform' --deployment staging --dry-run
        manage.py deployment_delete --workspace 'Data Platform' --deployment staging --yes
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", required=True, metavar="NAME", help="The Deployment to delete.")
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, deployment, yes, dry_run, **options):
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment)
        run_deletion(
            self, workspace=workspace, plan=deployment_deletion_plan(deployment=deployment),
            delete=lambda: deployment_delete(deployment=deployment, actor=None), yes=yes, dry_run=dry_run,
        )


def run_deletion(command: cli.EnvManagerCommand, *, workspace, plan, delete, yes: bool, dry_run: bool) -> None:
    """List what goes, ask (unless --yes or --dry-run), delete in one transaction, say what happened."""
    for line in plan_lines(plan):
        command.stdout.write(line)
    if not dry_run:
        command.confirm(f"Delete {plan.label} of Workspace '{workspace.name}'?", yes=yes)
    with utils.changes(dry_run=dry_run):
        delete()
    if dry_run:
        command.stdout.write(f"Would delete {plan.label}.")
        command.dry_run_note()
        return
    command.success(f"Deleted {plan.label} of Workspace '{workspace.name}'.")


def plan_lines(plan) -> list[str]:
    """Return what goes with the target, one line per part, as the confirmation dialog lists it."""
    lines = [f"Deleting {plan.label} removes:"]
    if plan.target_type == "deployment":
        counts = plan.env_object_counts()
        own = ", ".join(f"{count} {label}" for label, count in counts.items()) or "none"
        lines.append(f"  its own objects: {own}")
        lines.extend(f"    {item.kind_label} '{item.key}'" for item in plan.env_objects)
    lines.append(
        f"  links from Workspace objects: {len(plan.links)} ({utils.plural(plan.overrides, 'override')})"
    )
    lines.extend(
        f"    {link.kind_label} '{link.key}'"
        + (" (excluded)" if link.excluded else " (with override)" if link.has_override else "")
        for link in plan.links
    )
    lines.append(f"  API tokens: {len(plan.api_tokens)}")
    lines.extend(
        f"    {token.name} ({token.prefix}…{'' if token.is_active else ', revoked'})" for token in plan.api_tokens
    )
    if plan.target_type == "deployment":
        lines.append(f"  migration runs: {plan.migration_runs}")
    lines.append("Workspace objects stay.")
    return lines
