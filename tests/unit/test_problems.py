"""shared/problems.py: one body per problem, whoever answers it (a function, API Gateway, the local
gateway)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shared.http import ProblemError, internal, no_such_route, unauthorized, unsupported_media_type
from shared.problems import (
    GATEWAY_PROBLEMS,
    LOCAL_GATEWAY_PROBLEMS,
    PAYLOAD_TOO_LARGE,
    StandardProblem,
    problem_body,
    problem_type,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("answered_by_a_function", "gateway_response"),
    [
        (unauthorized(), "UNAUTHORIZED"),
        (no_such_route(), "MISSING_AUTHENTICATION_TOKEN"),
        (no_such_route(), "RESOURCE_NOT_FOUND"),
        (unsupported_media_type(), "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_a_function_and_the_gateway_answer_the_same_problem_with_the_same_body(
    answered_by_a_function: ProblemError, gateway_response: str
) -> None:
    body = answered_by_a_function.body()
    assert json.loads(body) == json.loads(GATEWAY_PROBLEMS[gateway_response].body())


def test_a_function_names_how_large_a_body_was_where_the_gateway_cannot() -> None:
    from shared.http import guard_request

    refused = guard_request(
        {"path": "/orders", "headers": {"Content-Type": "application/json"}, "body": "x" * 11}, 10
    )

    assert refused is not None
    problem = json.loads(refused["body"])
    gateway = json.loads(GATEWAY_PROBLEMS["REQUEST_TOO_LARGE"].body())
    assert {k: problem[k] for k in ("type", "title", "status")} == {
        k: gateway[k] for k in ("type", "title", "status")
    }
    assert problem["detail"] == "The body is 11 bytes; the limit is 10."
    assert gateway["detail"] == PAYLOAD_TOO_LARGE.detail


def test_a_5xx_quotes_the_request_id_and_a_4xx_never_does() -> None:
    assert json.loads(GATEWAY_PROBLEMS["DEFAULT_5XX"].body(request_id="r-1"))["request_id"] == "r-1"
    assert "request_id" not in json.loads(GATEWAY_PROBLEMS["UNAUTHORIZED"].body(request_id="r-1"))
    assert json.loads(internal("r-2").body("/orders"))["request_id"] == "r-2"


def test_the_body_leaves_out_empty_members_keeps_their_order_and_writes_text_as_is() -> None:
    body = problem_body({"type": problem_type("x"), "title": "Ä", "status": 400, "detail": None})

    assert body == '{"type":"urn:oms:problem:x","title":"Ä","status":400}'


def test_the_local_gateway_answers_each_status_it_meets_with_a_cdk_gateway_response() -> None:
    assert sorted(LOCAL_GATEWAY_PROBLEMS) == [401, 403, 404, 413, 429, 500, 502]
    for status, problem in LOCAL_GATEWAY_PROBLEMS.items():
        assert problem.status == status
        assert problem in GATEWAY_PROBLEMS.values()


def test_a_standard_problem_body_is_rfc_9457() -> None:
    problem = StandardProblem(409, "stale", "Conflict", "Not applied.")

    assert json.loads(problem.body(instance="/inventory/A")) == {
        "type": "urn:oms:problem:stale",
        "title": "Conflict",
        "status": 409,
        "detail": "Not applied.",
        "instance": "/inventory/A",
    }


@pytest.mark.parametrize("module", ["shared.problems", "shared.config"])
def test_the_one_homes_are_cheap_to_import(module: str) -> None:
    """The authorizer, the local gateway and the CDK app import these: no pydantic, Powertools or boto3."""
    code = (
        f"import sys, {module}; "
        "heavy = {'pydantic', 'aws_lambda_powertools', 'boto3', 'botocore'}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
