"""Give each Workspace's Operator role group `deployment.delete` on its Deployments (Owners had it already).

Operators manage Deployments (issue #16): they may now delete one. New Deployments get it from
`permissions.deployment_permissions_grant`.
"""

from django.db import migrations

CODENAME = "deployment_delete"


def grant_to_operators(apps, schema_editor):
    Deployment = apps.get_model("envmanager", "Deployment")
    if not Deployment.objects.exists():
        return  # a new database: role groups get the permission when Deployments are made
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    WorkspaceRoleGroup = apps.get_model("envmanager", "WorkspaceRoleGroup")
    DeploymentGroupObjectPermission = apps.get_model("envmanager", "DeploymentGroupObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="envmanager", model="deployment")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "deployment.delete"}
    )
    for role_group in WorkspaceRoleGroup.objects.filter(role="operator"):
        for deployment in Deployment.objects.filter(workspace_id=role_group.workspace_id):
            DeploymentGroupObjectPermission.objects.get_or_create(
                group_id=role_group.group_id, permission=permission, content_object=deployment
            )


class Migration(migrations.Migration):
    dependencies = [
        ("envmanager", "0012_audit_chain"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_to_operators, migrations.RunPython.noop)]
