"""What the data migrations that grant a Deployment permission to one role share (0005, 0013).

Not a migration: Django's migration loader skips modules whose names start with "_". It uses
historical models only (`apps.get_model`), so each migration keeps doing what it did when it was
written. Applied migrations call it: never change what it does; write a new function instead.
"""


def grant_deployment_permission(apps, *, codename: str, name: str, role: str, role_group_app: str) -> None:
    """Give `role`'s group of each Workspace permission `codename` on every Deployment of that Workspace.

    `role_group_app` is the app that held `WorkspaceRoleGroup` at the migration's point in history
    ("accounts" before envmanager 0009, "envmanager" after).
    """
    Deployment = apps.get_model("envmanager", "Deployment")
    if not Deployment.objects.exists():
        return  # a new database: role groups get the permission when Deployments are made
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    WorkspaceRoleGroup = apps.get_model(role_group_app, "WorkspaceRoleGroup")
    DeploymentGroupObjectPermission = apps.get_model("envmanager", "DeploymentGroupObjectPermission")
    content_type, _ = ContentType.objects.get_or_create(app_label="envmanager", model="deployment")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    for role_group in WorkspaceRoleGroup.objects.filter(role=role):
        for deployment in Deployment.objects.filter(workspace_id=role_group.workspace_id):
            DeploymentGroupObjectPermission.objects.get_or_create(
                group_id=role_group.group_id, permission=permission, content_object=deployment
            )
