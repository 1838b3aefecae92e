"""Membership and WorkspaceRoleGroup now belong to the envmanager app (envmanager 0009).

Only Django's model state moves: the tables stay as they are, under their old names, so an existing
database keeps every row and no table is rebuilt.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Membership"),
                migrations.DeleteModel(name="WorkspaceRoleGroup"),
            ],
            database_operations=[],
        ),
    ]
