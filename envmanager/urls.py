from django.urls import path

from envmanager import views
from envmanager.urls_delivery import urlpatterns as delivery_urlpatterns

app_name = "envmanager"

urlpatterns = [
    path("", views.home, name="home"),
    *delivery_urlpatterns,
]
