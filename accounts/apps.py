from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Sign-in"

    def ready(self):
        from accounts import checks  # noqa: F401  (registers the single sign-on settings check)
