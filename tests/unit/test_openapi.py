"""The OpenAPI document tells the truth about every route, so that it cannot regress.

Generated from the code exactly as GET /openapi.json serves it (functions.api.routes.meta), and held
against infra/spec.py (the routes API Gateway has) and shared.openapi (what every route can meet).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from infra.spec import API
from shared.models.common import pattern_phrase
from shared.openapi import ALWAYS, AUTHENTICATED, WITH_BODY, finish_document, problem_responses
from shared.problems import PROBLEM_JSON

PROBLEM_REF = "#/components/schemas/Problem"


@cache
def document() -> dict[str, Any]:
    from functions.api.routes.meta import build_document

    return build_document()


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document()["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def ids() -> list[str]:
    return [f"{method} {path}" for method, path, _ in operations()]


def test_the_document_has_exactly_the_gateways_routes_but_swagger() -> None:
    documented = {(method, path) for method, path, _ in operations()}
    routed = {(route.method, route.path) for route in API.routes if route.path != "/swagger"}
    assert documented == routed


@pytest.mark.parametrize(("method", "path", "operation"), list(operations()), ids=ids())
def test_every_error_is_a_problem(method: str, path: str, operation: dict[str, Any]) -> None:
    for status, response in operation["responses"].items():
        if int(status) >= 400:
            assert response["content"] == {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}, status
        else:
            assert PROBLEM_JSON not in response.get("content", {}), status


@pytest.mark.parametrize(("method", "path", "operation"), list(operations()), ids=ids())
def test_every_operation_documents_what_it_can_meet(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    statuses = {int(s) for s in operation["responses"]}
    public = operation.get("security") == []
    assert set(ALWAYS) <= statuses
    assert set(AUTHENTICATED) <= statuses or public
    assert any(200 <= s < 300 for s in statuses)
    if "requestBody" in operation:
        assert set(WITH_BODY) <= statuses  # guard_request's 413, 415, 400, and validation's 422
    if operation.get("parameters") or "requestBody" in operation:
        assert 422 in statuses
    if "{" in path and method != "PUT":  # a PUT creates what its path names; the others find it first
        assert 404 in statuses
    if any(p["name"] == "next_token" for p in operation.get("parameters", [])):
        assert 400 in statuses


@pytest.mark.parametrize(("method", "path", "operation"), list(operations()), ids=ids())
def test_only_the_gateways_public_routes_need_no_key(
    method: str, path: str, operation: dict[str, Any]
) -> None:
    (route,) = [r for r in API.routes if (r.method, r.path) == (method, path)]
    assert (operation.get("security") == []) == (not route.authorized)
    if route.authorized:
        assert "security" not in operation  # the document's global ApiKey requirement applies


def test_health_and_signing_in_are_public_and_the_rest_need_the_api_key_or_a_session() -> None:
    assert document()["paths"]["/health"]["get"]["security"] == []
    assert document()["paths"]["/session"]["post"]["security"] == []
    assert document()["security"] == [{"ApiKey": []}, {"Session": []}]
    schemes = document()["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {"type": "apiKey", "name": "X-Api-Key", "in": "header"}
    assert {k: schemes["Session"][k] for k in ("type", "name", "in")} == {
        "type": "apiKey",
        "name": "oms_session",
        "in": "cookie",
    }
    assert "X-CSRF-Token" in schemes["Session"]["description"]


def test_the_problem_schema_is_rfc_9457_with_the_extensions() -> None:
    schemas = document()["components"]["schemas"]
    problem = schemas["Problem"]
    assert set(problem["required"]) == {"title", "status"}
    assert {"type", "title", "status", "detail", "instance", "errors", "shortages"} <= set(
        problem["properties"]
    )
    assert problem["additionalProperties"] is True  # RFC 9457 3.2: more members may come
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}
    assert set(schemas["Shortage"]["required"]) == {"sku", "requested", "available"}
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    assert "HTTPValidationError" not in json.dumps(document())


def test_success_codes_are_complete() -> None:
    paths = document()["paths"]

    def codes(path: str, method: str) -> set[str]:
        return {s for s in paths[path][method]["responses"] if s < "300"}

    assert codes("/orders", "post") == {"200", "201"}  # a replay, a creation
    assert codes("/reports", "post") == {"202"}
    assert codes("/products/{sku}", "put") == {"200", "201"}
    assert codes("/inventory/{sku}/adjustments", "post") == {"200", "201"}
    assert codes("/customers/{customer_id}", "patch") == {"200"}
    order = paths["/orders"]["post"]["responses"]
    assert order["201"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Order"}
    assert {"409", "422"} <= set(order)  # problems, not an Order


def test_the_import_routes_document_every_status_they_answer() -> None:
    paths = document()["paths"]

    def statuses(path: str, method: str) -> set[int]:
        return {int(s) for s in paths[path][method]["responses"]}

    common = {401, 403, 429, 500, 502, 503}  # no key, not staff, throttled, and the gateway's
    # 201 (a retry with the same Idempotency-Key too); a body's 400, 413, 415 and 422 (an unknown format)
    assert statuses("/imports", "post") == common | {201, 400, 413, 415, 422}
    assert statuses("/imports", "get") == common | {200, 400, 422}  # 400: a bad next_token
    assert statuses("/imports/{import_id}", "get") == common | {200, 404, 422}
    schema = {
        ("/imports", "post", "201"): "ImportUpload",
        ("/imports", "get", "200"): "ImportRunPage",
        ("/imports/{import_id}", "get", "200"): "ImportRunDetail",
    }
    for (path, method, status), name in schema.items():
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{name}"}
    formats = document()["components"]["schemas"]["ImportOptions"]["properties"]["format"]["enum"]
    assert "shopify-orders" in formats and "oms-products" in formats
    schemas = document()["components"]["schemas"]
    detail = schemas["ImportRunDetail"]["properties"]
    assert detail["error_report_urls"]["type"] == "array"  # every report: the check's and each chunk's
    assert detail["error_chunks"]["items"] == {"type": "integer"}
    upload = schemas["ImportUpload"]["properties"]["upload_url"]
    assert {"type": "null"} in upload["anyOf"]  # a replay once the file is in presigns no second PUT


def test_listings_are_documented_with_their_filters() -> None:
    paths = document()["paths"]
    inventory = {p["name"]: p for p in paths["/inventory"]["get"]["parameters"]}
    products = {p["name"]: p for p in paths["/products"]["get"]["parameters"]}
    assert set(inventory) == {"low_stock", "location", "limit", "next_token"}
    assert set(products) == {"name_prefix", "limit", "next_token"}
    assert not any(p["required"] for p in (*inventory.values(), *products.values()))
    assert inventory["low_stock"]["schema"]["default"] is False  # documented default, and honoured


def test_integer_fields_are_json_schema_integers() -> None:
    schemas = document()["components"]["schemas"]
    assert schemas["OrderLineIn"]["properties"]["quantity"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 10000,
        "title": "Quantity",
    }
    assert schemas["AdjustmentIn"]["properties"]["delta"]["not"] == {"const": 0}
    assert schemas["CustomerPatch"]["minProperties"] == 1


def test_every_pattern_has_words_for_people() -> None:
    patterns = re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', json.dumps(document()))
    assert patterns
    assert [p for p in map(json.loads, patterns) if not pattern_phrase(p)] == []


def test_links_point_at_documented_operations() -> None:
    linked = 0
    for _, _, operation in operations():
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                pointer, method = link["operationRef"].rsplit("/", 1)
                path = pointer.removeprefix("#/paths/").replace("~1", "/").replace("~0", "~")
                assert method in document()["paths"][path], link
                linked += 1
    assert linked >= 10


def test_problem_responses_adds_the_common_statuses() -> None:
    responses = problem_responses(404, success={201: "Created"}, body=True)
    assert sorted(responses) == [201, 400, 401, 403, 404, 413, 415, 422, 429, 500, 502]
    assert responses[201] == {"description": "Created"}  # Powertools fills in the route's return type
    assert responses[404]["content"][PROBLEM_JSON]["model"].__name__ == "Problem"
    assert "Retry-After" in responses[429]["headers"]
    assert sorted(problem_responses(public=True)) == [200, 429, 500, 502]
    assert problem_responses(success={204: "Gone"})[204]["content"] == {}
    with pytest.raises(ValueError, match="not an error status"):
        problem_responses(201)


def test_finish_document_removes_powertools_validation_error() -> None:
    ref = {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}
    raw = {
        "paths": {
            "/x": {
                "get": {
                    "responses": {"200": {"description": "OK"}, "422": {"content": {"application/json": ref}}}
                }
            }
        },
        "components": {"schemas": {"HTTPValidationError": {}, "ValidationError": {}, "Problem": {}}},
    }
    finished = finish_document(raw)
    assert finished["paths"]["/x"]["get"]["responses"] == {"200": {"description": "OK"}}
    assert finished["components"]["schemas"] == {"Problem": {}}
