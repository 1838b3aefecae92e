from django.contrib import admin

from accounts.models import SSOIdentity


@admin.register(SSOIdentity)
class SSOIdentityAdmin(admin.ModelAdmin):
    """Which provider account signs in as which user; deleting one lets the subject be joined afresh."""

    list_display = ("user", "subject", "issuer", "created_at")
    search_fields = ("user__username", "user__email", "subject")
    readonly_fields = ("user", "issuer", "subject", "created_at")

    def has_add_permission(self, request):
        return False  # made by signing in, never typed
