"""The forms of the team administration pages: names, members and roles."""

from django import forms

from envmanager.models import Role
from envmanager.models.workspace import NAME_MAX_LENGTH


class NameForm(forms.Form):
    """A Workspace's or an IDE project's name; the service trims and checks it."""

    name = forms.CharField(max_length=NAME_MAX_LENGTH)


class MemberAddForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberInviteForm(forms.Form):
    username = forms.CharField(label="New username", max_length=150)
    email = forms.EmailField(label="Email (optional)", required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
