from envmanager.kinds import Kind
from envmanager.management import cli, utils
from envmanager.models import EnvObject, Link
from envmanager.selectors.env_objects import env_object_identity, env_object_list
from envmanager.selectors.workspaces import deployment_by_name, workspace_by_name


def _link_order(link: Link) -> tuple[bool, str]:
    """Sort Deployments first, then IDE projects, each by name."""
    return (link.deployment_id is None, str(link.deployment or link.ide_project))


def link_text(env_object: EnvObject) -> str:
    """Return who receives a Workspace object, e.g. "all Deployments except prod; IDE project notebooks"."""
    links = sorted(env_object.links.all(), key=_link_order)
    parts = []
    if env_object.linked_to_all:
        excluded = [link.deployment.name for link in links if link.excluded]
        parts.append("all Deployments" + (f" except {', '.join(excluded)}" if excluded else ""))
    for link in links:
        if link.excluded:
            continue
        name = link.deployment.name if link.deployment_id else f"IDE project {link.ide_project.name}"
        if link.has_override:
            parts.append(f"{name} (override)")
        elif not (env_object.linked_to_all and link.deployment_id):  # already covered by "all Deployments"
            parts.append(name)
    return "; ".join(parts) or "not linked"


def object_as_dict(env_object: EnvObject) -> dict:
    """Return the JSON shape of one object and its links; secret values never appear."""
    return {
        "type": env_object.kind,
        **env_object_identity(env_object),
        "fields": {
            name: {
                "value": None if env_object.is_secret_field(name) else env_object.data.get(name),
                "secret": env_object.is_secret_field(name),
                "is_set": name in env_object.secrets or env_object.data.get(name) not in (None, ""),
            }
            for name in env_object.spec.field_names
        },
        "links": [
            {
                "deployment": link.deployment.name if link.deployment_id else None,
                "ide_project": link.ide_project.name if link.ide_project_id else None,
                "excluded": link.excluded,
                "overridden_fields": sorted({*link.override_data, *link.override_secrets}),
            }
            for link in env_object.links.all()
        ],
    }


class Command(cli.EnvManagerCommand):
    help = (
        "List the environment objects of a Workspace (or, with --deployment, of one Deployment's own\n"
        "scope) with where each is linked. Secret values are never shown."
    )
    example = """
        manage.py env_list --workspace 'Data Platform' --type connections
        manage.py env_list --deployment prod --format json
    """

    def add_arguments(self, parser):
        cli.add_workspace_option(parser)
        parser.add_argument("--deployment", metavar="NAME", help="List this Deployment's own objects instead.")
        parser.add_argument("--type", metavar="TYPE", help="Only this type: connection, variable, env or metrics.")
        cli.add_format_option(parser)

    def handle(self, *args, workspace, deployment, output_format, **options):
        kind = cli.kind_from_options(options)
        kinds = (kind,) if kind else None
        workspace = workspace_by_name(workspace)
        deployment = deployment_by_name(workspace, deployment) if deployment else None
        objects = env_object_list(workspace=workspace, deployment=deployment, kinds=kinds)
        for env_object in objects:
            env_object.deployment = deployment  # the scope is known: no query per object for labels
        if output_format == "json":
            self.write_json([object_as_dict(env_object) for env_object in objects])
            return
        scope = f"Deployment '{deployment.name}'" if deployment else f"Workspace '{workspace.name}'"
        self.stdout.write(f"{utils.plural(len(objects), 'object')} in {scope}.")
        if not objects:
            return
        rows = [
            [Kind(obj.kind).label, obj.key, "Deployment object" if deployment else link_text(obj)]
            for obj in objects
        ]
        for line in utils.table(["TYPE", "KEY", "LINKED TO"], rows):
            self.stdout.write(line)
