from django.urls import path, re_path

from envmanager.api import views

app_name = "api"

urlpatterns = [
    path("environment", views.environment, name="environment"),
    path("connections/<str:conn_id>", views.connection_detail, name="connection"),
    path("variables/<str:key>", views.variable_detail, name="variable"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
