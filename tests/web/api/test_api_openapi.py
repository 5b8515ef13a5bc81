"""The OpenAPI document: served, valid OpenAPI 3, and every route of the API documented with
its bearer security and its error answers."""

from __future__ import annotations

import re

from django.test import Client
from openapi_spec_validator import validate

from alstrial.web.api.main import api

#: Routes served beside the operations: the document, its browsable view, ninja's root.
NOT_OPERATIONS = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1"}


def _schema():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_served_without_a_token_and_is_valid_openapi(db):
    schema = _schema()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "alstrial API"


def _served_paths() -> set[str]:
    """Every URL the NinjaAPI instance serves, in OpenAPI's ``{name}`` notation."""
    patterns, _app, _namespace = api.urls
    out = set()
    for pattern in patterns:
        route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", str(pattern.pattern))
        out.add("/api/v1/" + route.rstrip("/") if route else "/api/v1")
    return out


def test_every_served_route_is_documented(db):
    documented = set(_schema()["paths"])
    served = _served_paths() - NOT_OPERATIONS
    assert served, "no routes found"
    assert served == documented


def test_every_operation_needs_a_token_but_the_login(db):
    schema = _schema()
    assert schema["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if (method, path) == ("post", "/api/v1/auth/token"):
                assert "security" not in operation
                continue
            assert operation.get("security") == [{"BearerAuth": []}], (method, path)
            assert operation.get("summary"), (method, path)


def test_object_routes_document_their_errors(db):
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            if "{" in path:
                assert "404" in codes, (method, path)
            if method in ("post", "put") and path != "/api/v1/auth/token":
                assert {"403", "404", "422"} <= codes, (method, path)
            if method == "put":
                assert "409" in codes, (method, path)


def test_docs_page_loads_no_third_party_script(db):
    """The browsable docs use the assets shipped with django-ninja, never a CDN: a page where
    a token is typed must not run code from elsewhere."""
    page = Client().get("/api/v1/docs")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html
    assert "https://" not in html
