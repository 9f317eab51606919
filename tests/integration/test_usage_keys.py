"""Channels' API Gateway keys (moto): made with a channel's first key on the channel's usage plan, shared
by its other keys, removed with its last; named by the authorizer from its one GetItem; never logged or
listed. And ``python -m infra.keys --endpoint aws`` reading the plans' ids from the stack's outputs."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from functions.authorizer.handler import lambda_handler
from infra import keys as cli
from infra.keys import ApiGatewayKeys
from infra.local.workers import LambdaContext
from infra.spec import API_KEYS, CHANNELS_PLAN, CONNECTIONS, STAFF_PLAN
from shared.aws import client
from shared.dal.api_keys import ApiKeyStore, ChannelInUse
from shared.observability import logger
from tests.integration.test_authorizer import EVENT

CONTEXT = LambdaContext("authorizer", 256, 5, "test")


@pytest.fixture
def apigateway(aws: Any) -> Any:
    return boto3.client("apigateway")


@pytest.fixture
def plan_ids(apigateway: Any) -> dict[str, str]:
    """The stack's usage plans (moto has no stack here: the plans are made directly)."""
    return {
        plan.output: apigateway.create_usage_plan(
            name=plan.id,
            throttle={"rateLimit": plan.throttle.rate_limit, "burstLimit": plan.throttle.burst_limit},
        )["id"]
        for plan in (CHANNELS_PLAN, STAFF_PLAN)
    }


@pytest.fixture
def store(aws: Any, apigateway: Any, plan_ids: dict[str, str]) -> ApiKeyStore:
    return ApiKeyStore(
        aws, API_KEYS.local_name, CONNECTIONS.local_name, ApiGatewayKeys(apigateway, lambda: plan_ids)
    )


def keys_on(apigateway: Any, plan_id: str) -> dict[str, str]:
    """API Gateway key id -> name, of the keys on a plan."""
    return {k["id"]: k["name"] for k in apigateway.get_usage_plan_keys(usagePlanId=plan_id)["items"]}


def api_gateway_keys(apigateway: Any) -> dict[str, str]:
    """API Gateway key id -> value, of every key."""
    return {k["id"]: k["value"] for k in apigateway.get_api_keys(includeValues=True)["items"]}


def authorize(key: str) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["headers"]["X-Api-Key"] = key
    return lambda_handler(event, CONTEXT)


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    out = io.StringIO()
    handler = logger.logger_handler
    assert isinstance(handler, logging.StreamHandler)
    previous = handler.setStream(out)
    try:
        yield out
    finally:
        handler.setStream(previous)  # type: ignore[arg-type]


def test_a_channel_key_gets_its_channels_api_gateway_key_and_the_authorizer_names_it(
    store: ApiKeyStore, apigateway: Any, plan_ids: dict[str, str], logged: io.StringIO
) -> None:
    store.put("oms_amazon_1", "channel", "amazon-eu", name="first")
    [(usage_key_id, name)] = keys_on(apigateway, plan_ids[CHANNELS_PLAN.output]).items()
    assert name == "oms-amazon-eu"
    value = api_gateway_keys(apigateway)[usage_key_id]

    calls: list[str] = []
    dynamodb = client("dynamodb")  # the authorizer's client

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    dynamodb.meta.events.register("before-parameter-build.dynamodb", count)
    try:
        policy = authorize("oms_amazon_1")
    finally:
        dynamodb.meta.events.unregister("before-parameter-build.dynamodb", count)

    assert policy["usageIdentifierKey"] == value
    assert policy["context"]["channel"] == "amazon-eu"
    assert calls == ["GetItem"]  # the value is on the key's item: no other call
    assert "authorized" in logged.getvalue()
    assert value not in logged.getvalue()


def test_a_channels_keys_share_one_api_gateway_key_which_goes_with_the_last(
    store: ApiKeyStore, apigateway: Any, plan_ids: dict[str, str]
) -> None:
    first = store.put("oms_amazon_1", "channel", "amazon-eu", name="first")
    second = store.put("oms_amazon_2", "channel", "amazon-eu", name="rotated")
    store.put("oms_ebay_1", "channel", "ebay-de", name="other")

    channels = keys_on(apigateway, plan_ids[CHANNELS_PLAN.output])
    assert sorted(channels.values()) == ["oms-amazon-eu", "oms-ebay-de"]  # per channel, not per key
    assert authorize("oms_amazon_1")["usageIdentifierKey"] == authorize("oms_amazon_2")["usageIdentifierKey"]
    assert authorize("oms_amazon_1")["usageIdentifierKey"] != authorize("oms_ebay_1")["usageIdentifierKey"]

    assert store.revoke(first) == 1
    assert sorted(keys_on(apigateway, plan_ids[CHANNELS_PLAN.output]).values()) == [
        "oms-amazon-eu",
        "oms-ebay-de",
    ]
    assert "usageIdentifierKey" in authorize("oms_amazon_2")

    assert store.revoke(second) == 1
    # Deleting an API key takes it off its plans in API Gateway; moto keeps the plan's entry, so what is
    # checked is that the API key itself is gone and the other channel's is not.
    assert [authorize("oms_ebay_1")["usageIdentifierKey"]] == list(api_gateway_keys(apigateway).values())


