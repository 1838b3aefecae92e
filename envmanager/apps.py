from django.apps import AppConfig


class EnvmanagerConfig(AppConfig):
    name = "envmanager"
    verbose_name = "Environment Manager"

    def ready(self):
        # accounts signs people in and knows nothing of Workspaces; the role claim's memberships are ours.
        from accounts.sso import sso_signed_in
        from envmanager import checks  # noqa: F401  (registers the squashed-migrations check)
        from envmanager.services.sso_roles import on_sso_signed_in

        sso_signed_in.connect(on_sso_signed_in, dispatch_uid="envmanager-sso-memberships")
