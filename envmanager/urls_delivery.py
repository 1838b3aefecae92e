"""Browser pages for delivery: API tokens and exports (issue: delivery to Airflow)."""

urlpatterns = []
