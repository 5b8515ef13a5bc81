"""Every error the API answers, in one shape: ``{"detail": "...", "errors": {field: [msg]}}``.

| status | when |
|---|---|
| 400 | the body is not JSON at all (no field to name) |
| 401 | no token, or an unknown, expired or revoked one; wrong password |
| 403 | an object of the user's own site that their role may not change |
| 404 | no such object, **or another site's** (existence never leaks) |
| 409 | an edit based on a stale ``version``; a form already entered for a visit; a database |
|     | constraint refusing a record saved at the same moment |
| 423 | the trial's database is locked (docs/datamanagement.md, "Locks"): nothing was written |
| 422 | bad input, named field by field (schema errors and the domain's ``ValidationError``); |
|     | a refused administration (with ``refused_attempt_id``) |
| 429 | too many failed logins (django-axes) |
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as SchemaValidationError

from alstrial.domain.errors import FieldError, ValidationError
from alstrial.web.core.records import ConflictError
from alstrial.web.core.write_guards import WritesLocked
from alstrial.web.product.administration import AdministrationRefused

#: Locations ninja puts before a field name: ("body", "payload", "speech") -> "speech".
_LOCATION_PARTS = {"body", "payload", "query", "path", "header", "cookie", "form"}


class ApiConflict(Exception):
    """A write that clashes with the stored state other than by version (answered 409)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@contextmanager
def api_field_names(**names: str) -> Iterator[None]:
    """Report a service's field names as the API's: ``api_field_names(visit="visit_id")``
    turns an error on the model's ``visit`` into one on the body's ``visit_id``."""
    try:
        yield
    except ValidationError as error:
        errors = [FieldError(names.get(e.field, e.field), e.message) for e in error.errors]
        if isinstance(error, AdministrationRefused):
            raise AdministrationRefused(errors, error.attempt) from None
        raise ValidationError(errors) from None


def _field_name(location) -> str:
    parts = [str(p) for p in location if not isinstance(p, int)]
    named = [p for p in parts if p not in _LOCATION_PARTS]
    return ".".join(named) or (parts[0] if parts else "body")


def schema_errors(errors: list[dict]) -> dict[str, list[str]]:
    """ninja/pydantic errors as ``{field: [message]}`` (the domain's ``by_field()`` shape)."""
    out: dict[str, list[str]] = {}
    for error in errors:
        message = str(error.get("msg", "invalid value"))
        out.setdefault(_field_name(error.get("loc", ())), []).append(message)
    return out


def _body(detail: str, errors: dict | None = None, **extra) -> dict:
    return {"detail": detail, "errors": errors or {}, **extra}


def install_error_handlers(api: NinjaAPI) -> None:
    """Register the handlers of the table above on ``api``."""

    def respond(request, status: int, body: dict):
        return api.create_response(request, body, status=status)

    @api.exception_handler(SchemaValidationError)
    def schema_invalid(request, exc):
        return respond(request, 422, _body("invalid input", schema_errors(exc.errors)))

    @api.exception_handler(AdministrationRefused)
    def refused(request, exc):
        return respond(
            request,
            422,
            _body(
                "administration refused: nothing was administered; the attempt is recorded",
                exc.by_field(),
                refused_attempt_id=exc.attempt.pk,
            ),
        )

    @api.exception_handler(ValidationError)
    def domain_invalid(request, exc):
        return respond(request, 422, _body("invalid input; nothing was saved", exc.by_field()))

    @api.exception_handler(WritesLocked)
    def locked(request, exc):
        return respond(request, 423, _body(exc.message, exc.by_field()))

    @api.exception_handler(ConflictError)
    def conflict(request, exc):
        return respond(
            request,
            409,
            _body(str(exc), {"version": [str(exc)]}, current_version=exc.current),
        )

    @api.exception_handler(IntegrityError)
    def constraint(request, exc):
        # The checks passed, but a record saved at the same moment took the slot (e.g. two
        # first entries of one visit's form): the database constraint refused the second.
        return respond(
            request,
            409,
            _body("this conflicts with a record saved at the same time; reload and retry"),
        )

    @api.exception_handler(ApiConflict)
    def api_conflict(request, exc):
        return respond(request, 409, _body(exc.message, {exc.field: [exc.message]}))

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return respond(request, 404, _body("not found"))

    def forbidden(request, exc):
        message = str(exc) or "your role at this site does not allow this"
        return respond(request, 403, _body(message))

    api.exception_handler(PermissionDenied)(forbidden)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        if exc.status_code == 400:  # ninja could not parse the body at all
            return respond(request, 400, _body("the request body is not valid JSON"))
        return respond(request, exc.status_code, _body(str(exc)))
