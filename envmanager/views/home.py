from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from envmanager.permissions import may_create_workspace, visible_workspaces


@require_GET
@login_required
def home(request):
    """List the Workspaces the user belongs to."""
    workspaces = visible_workspaces(request.user)
    context = {"workspaces": workspaces, "can_create_workspace": may_create_workspace(request.user)}
    return render(request, "envmanager/home.html", context)
