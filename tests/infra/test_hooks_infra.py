"""The webhook routes in the stack: no authorizer, their own throttle, the secrets key and who may use it."""

from __future__ import annotations

from typing import Any

from infra import spec
from infra.constructs.api import PUBLIC_BECAUSE
from infra.description import Function
from tests.infra.conftest import Synthesized
from tests.infra.test_stack import (
    as_list,
    function_resource,
    methods_by_route,
    refs,
    role_statements,
    table_ids,
    tables_in,
)

HOOK_ROUTES = [("POST", "/hooks/shopify/{channel}"), ("POST", "/hooks/woocommerce/{channel}")]


def secrets_key_id(s: Synthesized) -> str:
    return s.logical_id(s.stack.keys.key(spec.SECRETS_KEY))


def on_secrets_key(s: Synthesized, fn: Function) -> list[dict[str, Any]]:
    return [st for st in role_statements(s, fn) if secrets_key_id(s) in refs(st["Resource"])]


def test_the_hook_routes_have_no_authorizer_and_reach_the_hooks_function(synthesized: Synthesized) -> None:
    methods = methods_by_route(synthesized)
    hooks_id, _ = function_resource(synthesized, spec.HOOKS)
    for route in HOOK_ROUTES:
        method = methods[route]
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
        assert method["Integration"]["Type"] == "AWS_PROXY"
        assert hooks_id in refs(method["Integration"]["Uri"])


def test_the_hook_routes_are_throttled_on_their_own(synthesized: Synthesized) -> None:
    (stage,) = synthesized.of_type("AWS::ApiGateway::Stage").values()
    settings = {(m["HttpMethod"], m["ResourcePath"]): m for m in stage["Properties"]["MethodSettings"]}
    for method, path in HOOK_ROUTES:
        setting = settings[(method, "/" + path.replace("/", "~1"))]  # API Gateway escapes "/" as ~1
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (50, 100)
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (
            spec.HOOK_THROTTLE.rate_limit,
            spec.HOOK_THROTTLE.burst_limit,
        )
        # a method setting replaces the stage's for that method: the same logging, never bodies
        assert setting["DataTraceEnabled"] is False
        assert setting["MetricsEnabled"] is True
        assert setting["LoggingLevel"] == "ERROR"
    assert settings[("*", "/*")]["ThrottlingRateLimit"] == 100  # the stage's limit still caps everything


def test_the_public_hook_methods_are_acknowledged_with_their_reason(synthesized: Synthesized) -> None:
    reasons = {
        rule["id"]: rule["reason"]
        for lid, resource in synthesized.resources.items()
        if resource["Type"] == "AWS::ApiGateway::Method"
        and resource["Properties"]["AuthorizationType"] == "NONE"
        and "hooks" in json_path(synthesized, resource)
        for rule in resource["Metadata"]["cdk_nag"]["rules_to_suppress"]
    }
    assert "HMAC signature" in reasons["AwsSolutions-APIG4"]
    assert PUBLIC_BECAUSE["hooks"] in reasons["AwsSolutions-COG4"]


def json_path(s: Synthesized, method: dict[str, Any]) -> str:
    from tests.infra.test_stack import resource_paths

    return resource_paths(s)[method["Properties"]["ResourceId"]["Ref"]]


def test_the_secrets_key_is_rotated_retained_and_aliased(synthesized: Synthesized) -> None:
    key = synthesized.resources[secrets_key_id(synthesized)]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    (alias,) = [
        a
        for a in synthesized.of_type("AWS::KMS::Alias").values()
        if a["Properties"]["AliasName"] == "alias/oms-secrets"
    ]
    assert alias["Properties"]["TargetKeyId"] == {"Fn::GetAtt": [secrets_key_id(synthesized), "Arn"]}


def test_the_api_may_only_encrypt_and_the_hooks_only_decrypt_with_the_channel_context(
    synthesized: Synthesized,
) -> None:
    # The API also seals webhook endpoints' secrets, which only the webhooks function opens (issue 17):
    # each grant needs its own context, so a channel's secret never opens as an endpoint's, nor the reverse.
    grants = [
        (spec.API, [("kms:Encrypt", "channel"), ("kms:Encrypt", "webhook")]),
        (spec.HOOKS, [("kms:Decrypt", "channel")]),
        (spec.WEBHOOKS_FUNCTION, [("kms:Decrypt", "webhook")]),
    ]
    for fn, expected in grants:
        statements = on_secrets_key(synthesized, fn)
        found = []
        for statement in statements:
            assert statement["Effect"] == "Allow"
            assert statement["Resource"] == {"Fn::GetAtt": [secrets_key_id(synthesized), "Arn"]}
            [(condition, value)] = statement["Condition"]["Null"].items()
            assert value == "false"
            found.append((statement["Action"], condition.removeprefix("kms:EncryptionContext:")))
        assert sorted(found) == sorted(expected), fn.name
    for fn in spec.FUNCTIONS:
        if fn.name not in {granted.name for granted, _ in grants}:
            assert on_secrets_key(synthesized, fn) == [], fn.name


def test_the_hooks_read_connections_claim_deliveries_and_send_to_the_feed_only(
    synthesized: Synthesized,
) -> None:
    statements = role_statements(synthesized, spec.HOOKS)
    ids = table_ids(synthesized)
    assert tables_in(statements, ids) == {spec.CONNECTIONS.id, spec.HOOK_DELIVERIES.id}
    on_connections = {
        a
        for st in statements
        if ids[spec.CONNECTIONS.id] in refs(st["Resource"])
        for a in as_list(st["Action"])
    }
    assert not on_connections & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
    sqs = [st for st in statements if any(a.startswith("sqs:") for a in as_list(st["Action"]))]
    feed_id = synthesized.logical_id(synthesized.stack.queues.queue(spec.MARKETPLACE_ORDERS))
    assert {r for st in sqs for r in refs(st["Resource"])} == {feed_id}
    assert {a for st in sqs for a in as_list(st["Action"])} <= {
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }
    _, function = function_resource(synthesized, spec.HOOKS)
    env = function["Properties"]["Environment"]["Variables"]
    assert env["OMS_SECRETS_KEY"] == "alias/oms-secrets"
    assert env[spec.MARKETPLACE_ORDERS.env_var] == {"Ref": feed_id}
    assert function["Properties"]["Timeout"] == 5  # Shopify waits 5 s for an answer


def test_the_new_tables_are_outputs(synthesized: Synthesized) -> None:
    outputs = synthesized.template.to_json()["Outputs"]
    assert "ConnectionsTableName" in outputs and "HookDeliveriesTableName" in outputs
