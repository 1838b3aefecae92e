"""The read API (`/api/v1/`): token-authenticated JSON for Airflow and other consumers."""
