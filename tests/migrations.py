"""Moving the test database along the migration graph, for the tests of data migrations."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]):
    """Migrate the test database to `targets` ([(app, migration name)]); return the apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # what an earlier migrate_to ran is read again
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps

