"""Running calls at the same moment in threads, as two people (or processes) would."""

import threading

from django.db import connection


def run_together(*calls, timeout: float = 60) -> tuple[list, list[Exception]]:
    """Run each call in its own thread, all released at once; return (results, errors) as they came.

    Each thread closes its own database connection (Django opens one per thread). A call that has not
    finished within `timeout` seconds leaves neither a result nor an error: count both to catch it.
    """
    barrier = threading.Barrier(len(calls))
    results, errors = [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as exc:  # noqa: BLE001 - the caller asserts which kind it was
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results, errors
