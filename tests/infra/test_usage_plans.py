"""Per-channel throttling in the stack: usage plans on the stage, the API key named by the authorizer,
an API Gateway key required on every authorized method and on no public one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra import spec
from infra.constructs.api import THROTTLE_BURST, THROTTLE_RATE
from infra.description import Function, Route
from shared.problems import GATEWAY_PROBLEMS
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import ROUTES, methods_by_route, refs


def usage_plans(s: Synthesized) -> dict[str, dict[str, Any]]:
    """Logical id -> properties of every usage plan."""
    return {lid: r["Properties"] for lid, r in s.of_type("AWS::ApiGateway::UsagePlan").items()}


def test_the_api_key_comes_from_the_authorizer(synthesized: Synthesized) -> None:
    ((_, rest_api),) = synthesized.of_type("AWS::ApiGateway::RestApi").items()
    assert rest_api["Properties"]["ApiKeySourceType"] == "AUTHORIZER"


@pytest.mark.parametrize(("fn", "route"), ROUTES, ids=[f"{r.method} {r.path}" for _, r in ROUTES])
def test_an_api_gateway_key_is_required_exactly_where_the_authorizer_runs(
    synthesized: Synthesized, fn: Function, route: Route
) -> None:
    method = methods_by_route(synthesized)[(route.method, route.path)]
    assert bool(method.get("ApiKeyRequired")) is route.authorized
    assert (method["AuthorizationType"] == "CUSTOM") is route.authorized


def test_health_and_the_webhooks_need_no_api_gateway_key(synthesized: Synthesized) -> None:
    methods = methods_by_route(synthesized)
    for route in [
        ("GET", "/health"),
        ("POST", "/hooks/shopify/{channel}"),
        ("POST", "/hooks/woocommerce/{channel}"),
    ]:
        assert not methods[route].get("ApiKeyRequired"), route


def test_one_usage_plan_per_spec_plan_with_its_limits_on_the_stage(synthesized: Synthesized) -> None:
    plans = usage_plans(synthesized)
    assert len(plans) == len(spec.USAGE_PLANS)
    outputs = synthesized.template.to_json()["Outputs"]
    (rest_api_id,) = synthesized.of_type("AWS::ApiGateway::RestApi")
    (stage_id,) = synthesized.of_type("AWS::ApiGateway::Stage")
    for plan in spec.USAGE_PLANS:
        # the output infra.keys reads names the plan with this plan's limits
        (plan_id,) = refs(outputs[plan.output]["Value"])
        properties = plans[plan_id]
        assert properties["Throttle"] == {
            "RateLimit": plan.throttle.rate_limit,
            "BurstLimit": plan.throttle.burst_limit,
        }
        if plan.quota_per_day is None:
            assert "Quota" not in properties
        else:
            assert properties["Quota"] == {"Limit": plan.quota_per_day, "Period": "DAY"}
        [api_stage] = properties["ApiStages"]
        assert refs(api_stage["ApiId"]) == {rest_api_id}
        assert refs(api_stage["Stage"]) == {stage_id}


def test_the_default_plans_limits(synthesized: Synthesized) -> None:
    plans = {refs(o["Value"]).pop(): name for name, o in synthesized.template.to_json()["Outputs"].items()}
    by_output = {plans[lid]: p for lid, p in usage_plans(synthesized).items()}
    assert by_output["ChannelsUsagePlanId"]["Throttle"] == {"RateLimit": 50, "BurstLimit": 100}
    assert by_output["StaffUsagePlanId"]["Throttle"] == {"RateLimit": 50, "BurstLimit": 100}


def test_no_plan_lets_one_channel_use_up_the_stage() -> None:
    for plan in spec.USAGE_PLANS:
        assert plan.throttle.rate_limit < THROTTLE_RATE, plan.id
        assert plan.throttle.burst_limit < THROTTLE_BURST, plan.id


def test_the_stack_makes_no_api_keys_and_no_function_may(synthesized: Synthesized) -> None:
    # Channels' API Gateway keys are made by the operator's CLI (infra.keys), never in the template
    # (their values would be in it) and never by a function: no role may call API Gateway's API.
    assert not synthesized.of_type("AWS::ApiGateway::ApiKey")
    assert not synthesized.of_type("AWS::ApiGateway::UsagePlanKey")
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        actions = json.dumps([st["Action"] for st in policy["Properties"]["PolicyDocument"]["Statement"]])
        assert "apigateway:" not in actions


def test_a_throttled_caller_is_told_when_to_retry(synthesized: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    throttled = responses["THROTTLED"]
    assert throttled["StatusCode"] == "429"
    assert throttled["ResponseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert json.loads(throttled["ResponseTemplates"]["application/json"]) == json.loads(
        GATEWAY_PROBLEMS["THROTTLED"].body()
    )


def test_a_key_without_an_api_gateway_key_is_told_to_get_a_new_one(synthesized: Synthesized) -> None:
    # Not DEFAULT_4XX's 400: the request is fine, the key predates the usage plans.
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synthesized.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    invalid = responses["INVALID_API_KEY"]
    assert invalid["StatusCode"] == "403"
    assert json.loads(invalid["ResponseTemplates"]["application/json"])["detail"] == (
        "This API key has no usage plan. Ask for a new key."
    )
