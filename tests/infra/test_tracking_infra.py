"""The tracking page in the stack (issue 17): its public, throttled routes, the HMAC key and who may use it
how, the function's least privilege, the by_external_id index and the WAF's per-address rate rule."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra import spec
from infra.app import build_app
from infra.constructs.api import PUBLIC_BECAUSE
from infra.constructs.waf import TRACK_LIMIT_PER_5_MIN
from infra.description import Function, UsesKey
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

TRACK_ROUTES = [("GET", "/track"), ("GET", "/track/{token}")]


def tracking_key_id(s: Synthesized) -> str:
    return s.logical_id(s.stack.keys.key(spec.TRACKING_KEY))


def on_tracking_key(s: Synthesized, fn: Function) -> list[dict[str, Any]]:
    return [st for st in role_statements(s, fn) if tracking_key_id(s) in refs(st["Resource"])]


def test_the_tracking_key_is_an_hmac_key_retained_aliased_and_not_rotated(synthesized: Synthesized) -> None:
    key = synthesized.resources[tracking_key_id(synthesized)]
    assert key["Properties"]["KeySpec"] == "HMAC_256"
    assert key["Properties"]["KeyUsage"] == "GENERATE_VERIFY_MAC"
    assert key["Properties"].get("EnableKeyRotation", False) is False  # KMS cannot rotate HMAC keys
    assert (key["DeletionPolicy"], key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    (alias,) = [
        a
        for a in synthesized.of_type("AWS::KMS::Alias").values()
        if a["Properties"]["AliasName"] == "alias/oms-tracking"
    ]
    assert alias["Properties"]["TargetKeyId"] == {"Fn::GetAtt": [tracking_key_id(synthesized), "Arn"]}


def test_only_the_tracking_function_uses_the_key_and_only_to_verify(synthesized: Synthesized) -> None:
    (statement,) = on_tracking_key(synthesized, spec.TRACKING)
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "kms:VerifyMac"
    assert statement["Resource"] == {"Fn::GetAtt": [tracking_key_id(synthesized), "Arn"]}
    for fn in spec.FUNCTIONS:
        users = {use.key for use in fn.keys}
        if fn is not spec.TRACKING and spec.TRACKING_KEY not in users:
            assert on_tracking_key(synthesized, fn) == [], fn.name
        for use in fn.keys:
            if use.key == spec.TRACKING_KEY and use.access == "generate_mac":
                (made,) = on_tracking_key(synthesized, fn)
                assert made["Action"] == "kms:GenerateMac", fn.name


def test_the_tracking_function_reads_orders_and_nothing_else(synthesized: Synthesized) -> None:
    statements = role_statements(synthesized, spec.TRACKING)
    ids = table_ids(synthesized)
    assert tables_in(statements, ids) == {spec.ORDERS.id}
    actions = {a for st in statements for a in as_list(st["Action"])}
    assert not actions & {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Scan"}
    assert not any(a.startswith(("sqs:", "s3:", "events:", "cloudwatch:")) for a in actions)
    assert "kms:GenerateMac" not in actions
    # Its only other key: the personal-data key the orders table is encrypted with, to read it.
    personal = synthesized.logical_id(synthesized.stack.tables.personal_data_key)
    kms = [st for st in statements if any(a.startswith("kms:") for a in as_list(st["Action"]))]
    assert {r for st in kms for r in refs(st["Resource"])} == {personal, tracking_key_id(synthesized)}
    assert {a for st in kms if personal in refs(st["Resource"]) for a in as_list(st["Action"])} == {
        "kms:Decrypt"
    }
    _, function = function_resource(synthesized, spec.TRACKING)
    env = function["Properties"]["Environment"]["Variables"]
    assert env["OMS_TRACKING_KEY"] == "alias/oms-tracking"
    assert "OMS_PUBLIC_URL" not in env  # an API integration: its relative links need none (and no cycle)


def test_the_track_routes_are_public_reach_the_tracking_function_and_are_throttled(
    synthesized: Synthesized,
) -> None:
    methods = methods_by_route(synthesized)
    tracking_id, _ = function_resource(synthesized, spec.TRACKING)
    for route in TRACK_ROUTES:
        method = methods[route]
        assert method["AuthorizationType"] == "NONE"
        assert "AuthorizerId" not in method
        assert tracking_id in refs(method["Integration"]["Uri"])
    (stage,) = synthesized.of_type("AWS::ApiGateway::Stage").values()
    settings = {(m["HttpMethod"], m["ResourcePath"]): m for m in stage["Properties"]["MethodSettings"]}
    for method_name, path in TRACK_ROUTES:
        setting = settings[(method_name, "/" + path.replace("/", "~1"))]
        assert (setting["ThrottlingRateLimit"], setting["ThrottlingBurstLimit"]) == (10, 20)
        assert setting["DataTraceEnabled"] is False
    assert "customers' order tracking page" in PUBLIC_BECAUSE["tracking"]


def test_the_orders_table_has_a_keys_only_index_by_external_id(synthesized: Synthesized) -> None:
    orders = synthesized.resources[table_ids(synthesized)[spec.ORDERS.id]]
    (index,) = [
        i for i in orders["Properties"]["GlobalSecondaryIndexes"] if i["IndexName"] == "by_external_id"
    ]
    assert index["KeySchema"][0] == {"AttributeName": "external_id", "KeyType": "HASH"}
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_a_waf_rate_rule_per_address_guards_track_on_the_stage(synthesized: Synthesized) -> None:
    (acl_id, acl), *others = synthesized.of_type("AWS::WAFv2::WebACL").items()
    assert others == []
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL"
    assert props["DefaultAction"] == {"Allow": {}}
    (rule,) = props["Rules"]
    assert rule["Action"] == {"Block": {}}
    rate = rule["Statement"]["RateBasedStatement"]
    assert (rate["AggregateKeyType"], rate["Limit"]) == ("IP", TRACK_LIMIT_PER_5_MIN)
    match = rate["ScopeDownStatement"]["ByteMatchStatement"]
    assert match["FieldToMatch"] == {"UriPath": {}}
    assert (match["PositionalConstraint"], match["SearchString"]) == ("STARTS_WITH", "/prod/track")
    assert rule["VisibilityConfig"]["SampledRequestsEnabled"] is False  # a sample would keep emails
    (association,) = synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (stage_id,) = synthesized.of_type("AWS::ApiGateway::Stage")
    arn = association["Properties"]["ResourceArn"]
    assert stage_id in refs(arn) and "/stages/" in str(arn)  # the stage itself: made after it


def test_no_api_integration_has_the_public_url(synthesized: Synthesized) -> None:
    for fn in spec.FUNCTIONS:
        if fn.routes:
            _, function = function_resource(synthesized, fn)
            assert "OMS_PUBLIC_URL" not in function["Properties"]["Environment"]["Variables"], fn.name


def test_a_function_making_links_gets_the_stage_url_and_generate_mac_without_a_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A consumer (not an integration) with ``public_url`` and the key's ``generate_mac``, as the
    notifications function has them: the synth (nag included) has no cycle, its URL is the stage's."""
    mailer = dataclasses.replace(
        spec.ORDER_EVENTS, public_url=True, keys=(UsesKey(spec.TRACKING_KEY, "generate_mac"),)
    )
    monkeypatch.setattr(
        spec, "FUNCTIONS", tuple(mailer if fn is spec.ORDER_EVENTS else fn for fn in spec.FUNCTIONS)
    )
    app, stack = build_app(outdir=str(tmp_path))
    app.synth()
    template = Template.from_stack(stack).to_json()
    resources = template["Resources"]
    (function,) = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function"
        and r["Properties"].get("Handler") == "functions.order_events.handler.lambda_handler"
    ]
    url = function["Properties"]["Environment"]["Variables"]["OMS_PUBLIC_URL"]
    parts = url["Fn::Join"][1]
    (api_id,) = [lid for lid, r in resources.items() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert parts[0] == "https://" and parts[1] == {"Ref": api_id}
    assert ".execute-api." in parts[2] and str(parts[-1]).endswith("/prod")
    key_id = stack.resolve(stack.get_logical_id(stack.keys.key(spec.TRACKING_KEY).node.default_child))
    role_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    made = [
        st
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and {"Ref": role_id} in r["Properties"]["Roles"]
        for st in r["Properties"]["PolicyDocument"]["Statement"]
        if key_id in refs(st["Resource"])
    ]
    assert [st["Action"] for st in made] == ["kms:GenerateMac"]
