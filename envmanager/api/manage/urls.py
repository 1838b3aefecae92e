from django.urls import path

from envmanager.api.manage import apply, links, objects, openapi, workspaces

W = "workspaces/<str:workspace>/"
# `path`: a key arrives decoded, so a connection id's %2F is a "/" (keys may hold one). The longer routes
# come first, so a key is never taken for "links/..." or "promote".
OBJ = W + "objects/<str:type>/<path:key>"

urlpatterns = [
    path("openapi.json", openapi.openapi, name="manage-openapi"),
    path("workspaces", workspaces.workspace_list, name="manage-workspaces"),
    path("workspaces/<str:workspace>", workspaces.workspace_detail, name="manage-workspace"),
    path(W + "deployments/<str:name>/environment", workspaces.deployment_environment, name="manage-environment"),
    path(W + "apply", apply.workspace_apply, name="manage-apply"),
    path(W + "objects", objects.object_collection, name="manage-objects"),
    path(OBJ + "/links/<str:targets>/<str:name>", links.object_link, name="manage-object-link"),
    path(OBJ + "/promote", objects.object_promote, name="manage-object-promote"),
    path(OBJ, objects.object_detail, name="manage-object"),
]
