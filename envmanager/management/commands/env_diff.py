import json

from django.core.management.base import CommandError

from envmanager.kinds import Kind
from envmanager.management import cli
from envmanager.selectors.compare import compare_targets
from envmanager.selectors.workspaces import deployment_by_name, ide_project_by_name, workspace_by_name


class Command(cli.EnvManagerCommand):
    help = (
        "Compare the effective environments of two Deployments or IDE projects of one Workspace: keys only in\n"
        "the first ('from'), keys only in the second ('to'), keys whose values differ (with the field names;\n"
        "secrets are compared by value but never shown) and how many are the same."
    )
    example = """
        manage.py env_diff --from-deployment staging --to-deployment prod
        manage.py env_diff --workspace 'Data Platform' --from-ide-project notebooks --to-deployment prod --format json
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        for side in ("from", "to"):
            group = parser.add_mutually_exclusive_group(required=True)
            group.add_argument(f"--{side}-deployment", metavar="NAME", help=f"The '{side}' Deployment.")
            group.add_argument(f"--{side}-ide-project", metavar="NAME", help=f"The '{side}' IDE project.")
        parser.add_argument("--type", metavar="TYPE", help="Only this type: connection, variable, env or metrics.")
        parser.add_argument(
            "--format", dest="output_format", choices=["text", "json"], default="text",
            help='text (default) or json: {"only_from": [...], "only_to": [...], "differs": [...], "same": N}.',
        )

    def _target(self, workspace, options, side):
        if options.get(f"{side}_deployment"):
            return deployment_by_name(workspace, options[f"{side}_deployment"])
        return ide_project_by_name(workspace, options[f"{side}_ide_project"])

    def handle(self, *args, workspace, output_format, **options):
        kind = cli.kind_from_options(options)
        workspace = workspace_by_name(workspace)
        source, target = self._target(workspace, options, "from"), self._target(workspace, options, "to")
        if type(source) is type(target) and source.pk == target.pk:
            raise CommandError("--from and --to name the same target; name two different ones.")
        comparison = compare_targets(source=source, target=target, kinds=(kind,) if kind else None)
        if output_format == "json":
            self.stdout.write(json.dumps(comparison.as_dict(), indent=2, ensure_ascii=False))
            return
        from_label, to_label = _label(source), _label(target)
        self.stdout.write(f"Comparing {from_label} with {to_label} in Workspace '{workspace.name}'.")
        sections = [
            (f"Only in {from_label}", [_ref(ref) for ref in comparison.only_from]),
            (f"Only in {to_label}", [_ref(ref) for ref in comparison.only_to]),
            ("Different values", [f"{_ref(item)}: {', '.join(item.fields)}" for item in comparison.differs]),
        ]
        for title, lines in sections:
            if lines:
                self.stdout.write("")
                self.stdout.write(f"{title} ({len(lines)}):")
                for line in lines:
                    self.stdout.write(f"  {line}")
        self.stdout.write("")
        self.stdout.write(f"Same: {comparison.same}.")
        if comparison.is_identical:
            self.success("The two effective environments are identical.")


def _label(target) -> str:
    return f"Deployment '{target.name}'" if target._meta.model_name == "deployment" else f"IDE project '{target.name}'"


def _ref(ref) -> str:
    return f"{Kind(ref.kind).label} '{ref.key}'"
