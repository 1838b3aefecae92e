"""Refuse request input no database can store, before any view sees it.

PostgreSQL rejects NUL characters in text (and envmanager keeps SQLite to the same rules), so a NUL in the
path, a query parameter or a posted form field could only end in a database error, an HTTP 500. Refused
here once, as 400 Bad Request (in the read API's JSON shape under /api/, see `views/errors.py`).
"""

from django.core.exceptions import BadRequest

NUL = "\x00"


def _has_nul(query_dict) -> bool:
    return any(NUL in key or any(NUL in value for value in values) for key, values in query_dict.lists())


class RejectUnstorableInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path or _has_nul(request.GET):
            raise BadRequest("The address contains a NUL character, which no value may contain.")
        if request.method == "POST" and _has_nul(request.POST):  # form-encoded and multipart bodies
            raise BadRequest("The form contains a NUL character, which no value may contain.")
        return self.get_response(request)
