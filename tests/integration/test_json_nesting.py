"""JSON nested deeper than 64 levels, at every entry point, through the real handlers: a 400 problem over
HTTP (never a 500), the dead-letter queue with its reason from the queues (never "not JSON")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_hooks import SECRET, connect, feed, shopify_hook
from tests.integration.test_marketplace_feed import Feed
from tests.support.http import ApiClient
from tests.support.inventory import StockFeed
from tests.unit.test_json_depth import nested

TOO_DEEP = "body is nested too deeply (more than 64 levels)"


def order_nested(levels: int) -> bytes:
    """An order whose customer's name is ``levels`` deep in all (the body object is level 1)."""
    return (
        '{"lines":[{"sku":"MUG","quantity":1}],"customer":{"email":"a@example.com","name":'
        + nested(levels - 2)
        + "}}"
    ).encode()


@pytest.mark.parametrize("levels", [65, 1_000])
def test_an_api_body_too_deep_is_a_400_problem_on_any_route(
    stocked: ApiClient, web: ApiClient, levels: int
) -> None:
    json_headers = {"Content-Type": "application/json"}
    for client, method, path, body in (
        (web, "POST", "/orders", order_nested(levels)),
        (stocked, "PUT", "/products/MUG", nested(levels).encode()),
        (stocked, "PUT", "/channels/shop-us/connection", nested(levels).encode()),
    ):
        reply = client.request(method, path, raw=body, headers=json_headers)
        assert reply.status == 400, (path, reply.body)
        assert reply.header("Content-Type") == "application/problem+json"
        problem = reply.json()
        assert problem["type"] == "urn:oms:problem:invalid-json"
        assert problem["detail"] == "The request body is nested more than 64 levels deep."
    assert stocked.get("/orders").json()["items"] == []


def test_an_api_body_at_64_levels_is_parsed_and_validated(stocked: ApiClient, web: ApiClient) -> None:
    reply = web.request("POST", "/orders", raw=order_nested(64), headers={"Content-Type": "application/json"})
    assert reply.status == 422  # the name is not a string: refused for what it says, not for its depth
    assert [e["field"] for e in reply.json()["errors"]] == ["body.customer.name"]


@pytest.mark.parametrize("levels", [65, 1_000])
def test_a_feed_message_too_deep_goes_to_the_dlq_saying_so(stocked: ApiClient, levels: int) -> None:
    queue = Feed()
    queue.send('{"marketplace":"generic","order":' + nested(levels - 1) + "}")
    queue.run()
    assert queue.responses == [{"batchItemFailures": []}]
    [dead] = queue.dead_letters()
    assert dead["MessageAttributes"]["oms_reason"]["StringValue"] == TOO_DEEP
    assert queue.in_flight() == 0


def test_a_feed_message_at_64_levels_is_refused_for_what_it_says(stocked: ApiClient) -> None:
    queue = Feed()
    queue.send('{"marketplace":"generic","order":' + nested(63) + "}")
    queue.run()
    [dead] = queue.dead_letters()
    reason = dead["MessageAttributes"]["oms_reason"]["StringValue"]
    assert reason.startswith("envelope: ") and "nested" not in reason


@pytest.mark.parametrize("levels", [65, 1_000])
def test_a_stock_message_too_deep_goes_to_the_dlq_saying_so(stocked: ApiClient, levels: int) -> None:
    stock = StockFeed()
    stock.sqs.send_message(QueueUrl=stock.url, MessageBody=nested(levels))
    stock.run()
    assert stock.responses == [{"batchItemFailures": []}]
    [dead] = stock.dead_letters()
    assert dead["MessageAttributes"]["oms_reason"]["StringValue"] == TOO_DEEP


def test_a_stock_message_at_64_levels_is_refused_for_what_it_says(stocked: ApiClient) -> None:
    stock = StockFeed()
    stock.sqs.send_message(QueueUrl=stock.url, MessageBody=nested(64))
    stock.run()
    [dead] = stock.dead_letters()
    assert "nested" not in dead["MessageAttributes"]["oms_reason"]["StringValue"]


@pytest.mark.parametrize("levels", [64, 1_000])
def test_a_signed_hook_too_deep_for_the_feed_is_a_400(
    admin: ApiClient, staff: ApiClient, aws: Any, levels: int
) -> None:
    """The feed message wraps the document in one more level: a document over 63 would be dead-lettered."""
    assert connect(admin, "shop-us", "shopify", SECRET).status == 201
    reply = shopify_hook(staff, body=('{"id":' + nested(levels - 1) + "}").encode())
    assert (reply.status, reply.json()["detail"]) == (400, "The body is nested more than 63 levels deep.")
    assert feed(aws) == []


def test_a_signed_hook_at_63_levels_reaches_the_feed(admin: ApiClient, staff: ApiClient, aws: Any) -> None:
    assert connect(admin, "shop-us", "shopify", SECRET).status == 201
    assert shopify_hook(staff, body=('{"id":' + nested(62) + "}").encode()).status == 200
    assert len(feed(aws)) == 1
