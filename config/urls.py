from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("envmanager.api.urls")),
    path("", include("envmanager.urls")),
]

handler400 = "envmanager.views.errors.bad_request"
handler403 = "envmanager.views.errors.permission_denied"
handler404 = "envmanager.views.errors.page_not_found"
handler500 = "envmanager.views.errors.server_error"
