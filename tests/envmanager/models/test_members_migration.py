"""Memberships moved from the accounts app to envmanager without touching their tables."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.migrations import migrate_to

BEFORE = [("accounts", "0002_initial"), ("envmanager", "0008_connection_extra_as_text")]


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_old_layout_keeps_its_memberships():
    old = migrate_to(BEFORE)
    try:
        User = old.get_model("auth", "User")
        Group = old.get_model("auth", "Group")
        ContentType = old.get_model("contenttypes", "ContentType")
        workspace = old.get_model("envmanager", "Workspace").objects.create(name="moved")
        user = User.objects.create(username="kept")
        group = Group.objects.create(name="workspace:moved:owner")
        old.get_model("accounts", "WorkspaceRoleGroup").objects.create(workspace=workspace, role="owner", group=group)
        old.get_model("accounts", "Membership").objects.create(workspace=workspace, user=user, role="owner")
        ContentType.objects.filter(app_label="envmanager", model="membership").delete()
        content_type = ContentType.objects.update_or_create(app_label="accounts", model="membership")[0]
    finally:
        leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
        new = migrate_to(leaves)

    membership = new.get_model("envmanager", "Membership").objects.get()
    assert (membership.workspace.name, membership.user.username, membership.role) == ("moved", "kept", "owner")
    role_group = new.get_model("envmanager", "WorkspaceRoleGroup").objects.get()
    assert (role_group.group.name, role_group.role) == ("workspace:moved:owner", "owner")
    content_type = new.get_model("contenttypes", "ContentType").objects.get(pk=content_type.pk)
    assert (content_type.app_label, content_type.model) == ("envmanager", "membership")
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert {"accounts_membership", "accounts_workspacerolegroup"} <= set(tables)
