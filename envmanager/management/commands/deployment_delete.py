from envmanager.management import cli, utils
from envmanager.selectors.target_deletion import target_deletion_plan
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services.target_deletion import target_delete


class Command(cli.EnvManagerCommand):
    """Also the base of `ide_project_delete`, which names its target with --ide-project."""

    help = (
        "Delete a Deployment with its own objects, its links and overrides, its API tokens and its\n"
        "migration runs; Workspace objects stay. Lists what goes and asks for confirmation (--yes skips it)."
    )
    example = """
        manage.py deployment_delete --workspace 'Data Platform' --deployment staging --dry-run
        manage.py deployment_delete --workspace 'Data Platform' --deployment staging --yes
    """
    target_option, target_noun = "--deployment", "Deployment"

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument(self.target_option, required=True, metavar="NAME", help=f"The {self.target_noun} to delete.")
        cli.add_yes_option(parser)
        cli.add_dry_run_option(parser)

    def handle(self, *args, workspace, yes, dry_run, **options):
        workspace = workspace_by_name(workspace)
        target = cli.target(workspace, options)
        plan = target_deletion_plan(target=target)
        for line in plan_lines(plan):
            self.stdout.write(line)
        self.change(
            lambda: target_delete(target=target, actor=None), dry_run=dry_run, yes=yes,
            ask=f"Delete {plan.label} of Workspace '{workspace.name}'?",
            would=f"Would delete {plan.label}.", done=f"Deleted {plan.label} of Workspace '{workspace.name}'.",
        )


def plan_lines(plan) -> list[str]:
    """Return what goes with the target, one line per part, as the confirmation dialog lists it."""
    lines = [f"Deleting {plan.label} removes:"]
    if plan.target_kind.is_deployment:
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
    if plan.target_kind.is_deployment:
        lines.append(f"  migration runs: {plan.migration_runs}")
    lines.append("Workspace objects stay.")
    return lines
