"""Give each Workspace's Owner role group the new `deployment.metadataDatabase.update` on its Deployments.

Until now `deployment.update` also let Operators set a Deployment's metadata database URL and Fernet keys;
those now need the new permission, which only Owners hold. Operators keep `deployment.update`.
"""

from django.db import migrations

CODENAME = "deployment_metadatadb_update"


def grant_to_owners(apps, schema_editor):
    Deployment = apps.get_model("envmanager", "Deployment")
    if not Deployment.objects.exists():
        return  # a new database: role groups get the permission when they are made
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    WorkspaceRoleGroup = apps.get_model("accounts", "WorkspaceRoleGroup")
    DeploymentGroupObjectPermission = apps.get_model("envmanager", "DeploymentGroupObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="envmanager", model="deployment")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=CODENAME, defaults={"name": "deployment.metadataDatabase.update"}
    )
    for role_group in WorkspaceRoleGroup.objects.filter(role="owner"):
        for deployment in Deployment.objects.filter(workspace_id=role_group.workspace_id):
            DeploymentGroupObjectPermission.objects.get_or_create(
                group_id=role_group.group_id, permission=permission, content_object=deployment
            )


class Migration(migrations.Migration):
    dependencies = [
        ("envmanager", "0004_metadata_database_borders"),
        ("accounts", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_to_owners, migrations.RunPython.noop)]
