"""Give each Workspace's Owner role group the new `deployment.metadataDatabase.update` on its Deployments.

Until now `deployment.update` also let Operators set a Deployment's metadata database URL and Fernet keys;
those now need the new permission, which only Owners hold. Operators keep `deployment.update`.
"""

from django.db import migrations

from envmanager.migrations._permissions import grant_deployment_permission

CODENAME = "deployment_metadatadb_update"


def grant_to_owners(apps, schema_editor):
    grant_deployment_permission(apps, codename=CODENAME, name="deployment.metadataDatabase.update", role="owner", role_group_app="accounts")


class Migration(migrations.Migration):
    dependencies = [
        ("envmanager", "0004_metadata_database_borders"),
        ("accounts", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant_to_owners, migrations.RunPython.noop)]
