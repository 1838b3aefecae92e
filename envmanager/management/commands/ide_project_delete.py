from envmanager.management.commands import deployment_delete


class Command(deployment_delete.Command):
    help = (
        "Delete an IDE project with its links and overrides and its API tokens; Workspace objects stay.\n"
        "Lists what goes and asks for confirmation (--yes skips it)."
    )
    example = """
        manage.py ide_project_delete --workspace 'Data Platform' --ide-project notebooks --dry-run
        manage.py ide_project_delete --workspace 'Data Platform' --ide-project notebooks --yes
    """
    target_option, target_noun = "--ide-project", "IDE project"
