"""The management API under /api/v1/manage/: change a Workspace with a personal access token (docs/api.md)."""
