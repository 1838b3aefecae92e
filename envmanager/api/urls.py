from django.urls import path, re_path

from envmanager.api import views

app_name = "api"

urlpatterns = [
    path("environment", views.environment, name="environment"),
    # `path`: Django resolves the decoded path, so a key's %2F arrives as "/" (connection ids may hold
    # one). Keys come URL-encoded (UTF-8): %23 for '#', %25 for '%', %20 for a space.
    path("connections/<path:conn_id>", views.connection_detail, name="connection"),
    path("variables/<path:key>", views.variable_detail, name="variable"),
    path("env/<path:name>", views.env_detail, name="env"),
    path("metrics/<path:key>", views.metrics_detail, name="metrics"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
