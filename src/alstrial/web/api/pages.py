"""Lists answer one page at a time: ``?limit=`` (1-1000, default 100) and ``?offset=``; the
body is ``{"count": N, "limit": L, "offset": O, "items": [...]}``. The database returns only the
page (a slice of the query), so a long list costs one page of conversion, not the whole table."""

from __future__ import annotations

from collections.abc import Callable

from ninja import Schema
from pydantic import Field, create_model

#: Largest page a client may ask for.
MAX_LIMIT = 1000
#: Largest offset: far beyond any list, and inside the databases' 64-bit OFFSET (2^63 used to
#: overflow into a 409).
MAX_OFFSET = 2**31 - 1


class PageParams(Schema):
    limit: int = Field(100, ge=1, le=MAX_LIMIT, description="Items per page (1-1000).")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip (0-2147483647).")


def page_of(item: type[Schema]) -> type[Schema]:
    """The page schema for ``item`` (``SubjectOutPage``: count, limit, offset, items)."""
    return create_model(
        f"{item.__name__}Page",
        __base__=Schema,
        count=(int, Field(description="Items in the whole list.")),
        limit=(int, ...),
        offset=(int, ...),
        items=(list[item], ...),
    )


def page(queryset, params: PageParams, convert: Callable, **filters) -> dict:
    """One page of ``queryset`` (ordered), each row given by ``convert(row)``.

    ``filters`` are the list's query parameters as ORM lookups; those not given (None or
    empty) do not filter.
    """
    given = {lookup: value for lookup, value in filters.items() if value not in (None, "")}
    queryset = queryset.filter(**given)
    rows = queryset[params.offset : params.offset + params.limit]
    return {
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [convert(row) for row in rows],
    }
