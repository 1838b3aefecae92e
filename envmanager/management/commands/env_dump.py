from envmanager.gitops_yaml import to_yaml
from envmanager.management import cli
from envmanager.selectors.declarative import workspace_document
from envmanager.selectors.workspaces import workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "Write a Workspace's objects, links, link-to-all, exclusions and overrides as YAML (docs/gitops.md,\n"
        "version 1), for a Git repository and `env_apply`. Secret values are never written: a secret field\n"
        "is left out, which `env_apply` reads as \"keep the stored value\"."
    )
    example = """
        manage.py env_dump --workspace 'Data Platform' --output workspace.yaml
        manage.py env_dump --workspace 'Data Platform' | less
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--output", metavar="FILE", help="Write to FILE instead of standard output.")

    def handle(self, *args, workspace, output, **options):
        workspace = workspace_by_name(workspace)
        text = to_yaml(workspace_document(workspace=workspace))
        if not output:
            self.stdout.write(text, ending="")
            return
        with open(output, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        self.stderr.write(f"Wrote Workspace '{workspace.name}' to {output}.")
