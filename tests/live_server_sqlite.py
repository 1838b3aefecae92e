"""The live server, one request at a time where its threads share one SQLite connection.

On SQLite the test database is in memory, so pytest-django hands the live server the test's own
connection and every request thread uses it. An sqlite3 connection is not safe for concurrent use: two
requests at once (a page and the fragment it loads with htmx) can fail with "bad parameter or other API
misuse". Requests keep their threads (and kept-alive connections); only the application runs one at a time.
On PostgreSQL each thread has its own connection and nothing changes.
"""

import threading

from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread


class SerializedOnSharedConnection(ThreadedWSGIServer):
    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)
        self.request_lock = lock = threading.Lock()

        def one_at_a_time(environ, start_response):
            with lock:
                response = application(environ, start_response)
                try:
                    return list(response)  # the body is made while the connection is held
                finally:
                    if hasattr(response, "close"):
                        response.close()  # request_finished: Django's end-of-request work, still inside

        return super().set_app(one_at_a_time)


def install() -> None:
    LiveServerThread.server_class = SerializedOnSharedConnection
