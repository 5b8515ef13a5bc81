"""Refuse input containing a NUL character (U+0000) with 400, naming the field.

PostgreSQL cannot store NUL in text and refuses any query that carries one ("text fields cannot
contain NUL (0x00) bytes"), so a NUL reaching a filter or a save was a 500 on PostgreSQL while
SQLite accepted it (found by the form fuzz test: ``?subject=%00`` on the adverse-event form). No
clinical value contains NUL, so the request is refused before any view sees it, on every page
and API operation alike: query string, form fields and JSON bodies.
"""

from __future__ import annotations

import re

from django.http import HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

#: A NUL as JSON spells it (``\\u0000``, any case), or raw.
_JSON_NUL = re.compile(rb"\\u0000|\x00", re.IGNORECASE)


def nul_fields(request) -> list[str]:
    """Names of the query and form fields of ``request`` holding a NUL (``body`` for JSON)."""
    found = [key for key, values in request.GET.lists() if any("\x00" in v for v in values)]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        try:
            posted = request.POST
        except MultiPartParserError:
            return found  # unreadable: the view refuses it in its own words (the API's JSON)
        found += [key for key, values in posted.lists() if any("\x00" in v for v in values)]
    elif request.content_type == "application/json" and _JSON_NUL.search(request.body):
        found.append("body")
    return found


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = nul_fields(request)
        if not fields:
            return self.get_response(request)
        message = "contains a NUL character, which no value may hold"
        if request.path.startswith("/api/"):
            errors = {field: [message] for field in fields}
            return JsonResponse({"detail": "invalid input", "errors": errors}, status=400)
        text = "; ".join(f"{field}: {message}" for field in fields)
        return HttpResponse(text, status=400, content_type="text/plain; charset=utf-8")
