from django.core.management.base import CommandError

from accounts.signin import sign_in_unlock
from envmanager.management import cli, utils


class Command(cli.EnvManagerCommand):
    help = (
        "Lift a sign-in lock-out (too many failed passwords) of a username, an address, or both.\n"
        "The lock-out also ends by itself after ENVMANAGER_LOGIN_LOCKOUT_MINUTES."
    )
    example = """
        manage.py user_unlock --username alice
        manage.py user_unlock --ip 203.0.113.7
    """

    def add_arguments(self, parser):
        parser.add_argument("--username", metavar="NAME", help="The username that was locked out.")
        parser.add_argument("--ip", dest="ip_address", metavar="ADDRESS", help="The client address that was locked out.")
        cli.add_dry_run_option(parser)

    def handle(self, *args, username, ip_address, dry_run, **options):
        if not (username or ip_address):
            raise CommandError("Name the --username or the --ip to unlock (or both).")
        with utils.changes(dry_run=dry_run):
            count = sign_in_unlock(username=username, ip_address=ip_address)
        what = " and ".join(part for part in (username and f"user '{username}'", ip_address and f"address {ip_address}") if part)
        if dry_run:
            self.stdout.write(f"Would unlock {what}: {utils.plural(count, 'failed attempt')} recorded.")
            self.dry_run_note()
        elif count:
            self.success(f"Unlocked {what}: forgot {utils.plural(count, 'failed attempt')}.")
        else:
            self.stdout.write(f"Nothing to unlock: no failed sign-ins recorded for {what}.")
