from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from envmanager.permissions import visible_workspaces


@require_GET
@login_required
def home(request):
    """List the Workspaces the user belongs to."""
    workspaces = visible_workspaces(request.user)
    return render(request, "envmanager/home.html", {"workspaces": workspaces})