def test_staff_keys_share_the_staff_plans_key(
    store: ApiKeyStore, apigateway: Any, plan_ids: dict[str, str]
) -> None:
    store.put("oms_staff_1", "staff", None, name="console")
    store.put("oms_staff_2", "staff", None, name="script")

    assert list(keys_on(apigateway, plan_ids[STAFF_PLAN.output]).values()) == ["oms-staff"]
    assert not keys_on(apigateway, plan_ids[CHANNELS_PLAN.output])
    assert authorize("oms_staff_1")["usageIdentifierKey"] == authorize("oms_staff_2")["usageIdentifierKey"]


def test_a_refused_channel_leaves_no_api_gateway_key(aws: Any, store: ApiKeyStore, apigateway: Any) -> None:
    aws.put_item(
        TableName=CONNECTIONS.local_name,
        Item={"pk": {"S": "CHANNEL#shop-us"}, "owner": {"S": "connection"}, "platform": {"S": "shopify"}},
    )

    with pytest.raises(ChannelInUse):
        store.put("oms_shop_1", "channel", "shop-us", name="refused")

    assert api_gateway_keys(apigateway) == {}


def test_listings_never_show_the_api_gateway_keys_value(store: ApiKeyStore, apigateway: Any) -> None:
    store.put("oms_amazon_1", "channel", "amazon-eu", name="first")
    [value] = api_gateway_keys(apigateway).values()

    listed = json.dumps(store.list())

    assert value not in listed
    assert "usage_key_id" in listed  # the id is no secret: it says which API Gateway key to look at


def test_without_api_gateway_a_key_with_an_api_gateway_key_is_not_half_revoked(
    aws: Any, store: ApiKeyStore, apigateway: Any
) -> None:
    key_id = store.put("oms_amazon_1", "channel", "amazon-eu", name="first")
    local = ApiKeyStore(aws, API_KEYS.local_name, CONNECTIONS.local_name)  # no UsageKeys

    with pytest.raises(ValueError, match="--endpoint aws"):
        local.revoke(key_id)

    assert local.lookup("oms_amazon_1") is not None
    assert len(api_gateway_keys(apigateway)) == 1


# --- the CLI against "AWS" (moto) -------------------------------------------------------------


def deploy_outputs(outputs: dict[str, str], stack_name: str = "OmsStack") -> None:
    """A stack with the usage plans' outputs (moto's CloudFormation cannot build the real stack)."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {name: {"Value": value} for name, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName=stack_name, TemplateBody=json.dumps(template))


def aws_args(*args: str) -> list[str]:
    return [
        "--endpoint",
        "aws",
        "--table",
        API_KEYS.local_name,
        "--connections-table",
        CONNECTIONS.local_name,
        *args,
    ]


def test_the_cli_reads_the_plans_from_the_stack_outputs_and_revoking_removes_the_api_gateway_key(
    aws: Any, apigateway: Any, plan_ids: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_outputs(plan_ids, stack_name="OmsStaging")
    create = ["create", "--role", "channel", "--channel", "amazon-eu", "--name", "A"]

    assert cli.main(aws_args("--stack", "OmsStaging", *create)) == 0
    created = json.loads(capsys.readouterr().out)
    assert list(keys_on(apigateway, plan_ids[CHANNELS_PLAN.output]).values()) == ["oms-amazon-eu"]
    assert "usageIdentifierKey" in authorize(created["key"])

    assert cli.main(aws_args("list")) == 0
    listed = capsys.readouterr().out
    [value] = api_gateway_keys(apigateway).values()
    assert value not in listed

    assert cli.main(aws_args("revoke", created["key_id"])) == 0
    assert api_gateway_keys(apigateway) == {}


def test_the_cli_says_when_the_stack_has_no_plan_outputs(
    aws: Any, apigateway: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_outputs({"ApiUrl": "https://example.com/prod/"})  # under the default name, OmsStack

    assert cli.main(aws_args("create", "--role", "channel", "--channel", "amazon-eu")) == 1

    out, err = capsys.readouterr()
    assert out == "" and f"the stack has no output {CHANNELS_PLAN.output}" in err
    assert api_gateway_keys(apigateway) == {}
    assert all(k.get("channel") != "amazon-eu" for k in ApiKeyStore(aws, API_KEYS.local_name).list())


def test_the_cli_says_when_there_is_no_such_stack(
    aws: Any, apigateway: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(aws_args("--stack", "Nowhere", "create", "--role", "staff", "--name", "ops")) == 1

    out, err = capsys.readouterr()
    assert out == "" and "stack Nowhere" in err
    assert api_gateway_keys(apigateway) == {}
