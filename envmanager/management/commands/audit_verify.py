from django.core.management.base import CommandError

from envmanager.management import cli, utils
from envmanager.selectors.workspaces import workspace_by_name
from envmanager.services.audit_chain import verify_chains


class Command(cli.EnvManagerCommand):
    help = (
        "Check the audit log's hash chains (one per Workspace, plus one for entries without a Workspace):\n"
        "every entry must match its SHA-256 and follow the entry before it. Exits 1 naming the first entry\n"
        "that does not match: a row edited or deleted in the database. See docs/audit.md."
    )
    example = """
        manage.py audit_verify
        manage.py audit_verify --workspace 'Data Platform'
    """

    def add_arguments(self, parser):
        parser.add_argument(
            "--workspace", metavar="NAME", help="Only this Workspace's chain (default: every chain, deleted Workspaces' too)."
        )

    def handle(self, *args, workspace, **options):
        chains = None
        if workspace is not None:
            chains = [workspace_by_name(workspace).pk]
        result = verify_chains(chains=chains)
        if not result.ok:
            problem = result.problem
            where = f"chain {problem.chain}" + (f", position {problem.position}" if problem.position else "")
            raise CommandError(f"Audit log does not verify ({where}): {problem.message}.")
        self.success(
            f"Audit log verified: {result.entries} {'entry' if result.entries == 1 else 'entries'} in "
            f"{utils.plural(result.chains, 'chain')}, every hash matches."
        )
