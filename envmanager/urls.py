from django.urls import path

from envmanager import views

app_name = "envmanager"

urlpatterns = [
    path("", views.home, name="home"),
]
