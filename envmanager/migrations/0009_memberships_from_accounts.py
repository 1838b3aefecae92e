"""Membership and WorkspaceRoleGroup move here from the accounts app, keeping their tables.

State only (`SeparateDatabaseAndState`): the models take over the tables `accounts_membership` and
`accounts_workspacerolegroup` with their rows, constraints and indexes. The content types are renamed
too, so the admin's history and any permission rows on them follow the models.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ("membership", "workspacerolegroup")


def content_types_follow(apps, schema_editor, *, old, new):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    for model in MOVED:
        if not ContentType.objects.using(db).filter(app_label=new, model=model).exists():
            ContentType.objects.using(db).filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    content_types_follow(apps, schema_editor, old="accounts", new="envmanager")


def backwards(apps, schema_editor):
    content_types_follow(apps, schema_editor, old="envmanager", new="accounts")


ROLE_CHOICES = [("owner", "Owner"), ("operator", "Operator"), ("author", "Author"), ("member", "Member")]


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_memberships_to_envmanager"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("envmanager", "0008_connection_extra_as_text"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Membership",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=ROLE_CHOICES, max_length=20)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
                        ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to="envmanager.workspace")),
                    ],
                    options={
                        "db_table": "accounts_membership",
                        "ordering": ["workspace_id", "user_id"],
                        "constraints": [
                            models.UniqueConstraint(fields=("workspace", "user"), name="membership_one_per_user_and_workspace"),
                            models.CheckConstraint(condition=models.Q(("role__in", ["owner", "operator", "author", "member"])), name="membership_role_valid"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="WorkspaceRoleGroup",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("role", models.CharField(choices=ROLE_CHOICES, max_length=20)),
                        ("group", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name="workspace_role", to="auth.group")),
                        ("workspace", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="role_groups", to="envmanager.workspace")),
                    ],
                    options={
                        "db_table": "accounts_workspacerolegroup",
                        "constraints": [
                            models.UniqueConstraint(fields=("workspace", "role"), name="rolegroup_one_per_workspace_and_role"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
