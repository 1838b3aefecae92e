from envmanager.management import cli
from envmanager.models.versions import RESTORE_DAYS
from envmanager.services.version_restore import deleted_objects_purge


class Command(cli.EnvManagerCommand):
    help = (
        f"Remove the history of objects deleted more than {RESTORE_DAYS} days ago: they can no longer be\n"
        "restored anyway (Recently deleted lists only the last 30 days). Meant for a daily cron job."
    )
    example = """
        manage.py env_purge_deleted --dry-run
        manage.py env_purge_deleted
    """

    def add_arguments(self, parser):
        cli.add_dry_run_option(parser)

    def handle(self, *args, dry_run, **options):
        count = deleted_objects_purge(dry_run=dry_run)
        self.report(
            dry_run=dry_run, would=f"Would purge the history of {count} deleted object(s).",
            done=f"Purged the history of {count} deleted object(s).",
        )
