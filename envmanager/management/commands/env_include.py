from envmanager.management.commands import env_exclude
from envmanager.services import links as link_services


class Command(env_exclude.Command):
    help = "Undo env_exclude: the Deployment receives the Workspace object linked to all Deployments again."
    example = "manage.py env_include --type env --key LOG_LEVEL --deployment prod"
    deployment_help = "The excluded Deployment to include."
    service = staticmethod(link_services.link_include)
    would = "Would include Deployment '{deployment}' in {target} again."
    done = "Deployment '{deployment}' receives {target} again."
