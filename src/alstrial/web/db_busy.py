"""A busy database answers 503 with ``Retry-After``, never a 500.

The bounded retry happens before this middleware sees anything: SQLite connections wait up to
``SQLITE_BUSY_TIMEOUT_SECONDS`` for the write lock (``alstrial.web.db``: ``busy_timeout`` and
``IMMEDIATE`` transactions, so the lock is taken at ``BEGIN``, before anything is written), and
PostgreSQL queues row locks itself. When that wait runs out (SQLite's "database is locked"), or
PostgreSQL aborts a transaction to break a deadlock or a serialization conflict, the transaction
has been rolled back as a whole (``transaction.atomic`` in every service), so nothing was
written: the client is told so with 503 and may send the same request again. A 500 would leave
the coordinator unsure whether the visit was saved.
"""

from __future__ import annotations

import logging
import sys

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse
from django.views.defaults import bad_request as django_bad_request
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger("alstrial.web.db_busy")

#: Seconds a client is asked to wait before sending the request again.
RETRY_AFTER_SECONDS = 5

#: Messages of SQLite's ``SQLITE_BUSY`` / ``SQLITE_LOCKED`` errors (sqlite3 module).
_SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked", "database is busy")
#: PostgreSQL SQLSTATEs of a transaction aborted by a lock conflict: serialization_failure,
#: deadlock_detected, lock_not_available (PostgreSQL manual, appendix A).
_POSTGRES_BUSY_STATES = {"40001", "40P01", "55P03"}

BUSY_MESSAGE = (
    "The database is busy; nothing was saved. Please send the same request again in a few seconds."
)


def _is_lock_conflict(exc: BaseException) -> bool:
    if not isinstance(exc, OperationalError):
        return False
    if any(text in str(exc).lower() for text in _SQLITE_BUSY_MESSAGES):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in _POSTGRES_BUSY_STATES


def is_busy_error(exc: BaseException) -> bool:
    """True when ``exc`` is a lock-conflict error, or was raised while handling one (Django's
    session middleware turns a failed session save into ``SessionInterrupted``, a 400 that
    would wrongly tell the user they had logged out)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _is_lock_conflict(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def busy_response(request) -> HttpResponse:
    """503 with ``Retry-After``: JSON for the API, a short page otherwise."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": BUSY_MESSAGE, "errors": {}}, status=503)
    else:
        response = HttpResponse(
            f"<!doctype html><title>Busy</title><h1>Please try again</h1><p>{BUSY_MESSAGE}</p>",
            status=503,
            content_type="text/html; charset=utf-8",
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseBusyMiddleware:
    """Maps a lock-conflict ``OperationalError`` raised by a view to 503 + ``Retry-After``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_busy_error(exception):
            return None
        logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
        return busy_response(request)


def server_error(request):
    """``handler500``: a busy database raised outside a view (a middleware's session save, a
    template query) still answers 503; anything else gets Django's plain 500 page.

    Django calls this inside its ``except`` block, so ``sys.exc_info()`` holds the exception.
    """
    exception = sys.exc_info()[1]
    if exception is not None and is_busy_error(exception):
        logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
        return busy_response(request)
    return django_server_error(request)


def bad_request(request, exception):
    """``handler400``: a session save that met a busy database answers 503, not 400."""
    if is_busy_error(exception):
        logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
        return busy_response(request)
    return django_bad_request(request, exception)
