"""`manage.py migrate` (and `check --database default`) stops a database that is partway through squashed migrations.

0.1.0 squashed each app's development migrations into one (`replaces`). Django uses a squashed
migration only when all or none of what it replaces has run; in between it drops the squashed one from
its plan and, with the replaced files gone, `migrate` would do nothing for the app and say nothing.
This check names the way out instead (docs/upgrading.md).
"""

from django.core import checks
from django.db import connections
from django.db.migrations.loader import MigrationLoader

# The last commit that still has the replaced migrations, to bring such a database to their end.
LAST_COMMIT_WITH_REPLACED_MIGRATIONS = "67089e1"


def partly_applied_squashes(connection) -> list[tuple[str, str, list[str]]]:
    """(app, squashed migration, the replaced migrations not yet run) for each squash this database is partway through."""
    loader = MigrationLoader(connection, replace_migrations=False)
    applied = set(loader.applied_migrations)
    found = []
    for (app, name), migration in sorted(loader.disk_migrations.items()):
        replaced = migration.replaces or []
        missing = [f"{r_app} {r_name}" for r_app, r_name in replaced if (r_app, r_name) not in applied]
        if missing and len(missing) < len(replaced):
            found.append((app, name, missing))
    return found


@checks.register(checks.Tags.database)
def squashed_migrations_check(app_configs, databases=None, **kwargs):
    problems = []
    for alias in databases or []:
        for app, name, missing in partly_applied_squashes(connections[alias]):
            problems.append(checks.Error(
                f"Database {alias!r} ran only part of the migrations that {app} {name} replaces "
                f"({len(missing)} not run, the first: {missing[0]}); this version cannot migrate it.",
                hint=(
                    f"Migrate it with envmanager at commit {LAST_COMMIT_WITH_REPLACED_MIGRATIONS} "
                    "(`manage.py migrate`), then with this version: docs/upgrading.md."
                ),
                id="envmanager.E001",
            ))
    return problems
