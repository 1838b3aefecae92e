"""Admin for memberships and role groups; changes go through `envmanager.services.members`.

A Workspace role comes from membership of one of its role groups, so those groups are read-only
here and in the auth admin: adding a user to one by hand would grant a role with no Membership and
no audit entry.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group

from envmanager.admin.base import ReadOnlyModelAdmin, ServiceModelAdmin, ServiceModelForm
from envmanager.models import Membership, Role, Workspace, WorkspaceRoleGroup
from envmanager.services import members as membership_services

User = get_user_model()


class MembershipForm(ServiceModelForm):
    role = forms.ChoiceField(label="Role", choices=Role.choices)

    class Meta:
        model = Membership
        fields = ()

    def save_through_service(self):
        if self.instance.pk is None:
            workspace, user = self.cleaned_data["workspace"], self.cleaned_data["user"]
        elif not self.has_changed():
            return None
        else:
            workspace, user = self.instance.workspace, self.instance.user
        return membership_services.membership_set(
            workspace=workspace, user=user, role=self.cleaned_data["role"], actor=self.actor
        )


class MembershipAddForm(MembershipForm):
    workspace = forms.ModelChoiceField(Workspace.objects.all(), label="Workspace")
    user = forms.ModelChoiceField(
        User.objects.order_by(User.USERNAME_FIELD), label="User",
        help_text="If the user is already a member, their role is changed.",
    )

    field_order = ["workspace", "user", "role"]


class MembershipChangeForm(MembershipForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = self.instance.role


@admin.register(Membership)
class MembershipAdmin(ServiceModelAdmin):
    """Added and changed with `membership_set`, deleted with `membership_remove`."""

    list_display = ["user", "workspace", "role", "created_at"]
    list_filter = ["role", "workspace"]
    list_select_related = ["user", "workspace"]
    search_fields = ["user__username", "workspace__name"]
    readonly_fields = ["workspace", "user", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "workspace")

    def get_fields(self, request, obj=None):
        return ["workspace", "user", "role"] if obj is None else ["workspace", "user", "role", "created_at"]

    def service_form(self, request, obj):
        return MembershipAddForm if obj is None else MembershipChangeForm

    def delete_through_service(self, obj, actor):
        membership_services.membership_remove(workspace=obj.workspace, user=obj.user, actor=actor)


@admin.register(WorkspaceRoleGroup)
class WorkspaceRoleGroupAdmin(ReadOnlyModelAdmin):
    list_display = ["workspace", "role", "group"]
    list_filter = ["role", "workspace"]
    list_select_related = ["workspace", "group"]


def _is_role_group(group: Group | None) -> bool:
    return group is not None and WorkspaceRoleGroup.objects.filter(group=group).exists()


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Django's group admin, with the Workspace role groups read-only (they change with roles)."""

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _is_role_group(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _is_role_group(obj)


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin; groups are shown, not edited (Workspace roles are Memberships)."""

    readonly_fields = ["groups"]
