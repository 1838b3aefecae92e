"""Envmanager's access to Airflow metadata databases (no Airflow import, no Django models)."""
