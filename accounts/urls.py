from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts.views import LoginView, SSOCallbackView, SSOStartView

app_name = "accounts"

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on (OpenID Connect); both answer 404 unless ENVMANAGER_OIDC_* are set. The callback's
    # address is fixed here: it is the redirect URI to register at the identity provider.
    path("sso/start/", SSOStartView.as_view(), name="sso-start"),
    path("sso/callback/", SSOCallbackView.as_view(), name="sso-callback"),
    # Every signed-in user, staff or not, changes their own password here (it asks for the old one).
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html", success_url=reverse_lazy("accounts:password-change-done")
        ),
        name="password-change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password-change-done",
    ),
]
