"""The authorizer function with the sample event, against moto."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from functions.authorizer.handler import lambda_handler
from infra.local.workers import LambdaContext
from shared.dal.api_keys import hash_key, key_id

EVENT = json.loads(Path("events/authorizer/request.json").read_text())
CONTEXT = LambdaContext("authorizer", 256, 5, "test")


def with_key(key: str | None) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["headers"].pop("X-Api-Key")
    if key is not None:
        event["headers"]["x-api-key"] = key  # header names are case-insensitive
    return event


def test_a_channel_key_is_allowed_everywhere_with_its_role_and_channel(aws: Any) -> None:
    policy = lambda_handler(with_key("dev-web-key"), CONTEXT)

    assert policy["principalId"] == key_id(hash_key("dev-web-key"))
    assert policy["context"] == {
        "role": "channel",
        "channel": "web",
        "key_id": policy["principalId"],
        "name": "",  # a channel's key names no person
    }
    [statement] = policy["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    # One policy for every route, so API Gateway's cached answer is right for any route.
    assert statement["Resource"][0].endswith("/local/*/*")


def test_a_staff_key_has_no_channel_and_names_its_person(aws: Any) -> None:
    context = lambda_handler(with_key("dev-staff-key"), CONTEXT)["context"]
    assert context == {
        "role": "staff",
        "channel": "",
        "key_id": key_id(hash_key("dev-staff-key")),
        "name": "dev-staff",
    }


@pytest.mark.parametrize("key", ["unknown", None])
def test_an_unknown_or_missing_key_is_unauthorized(aws: Any, key: str | None) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        lambda_handler(with_key(key), CONTEXT)


def test_keys_are_stored_only_as_hashes(aws: Any) -> None:
    from infra.spec import API_KEYS

    items = aws.scan(TableName=API_KEYS.local_name)["Items"]
    assert items
    assert not any("dev-web-key" in json.dumps(item) for item in items)


@pytest.mark.parametrize(
    ("usage_key", "path"),
    [
        (None, None),
        ("usage-key-value", None),
        # A SKU may hold ':' (and end with one): the path's colons are not the ARN's.
        (None, "GET/inventory/A:B/movements"),
        (None, "GET/products/A:"),
    ],
)
def test_the_policy_is_the_one_powertools_builds(usage_key: str | None, path: str | None) -> None:
    from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
        APIGatewayAuthorizerRequestEvent,
        APIGatewayAuthorizerResponse,
    )

    from functions.authorizer.handler import allow_all_routes

    context = {"role": "channel", "channel": "web", "key_id": "k1"}
    event = dict(EVENT)
    if path is not None:
        *arn_head, resource = EVENT["methodArn"].split(":", 5)
        api_id, stage = resource.split("/")[:2]
        event["methodArn"] = ":".join([*arn_head, f"{api_id}/{stage}/{path}"])
    arn = APIGatewayAuthorizerRequestEvent(event).parsed_arn
    expected = APIGatewayAuthorizerResponse(
        principal_id="k1",
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context=context,
        usage_identifier_key=usage_key,
    )
    expected.allow_all_routes()

    assert allow_all_routes(event["methodArn"], "k1", context, usage_key) == expected.asdict()
