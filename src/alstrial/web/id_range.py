"""An object id beyond the database's integer range cannot name a stored row: 404, not 500.

URL converters (``<int:pk>``) and the API's ``int`` parameters accept any number of digits;
SQLite's driver raises ``OverflowError`` for a value beyond 64 bits and PostgreSQL rejects one
beyond ``bigint`` (SQLSTATE 22003, numeric_value_out_of_range). Either way the row does not
exist, so the answer is the one for any missing object: 404 (found by the API fuzz tests).
"""

from __future__ import annotations

from django.db import DataError
from django.http import Http404, JsonResponse

#: PostgreSQL's numeric_value_out_of_range.
_OUT_OF_RANGE = "22003"


def is_id_out_of_range(exc: BaseException) -> bool:
    if isinstance(exc, OverflowError):
        return True
    return isinstance(exc, DataError) and getattr(exc.__cause__, "sqlstate", None) == _OUT_OF_RANGE


class IdOutOfRangeMiddleware:
    """Maps an out-of-range id raised by a view to the 404 of a missing object."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_id_out_of_range(exception):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "not found", "errors": {}}, status=404)  # as the API
        raise Http404("No such object") from exception
