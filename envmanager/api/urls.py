from django.urls import include, path, re_path

from envmanager.api import views
from envmanager.kinds import Kind

app_name = "api"

urlpatterns = [
    path("environment", views.environment, name="environment"),
    # `path`: Django resolves the decoded path, so a key's %2F arrives as "/" (connection ids may hold
    # one). Keys come URL-encoded (UTF-8): %23 for '#', %25 for '%', %20 for a space.
    path("connections/<path:key>", views.entry_detail, {"kind": Kind.CONNECTION}, name="connection"),
    path("variables/<path:key>", views.entry_detail, {"kind": Kind.VARIABLE}, name="variable"),
    path("env/<path:key>", views.entry_detail, {"kind": Kind.ENV}, name="env"),
    path("metrics/<path:key>", views.entry_detail, {"kind": Kind.METRICS}, name="metrics"),
    path("openapi.json", views.openapi, name="openapi"),
    path("manage/", include("envmanager.api.manage.urls")),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
