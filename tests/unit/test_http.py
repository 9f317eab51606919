"""HTTP glue: request guards, validation problems, problem documents."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from functions.api.routes.catalog import SkuPath
from shared.http import (
    PercentDecodedResolver,
    ProblemError,
    guard_request,
    problem_response,
    register_problem_handlers,
    validation_problem,
)
from shared.models.common import FieldError
from shared.problems import PROBLEM_JSON

LIMIT = 100


def event(body: str | None, content_type: str | None = "application/json", **extra: Any) -> dict[str, Any]:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return {"path": "/orders", "httpMethod": "POST", "headers": headers, "body": body, **extra}


def problem_of(response: dict[str, Any] | None) -> dict[str, Any]:
    assert response is not None
    assert response["headers"] == {"Content-Type": PROBLEM_JSON}
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


# --- guard_request ---------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, ""])
def test_no_body_passes_whatever_the_content_type(body: str | None) -> None:
    assert guard_request(event(body, content_type=None), LIMIT) is None
    assert guard_request(event(body, content_type="text/plain"), LIMIT) is None


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        " application/json ",
    ],
)
def test_json_bodies_pass(content_type: str) -> None:
    assert guard_request(event('{"a": 1}', content_type), LIMIT) is None


def test_header_names_are_case_insensitive() -> None:
    assert (
        guard_request(event("{}", content_type=None, headers={"content-type": "application/json"}), LIMIT)
        is None
    )
    assert (
        guard_request(event("{}", content_type=None, headers={"CONTENT-TYPE": "application/json"}), LIMIT)
        is None
    )


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"]
)
def test_non_json_body_is_415(content_type: str | None) -> None:
    problem = problem_of(guard_request(event("{}", content_type), LIMIT))

    assert problem["status"] == 415
    assert problem["type"] == "urn:oms:problem:unsupported-media-type"
    assert problem["title"] == "Unsupported Media Type"
    assert problem["instance"] == "/orders"


def test_missing_headers_with_a_body_is_415() -> None:
    response = guard_request({"path": "/orders", "headers": None, "body": "{}"}, LIMIT)

    assert response is not None
    assert response["statusCode"] == 415


def test_body_at_the_limit_passes_and_one_byte_more_is_413() -> None:
    assert guard_request(event("x" * LIMIT), LIMIT) is None

    response = guard_request(event("x" * (LIMIT + 1)), LIMIT)
    problem = problem_of(response)
    assert response is not None
    assert response["statusCode"] == 413
    assert problem["status"] == 413
    assert problem["type"] == "urn:oms:problem:payload-too-large"
    assert problem["detail"] == f"The body is {LIMIT + 1} bytes; the limit is {LIMIT}."


def test_size_counts_utf8_bytes_not_characters() -> None:
    body = "é" * 51  # 51 characters, 102 bytes

    response = guard_request(event(body), LIMIT)

    assert response is not None
    assert response["statusCode"] == 413
    assert "102 bytes" in problem_of(response)["detail"]


def test_size_of_a_base64_body_is_the_decoded_size() -> None:
    raw = ("[" + " " * 98 + "]").encode()  # 100 bytes of JSON, 136 base64 characters
    encoded = base64.b64encode(raw).decode()
    assert len(encoded) > LIMIT

    assert guard_request(event(encoded, isBase64Encoded=True), LIMIT) is None
    too_big = guard_request(event(base64.b64encode(raw + b"!").decode(), isBase64Encoded=True), LIMIT)
    assert too_big is not None
    assert too_big["statusCode"] == 413


def test_a_body_that_is_not_utf8_is_400() -> None:
    response = guard_request(event(base64.b64encode(b"\x00\xff" * 10).decode(), isBase64Encoded=True), LIMIT)
    assert response is not None
    assert response["statusCode"] == 400


def test_size_is_checked_before_the_content_type() -> None:
    response = guard_request(event("x" * (LIMIT + 1), content_type="text/plain"), LIMIT)

    assert response is not None
    assert response["statusCode"] == 413


# --- validation_problem ----------------------------------------------------------------------


def test_invalid_json_is_400() -> None:
    exc = RequestValidationError([{"type": "json_invalid", "loc": ("body", 1), "msg": "JSON decode error"}])

    error = validation_problem(exc)

    assert (error.status, error.slug, error.errors) == (400, "invalid-json", None)


def test_field_errors_are_422_with_dotted_fields() -> None:
    exc = RequestValidationError(
        [
            {"type": "greater_than_equal", "loc": ("body", "lines", 0, "quantity"), "msg": "too small"},
            {"type": "missing", "loc": ["body", "customer", "email"], "msg": "Field required"},
            {"type": "value_error", "loc": "body", "msg": "bad"},
            {"loc": (), "type": None},
        ]
    )

    error = validation_problem(exc)

    assert (error.status, error.slug, error.title) == (422, "validation", "Unprocessable Content")
    assert error.errors == [
        FieldError(field="body.lines.0.quantity", message="too small", type="greater_than_equal"),
        FieldError(field="body.customer.email", message="Field required", type="missing"),
        FieldError(field="body", message="bad", type="value_error"),
        FieldError(field="", message="is invalid", type=None),
    ]
    body = json.loads(error.body("/orders"))
    assert body["errors"][0] == {
        "field": "body.lines.0.quantity",
        "message": "too small",
        "type": "greater_than_equal",
    }
    assert body["status"] == 422


# --- ProblemError ----------------------------------------------------------------------------


def test_problem_carries_extra_members_and_drops_empty_ones() -> None:
    error = ProblemError(
        409,
        "out-of-stock",
        "Out of stock",
        "Not enough stock.",
        shortages=[{"sku": "MUG", "requested": 3, "available": 1}],
        request_id=None,
    )

    body = json.loads(error.body("/orders"))

    assert body == {
        "type": "urn:oms:problem:out-of-stock",
        "title": "Out of stock",
        "status": 409,
        "detail": "Not enough stock.",
        "instance": "/orders",
        "shortages": [{"sku": "MUG", "requested": 3, "available": 1}],
    }
    assert str(error) == "Out of stock"


def test_problem_response_has_status_content_type_and_headers() -> None:
    error = ProblemError(503, "contention", "Service Unavailable", headers={"Retry-After": "1"})

    response = problem_response(error, "/orders")

    assert response.status_code == 503
    assert response.content_type == PROBLEM_JSON
    assert response.headers["Retry-After"] == "1"
    assert json.loads(response.body) == {
        "type": "urn:oms:problem:contention",
        "title": "Service Unavailable",
        "status": 503,
        "instance": "/orders",
    }


# --- path parameters: the decoded segments of the path as sent ----------------------------------


def sku_app() -> Any:
    app = PercentDecodedResolver(enable_validation=True)

    @app.get("/inventory/<sku>/movements")
    def movements(sku: SkuPath) -> dict[str, str]:
        return {"sku": sku}

    register_problem_handlers(app)
    return app


def rest_event(path: str, path_parameters: dict[str, str]) -> dict[str, Any]:
    """A REST v1 proxy event as API Gateway sends one: the path still percent-encoded."""
    return {
        "resource": "/inventory/{sku}/movements",
        "path": path,
        "httpMethod": "GET",
        "headers": None,
        "pathParameters": path_parameters,
        "requestContext": {"requestId": "r-1", "stage": "prod", "path": f"/prod{path}"},
        "body": None,
    }


@pytest.mark.parametrize(
    ("segment", "sku"),
    [
        ("TEE%2FRED%2FM", "TEE/RED/M"),
        ("A%231", "A#1"),
        ("KIT%3ARED%2BBLUE", "KIT:RED+BLUE"),
        ("KIT:RED+BLUE", "KIT:RED+BLUE"),  # '+' is a '+' in a path, not a space
        ("MUG%20WHITE%2011oz", "MUG WHITE 11oz"),
        ("%C3%84PFEL", "ÄPFEL"),
        ("50%2525", "50%25"),  # decoded once, never twice
    ],
)
def test_the_route_gets_the_decoded_segment(segment: str, sku: str) -> None:
    # pathParameters is left as it may arrive (a %2F kept): the route does not depend on it.
    reply = sku_app().resolve(rest_event(f"/inventory/{segment}/movements", {"sku": segment}), None)

    assert reply["statusCode"] == 200
    assert json.loads(reply["body"]) == {"sku": sku}


@pytest.mark.parametrize(
    ("segment", "error"),
    [
        ("A%01B", "string_pattern_mismatch"),
        ("A%7F", "string_pattern_mismatch"),
        ("%20MUG", "string_pattern_mismatch"),
        ("A" * 101, "string_too_long"),
        ("%FF", "string_unicode"),  # not UTF-8
    ],
)
def test_a_bad_sku_in_the_path_is_a_422_naming_the_field(segment: str, error: str) -> None:
    reply = sku_app().resolve(rest_event(f"/inventory/{segment}/movements", {}), None)

    assert reply["statusCode"] == 422
    problem = json.loads(reply["body"])
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [("path.sku", error)]
    assert problem["instance"] == f"/inventory/{segment}/movements"  # the path as sent
