"""Issue 13, as it was found: a channel key on a feed channel, and an external_id reused with another body.

What happened: ``make keys-create ROLE=channel CHANNEL=shopify`` made a key on a channel the generic connector
writes (FEED_CHANNELS); that key POSTed order SHOP-1 with another customer and SKU, got 200 "replayed" with
the feed's order, and the new order was lost. Now the key is never made, an order from such a key is
refused, and an external_id already used by another body is a 409 naming the order it belongs to."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from functions.marketplace_feed import wiring as feed_wiring
from infra import keys as cli
from infra.spec import API_KEYS, CONNECTIONS
from shared.aws import reset
from shared.dal.api_keys import ApiKeyStore, hash_key
from shared.domain.channels import FEED_CHANNELS, FEED_OWNED_CHANNELS, MARKETPLACE_CHANNELS
from shared.services.feeds import MarketplaceFeed
from tests.integration.test_hooks import SECRET, connect
from tests.integration.test_keys_cli import endpoint  # noqa: F401 - the embedded moto server fixture
from tests.integration.test_marketplace_feed import Feed, sample_bodies, stocked_for_feeds  # noqa: F401
from tests.support.http import ApiClient
from tests.support.local_aws import RequestCounter

CUSTOMER = {"email": "ada@example.com", "name": "Ada"}
OTHER_CUSTOMER = {"email": "bob@example.com", "name": "Bob"}


# --- no key on a feed channel ---------------------------------------------------------------------------


def test_the_feed_channels_are_the_generic_connectors_and_the_marketplaces() -> None:
    assert {"etsy", "shopify"} <= FEED_CHANNELS
    assert (
        FEED_OWNED_CHANNELS
        == FEED_CHANNELS | MARKETPLACE_CHANNELS
        == FEED_CHANNELS | {"amazon", "ebay", "generic"}
    )


@pytest.mark.parametrize("channel", sorted(FEED_OWNED_CHANNELS))
def test_infra_keys_refuses_a_channel_key_on_a_feed_channel(
    endpoint: str,  # noqa: F811 - the fixture
    capsys: pytest.CaptureFixture[str],
    channel: str,
) -> None:
    """``python -m infra.keys create --role channel --channel shopify``: what ``make keys-create`` runs."""
    assert cli.main(["--endpoint", endpoint, "create", "--role", "channel", "--channel", channel]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no key printed
    assert f"channel {channel!r} belongs to the marketplace feed" in err and "pick another channel" in err

    assert cli.main(["--endpoint", endpoint, "list"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing stored
    dynamodb = boto3.client("dynamodb", endpoint_url=endpoint)
    claim = dynamodb.get_item(TableName=CONNECTIONS.local_name, Key={"pk": {"S": f"CHANNEL#{channel}"}})
    assert "Item" not in claim  # nor claimed


def test_the_store_refuses_it_too_whoever_calls_it(aws: Any) -> None:
    keys = ApiKeyStore(aws, API_KEYS.local_name, CONNECTIONS.local_name)
    with pytest.raises(ValueError, match="belongs to the marketplace feed"):
        keys.put("oms_feed-key", "channel", "shopify", name="would answer with the feed's orders")
    assert keys.lookup("oms_feed-key") is None


@pytest.mark.parametrize("channel", ["shopify", "etsy", "amazon"])
def test_no_connection_on_a_feed_channel(admin: ApiClient, channel: str) -> None:
    refused = connect(admin, channel, "shopify", SECRET)
    assert refused.status == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "channel"
    assert "belongs to the marketplace feed" in error["message"]
    assert admin.get(f"/channels/{channel}/connection").status == 422


def test_a_key_made_on_a_feed_channel_before_the_rule_places_no_order(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    aws: Any,
) -> None:
    """The issue's key was made before anything refused it: its orders are refused at the API."""
    aws.put_item(
        TableName=API_KEYS.local_name,
        Item={
            "pk": {"S": hash_key("oms_legacy-shopify")},
            "key_id": {"S": "legacy"},
            "role": {"S": "channel"},
            "channel": {"S": "shopify"},
        },
    )
    feed = Feed()
    (body,) = sample_bodies("generic")
    feed.send(json.dumps({**json.loads(body), "channel": "shopify"}))
    feed.run()
    [feed_order] = stocked_for_feeds.get("/orders", query={"channel": "shopify"}).json()["items"]

    legacy = ApiClient("oms_legacy-shopify")
    reply = legacy.post(
        "/orders",
        {
            "external_id": feed_order["external_id"],
            "customer": OTHER_CUSTOMER,
            "lines": [{"sku": "TSHIRT-RED-M", "quantity": 1}],
        },
    )

    assert reply.status == 403
    problem = reply.json()
    assert problem["type"] == "urn:oms:problem:feed-channel"
    assert "Channel shopify belongs to the marketplace feed" in problem["detail"]
    # nor sees, nor changes, the feed's orders on its channel
    assert legacy.get("/orders").json()["items"] == []
    found = legacy.get("/orders", query={"channel": "shopify", "external_id": feed_order["external_id"]})
    assert found.json()["items"] == []
    assert legacy.get(f"/orders/{feed_order['order_id']}").status == 404
    assert legacy.post(f"/orders/{feed_order['order_id']}/cancel", {"reason": "mine"}).status == 404
    assert stocked_for_feeds.get(f"/orders/{feed_order['order_id']}").json() == feed_order
    assert [o["order_id"] for o in stocked_for_feeds.get("/orders").json()["items"]] == [
        feed_order["order_id"]
    ]


