"""Give each Workspace's Operator role group `deployment.delete` on its Deployments (Owners had it already).

Operators manage Deployments (issue #16): they may now delete one. New Deployments get it from
`permissions.deployment_permissions_grant`.
"""

from django.db import migrations

from envmanager.migrations._permissions import grant_deployment_permission

CODENAME = "deployment_delete"


def grant_to_operators(apps, schema_editor):
    grant_deployment_permission(apps, codename=CODENAME, name="deployment.delete", role="operator", role_group_app="envmanager")


class Migration(migrations.Migration):
    dependencies = [
        ("envmanager", "0012_audit_chain"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_to_operators, migrations.RunPython.noop)]
