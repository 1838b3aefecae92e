import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
pages = get_wsgi_application()  # sets Django up

from envmanager.api.wsgi import ReadApiHandler, dispatching_application  # noqa: E402  (needs the setup above)

# The read API (Airflow's lookups and revalidations) runs with its own, shorter middleware list.
application = dispatching_application(pages, ReadApiHandler())
