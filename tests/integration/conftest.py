"""Integration tests: the real handlers against moto, in this process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions.authorizer import handler as authorizer
from functions.marketplace_feed import handler as marketplace_feed
from infra.local.keys import DEFAULT_KEYS, parse_keys
from infra.local.resources import ensure_queues, ensure_tables, local_environment
from infra.spec import API_KEYS, MARKETPLACE_ORDERS_DLQ
from shared import deps
from shared.aws import client
from shared.dal.api_keys import ApiKeyStore
from tests.support.http import ApiClient


@pytest.fixture
def aws() -> Iterator[Any]:
    with mock_aws():
        os.environ.update(local_environment())
        deps.reset()
        authorizer.key_store.cache_clear()
        dynamodb = boto3.client("dynamodb")
        ensure_tables(dynamodb)
        queue_urls = ensure_queues(boto3.client("sqs"))
        os.environ[MARKETPLACE_ORDERS_DLQ.env_var] = queue_urls[MARKETPLACE_ORDERS_DLQ.local_name]
        marketplace_feed.feed.cache_clear()
        marketplace_feed.dead_letters.cache_clear()
        keys = ApiKeyStore(dynamodb, API_KEYS.local_name)
        for key in parse_keys(DEFAULT_KEYS):
            keys.put(key.key, key.role, key.channel, name="test")  # type: ignore[arg-type]
        yield dynamodb
        deps.reset()
        marketplace_feed.feed.cache_clear()
        marketplace_feed.dead_letters.cache_clear()
        authorizer.key_store.cache_clear()


@pytest.fixture
def staff(aws: Any) -> ApiClient:
    return ApiClient("dev-staff-key")


@pytest.fixture
def web(aws: Any) -> ApiClient:
    return ApiClient("dev-web-key")


@pytest.fixture
def pos(aws: Any) -> ApiClient:
    return ApiClient("dev-pos-key")


@pytest.fixture
def stocked(staff: ApiClient) -> ApiClient:
    """A catalog with two products in stock."""
    assert staff.put("/products/TSHIRT", {"name": "T-shirt", "price": "19.99"}).status == 201
    assert staff.put("/inventory/TSHIRT", {"on_hand": 10}).status == 200
    assert staff.put("/products/MUG", {"name": "Mug", "price": "8.50"}).status == 201
    assert staff.put("/inventory/MUG", {"on_hand": 3}).status == 200
    return staff


class RequestCounter:
    """Counts the API function's DynamoDB calls (botocore events on the shared client).

    In-process the authorizer shares that client; its key lookup is another function's work (and
    cached by API Gateway), so calls to the API keys table are left out of the count.
    """

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") != API_KEYS.local_name:
            self.calls.append(model.name)

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def dynamodb_calls(aws: Any) -> RequestCounter:
    counter = RequestCounter()
    client("dynamodb").meta.events.register("before-parameter-build.dynamodb", counter)
    return counter