# --- an external id reused with another body ------------------------------------------------------------


def test_a_key_and_the_feed_on_one_channel_never_answer_with_each_others_order(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's sequence, with the two writers forced onto one channel: a generic connector allowed into
    the web key's channel (a misconfiguration the rules above prevent). The claim still tells them apart."""
    monkeypatch.setattr(
        feed_wiring, "feed", lambda: MarketplaceFeed(feed_wiring.channel_order_service(), frozenset({"web"}))
    )
    feed = Feed()
    (body,) = sample_bodies("generic")
    message = json.loads(body)
    message["channel"] = "web"
    message["order"]["external_id"] = "SHOP-1"
    feed.send(json.dumps(message))
    feed.run()
    [feed_order] = stocked_for_feeds.get("/orders", query={"channel": "web"}).json()["items"]
    assert feed_order["external_id"] == "SHOP-1"

    reply = web.post(
        "/orders",
        {
            "external_id": "SHOP-1",
            "customer": OTHER_CUSTOMER,
            "lines": [{"sku": "TSHIRT-RED-M", "quantity": 1}],
        },
    )

    assert reply.status == 409
    assert reply.header("Content-Type") == "application/problem+json"
    problem = reply.json()
    assert problem["type"] == "urn:oms:problem:external-id-conflict"
    assert problem["order_id"] == feed_order["order_id"]
    assert problem["location"] == reply.header("Location") == f"/orders/{feed_order['order_id']}"
    assert stocked_for_feeds.get(f"/orders/{feed_order['order_id']}").json() == feed_order  # untouched
    assert len(stocked_for_feeds.get("/orders").json()["items"]) == 1
    assert stocked_for_feeds.get("/inventory/TSHIRT-RED-M").json()["reserved"] == 0


def test_the_same_external_id_and_body_is_a_replay_another_body_a_409(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
) -> None:
    body = {"external_id": "SHOP-1", "customer": CUSTOMER, "lines": [{"sku": "MUG-WHITE", "quantity": 2}]}
    created = web.post("/orders", body)
    assert created.status == 201
    order = created.json()

    # the same body, sent again with its keys in another order and an email domain in capitals
    again = web.post(
        "/orders",
        {
            "lines": [{"quantity": 2, "sku": "MUG-WHITE"}],
            "customer": {"name": "Ada", "email": "ada@EXAMPLE.com"},
            "external_id": "SHOP-1",
        },
    )
    assert again.status == 200
    assert again.header("Idempotent-Replayed") == "true"
    assert again.json() == order

    other = web.post(
        "/orders",
        {
            "external_id": "SHOP-1",
            "customer": OTHER_CUSTOMER,
            "lines": [{"sku": "TSHIRT-RED-M", "quantity": 1}],
        },
    )
    assert other.status == 409
    assert other.json()["order_id"] == order["order_id"]
    assert other.header("Location") == f"/orders/{order['order_id']}"

    assert web.get(f"/orders/{order['order_id']}").json() == order
    assert [o["order_id"] for o in web.get("/orders").json()["items"]] == [order["order_id"]]
    assert stocked_for_feeds.get("/inventory/MUG-WHITE").json()["reserved"] == 2
    assert stocked_for_feeds.get("/inventory/TSHIRT-RED-M").json()["reserved"] == 0


def test_another_channel_may_use_the_same_external_id(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
    pos: ApiClient,
) -> None:
    body = {"external_id": "SHOP-1", "customer": CUSTOMER, "lines": [{"sku": "MUG-WHITE", "quantity": 1}]}
    assert web.post("/orders", body).status == 201
    assert pos.post("/orders", {**body, "customer": OTHER_CUSTOMER}).status == 201


# --- prices and the currency -----------------------------------------------------------------------------


def test_a_catalog_priced_channel_may_not_send_a_price(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
    pos: ApiClient,
) -> None:
    lines = [{"sku": "MUG-WHITE", "quantity": 1}, {"sku": "MUG-WHITE", "quantity": 1, "unit_price": "0.00"}]
    refused = web.post("/orders", {"customer": CUSTOMER, "lines": lines})
    assert refused.status == 422
    assert refused.json()["errors"] == [
        {
            "field": "body.lines.1.unit_price",
            "message": "channel web takes catalog prices (in USD): leave unit_price out",
            "type": "catalog_priced",
        }
    ]
    assert stocked_for_feeds.get("/inventory/MUG-WHITE").json()["reserved"] == 0

    priced = pos.post("/orders", {"customer": CUSTOMER, "lines": lines})  # pos sends its own prices
    assert priced.status == 201
    assert priced.json()["total"] == "8.50"


def test_the_catalog_currency_is_oms_currency(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OMS_CURRENCY", "EUR")
    reset()
    order = web.post("/orders", {"customer": CUSTOMER, "lines": [{"sku": "MUG-WHITE", "quantity": 1}]})
    assert (order.status, order.json()["currency"]) == (201, "EUR")
    mismatch = web.post(
        "/orders", {"customer": CUSTOMER, "currency": "USD", "lines": [{"sku": "MUG-WHITE", "quantity": 1}]}
    )
    assert mismatch.status == 422
    assert "catalog prices are in EUR" in mismatch.json()["errors"][0]["message"]


# --- what it costs ------------------------------------------------------------------------------------


def test_a_conflict_is_one_request_and_a_replay_two(
    stocked_for_feeds: ApiClient,  # noqa: F811 - the fixture
    web: ApiClient,
    dynamodb_calls: RequestCounter,
) -> None:
    """As before: a new order is one TransactWriteItems, a replay the refused write plus one read of the
    order. A conflict stops at the refused write: the claim names the order."""
    body = {"external_id": "SHOP-9", "customer": CUSTOMER, "lines": [{"sku": "MUG-WHITE", "quantity": 1}]}
    web.post("/orders", {**body, "external_id": "warm-the-price-cache"})
    dynamodb_calls.reset()
    assert web.post("/orders", body).status == 201
    assert dynamodb_calls.calls == ["TransactWriteItems"]

    dynamodb_calls.reset()
    assert web.post("/orders", body).status == 200
    assert dynamodb_calls.calls == ["TransactWriteItems", "GetItem"]

    dynamodb_calls.reset()
    assert web.post("/orders", {**body, "customer": OTHER_CUSTOMER}).status == 409
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def test_the_openapi_document_names_the_catalog_currency_on_price_fields(staff: ApiClient) -> None:
    schemas = staff.get("/openapi.json").json()["components"]["schemas"]
    for schema, field in (("OrderLineIn", "unit_price"), ("ProductIn", "price"), ("NewOrder", "currency")):
        assert "OMS_CURRENCY" in schemas[schema]["properties"][field]["description"], (schema, field)
    assert "OWN_PRICE_CHANNELS" in schemas["OrderLineIn"]["properties"]["unit_price"]["description"]
    assert "409" in schemas["NewOrder"]["properties"]["external_id"]["description"]
