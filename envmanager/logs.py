"""What envmanager's logs and debug pages show: no tracebacks for refusals, no secrets anywhere."""

import logging
import re

from django.views.debug import SafeExceptionReporterFilter

# Secrets sit in plain variables in many frames: services decrypt, the API reveals, the migration reads
# Airflow's rows (psycopg's and sqlite3's frames too), Django's form frames hold what was typed. So a debug
# page shows every frame's variable names, and values only of these types.
SHOWN_TYPES = (bool, int, float, type(None))


class ForbiddenOneLine(logging.Filter):
    """Log a 403 as one line: a refused permission is routine, its traceback is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


class SecretSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, and more: settings named like URLs or keys, every POST value, and every frame
    variable except numbers, booleans and None are shown as stars.

    `sensitive_variables` names the variables it knows about; this covers the ones nobody listed.
    """

    hidden_settings = re.compile(r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE|URL|FERNET", flags=re.IGNORECASE)

    def get_post_parameters(self, request):
        if request is None:
            return {}
        cleansed = request.POST.copy()
        for name in cleansed:
            cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [
            (name, value if isinstance(value, SHOWN_TYPES) or value == self.cleansed_substitute else self.cleansed_substitute)
            for name, value in variables
        ]
