"""Read-only queries: they return data for views, commands and the API, and change nothing."""
