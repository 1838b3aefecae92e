from django.core.management.base import CommandError

from envmanager.management import cli, utils
from envmanager.services import rotation


class Command(cli.EnvManagerCommand):
    help = (
        "Re-encrypt every stored secret under the newest key of ENVMANAGER_ENCRYPTION_KEYS.\n"
        "Put the new key first (keep the old ones after it), restart every envmanager process, then run\n"
        "this. Works in batches, one transaction each: if interrupted, run it again; finished rows are\n"
        "skipped. Once it reports success the old keys can be removed from the list."
    )
    example = """
        ENVMANAGER_ENCRYPTION_KEYS="$NEW_KEY,$OLD_KEY" manage.py rotate_encryption_keys --dry-run
        ENVMANAGER_ENCRYPTION_KEYS="$NEW_KEY,$OLD_KEY" manage.py rotate_encryption_keys --batch-size 200
    """

    def add_arguments(self, parser):
        parser.add_argument(
            "--batch-size", type=int, default=500, metavar="N",
            help="Rows per transaction (default 500).",
        )
        cli.add_dry_run_option(parser)

    def handle(self, *args, batch_size, dry_run, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        with self.progress("Checking secrets" if dry_run else "Re-encrypting secrets") as update:
            result = rotation.encryption_keys_rotate(
                batch_size=batch_size, dry_run=dry_run,
                on_progress=lambda progress: update(progress.rows_done, progress.rows_total),
            )
        counts = (
            f"{utils.plural(result.secrets_rotated, 'secret')} in {utils.plural(result.rows_changed, 'row')}; "
            f"{result.secrets_current} already current."
        )
        self.report(dry_run=dry_run, would=f"Would re-encrypt {counts}", done=f"Re-encrypted {counts}")
