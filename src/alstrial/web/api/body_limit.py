"""A request body over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` sent to the API answers 413
in the API's JSON error shape (``{"detail", "errors"}``, docs/api.md "Errors"), not Django's
HTML 400 page: a client reading JSON gets an answer it can read. Web pages keep Django's own
answer. Django refuses such a body on the same header (``CONTENT_LENGTH``), so this middleware
runs first and refuses exactly what Django would."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

#: Paths of the API.
API_PREFIX = "/api/"


def body_too_large(request) -> bool:
    """True when the declared body is larger than Django reads (None: no limit)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # an unreadable length: Django's own parsing answers it
    return limit is not None and length > limit


class ApiBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and body_too_large(request):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            body = {
                "detail": f"the request body is larger than {limit:,} bytes; nothing was saved",
                "errors": {"body": [f"at most {limit:,} bytes"]},
            }
            return JsonResponse(body, status=413)
        return self.get_response(request)
