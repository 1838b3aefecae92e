"""Django admin for envmanager: every write goes through a service, and secrets are write-only.

Importing the modules registers their ModelAdmins with the default admin site.
"""

from envmanager.admin import audit, env_objects, links, members, workspaces  # noqa: F401
