"""The live server runs one request at a time where its threads share the test's SQLite connection."""

from django.test.testcases import LiveServerThread

from tests.live_server_sqlite import SerializedOnSharedConnection


class _Closing(list):
    closed = False

    def close(self):
        self.closed = True


def _server(connections_override):
    server = SerializedOnSharedConnection(("127.0.0.1", 0), None, connections_override=connections_override)
    server.server_close()  # only its application is used here
    return server


def test_the_live_server_uses_it():
    assert LiveServerThread.server_class is SerializedOnSharedConnection


def test_on_a_shared_connection_the_application_runs_under_the_lock_and_its_response_is_closed_there():
    server, seen, response = _server({"default": object()}), [], _Closing([b"body"])

    def application(environ, start_response):
        seen.append(server.request_lock.locked())
        return response

    server.set_app(application)
    assert server.get_app()({}, None) == [b"body"]
    assert seen == [True] and response.closed and not server.request_lock.locked()


def test_without_a_shared_connection_the_application_is_left_as_it_is():
    server = _server({})

    def application(environ, start_response):
        return []

    server.set_app(application)
    assert server.get_app() is application
