"""DynamoDB round trips per order and per stock message, counted through botocore events
(deterministic, not timed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.stock_updates import wiring as stock_updates
from tests.support.http import ApiClient
from tests.support.inventory import StockFeed
from tests.support.local_aws import RequestCounter

ORDER = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "TSHIRT", "quantity": 1}]}


def test_a_new_order_is_one_transact_write(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    web.post("/orders", ORDER)  # warms this environment's price cache
    dynamodb_calls.reset()

    reply = web.post("/orders", ORDER, headers={"Idempotency-Key": "once"})

    assert reply.status == 201
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def test_a_cold_environment_reads_prices_once_then_writes_once(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    assert web.post("/orders", ORDER).status == 201
    assert dynamodb_calls.calls == ["BatchGetItem", "TransactWriteItems"]


def test_an_order_with_explicit_prices_never_reads(
    stocked: ApiClient, pos: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    priced = {**ORDER, "lines": [{"sku": "TSHIRT", "quantity": 1, "unit_price": "19.99"}]}
    assert pos.post("/orders", priced).status == 201
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def test_a_replay_reserves_nothing_failed_write_plus_one_read(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    web.post("/orders", ORDER, headers={"Idempotency-Key": "r"})
    dynamodb_calls.reset()

    assert web.post("/orders", ORDER, headers={"Idempotency-Key": "r"}).status == 200
    assert dynamodb_calls.calls == ["TransactWriteItems", "GetItem"]


def test_a_stale_cached_price_costs_one_retry_never_a_wrong_charge(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    web.post("/orders", ORDER)  # caches 19.99
    stocked.put("/products/TSHIRT", {"name": "T-shirt", "price": "24.00"})
    dynamodb_calls.reset()

    reply = web.post("/orders", ORDER)

    assert reply.json()["total"] == "24.00"
    assert dynamodb_calls.calls == ["TransactWriteItems", "TransactWriteItems"]


# --- the warehouse stock feed ---------------------------------------------------------------------


def _stock(n: int, **fields: object) -> dict[str, object]:
    as_of = (datetime.now(UTC) + timedelta(milliseconds=n)).isoformat()
    return {"sku": "MUG", "source": "wms", "as_of": as_of, "update_id": f"u-{n}", **fields}


def test_a_stock_movement_is_one_transact_write(stocked: ApiClient, dynamodb_calls: RequestCounter) -> None:
    feed = StockFeed()
    feed.send(_stock(1, delta=2))
    dynamodb_calls.reset()
    feed.run()
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def test_a_count_reads_its_level_once_per_environment(
    stocked: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    forget_levels = stock_updates.stock_service()._cache
    forget_levels.put(("MUG", "wms"), None)
    feed = StockFeed()
    feed.send(_stock(1, on_hand=5, location="wms"), _stock(2, on_hand=7, location="other"))
    dynamodb_calls.reset()
    feed.run()
    assert dynamodb_calls.calls == ["BatchGetItem", "TransactWriteItems", "TransactWriteItems"]

    feed.send(_stock(3, on_hand=6, location="wms"))
    dynamodb_calls.reset()
    feed.run()
    assert dynamodb_calls.calls == ["TransactWriteItems"]


def test_ten_updates_of_one_sku_and_location_are_one_write(
    stocked: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    feed = StockFeed()
    feed.send(*[_stock(n, delta=1) for n in range(10)])
    dynamodb_calls.reset()
    feed.run()
    assert dynamodb_calls.calls == ["TransactWriteItems"]


# --- write units: the cost of every order comes before the cost of a replay -------------------------

# Measured on the code before issue 14 (tests/support/local_aws.py prices them): a new order may get
# cheaper, never dearer (a replay made one request cheaper by a snapshot in the claim would cost
# every order more).
NEW_ORDER_WRITE_UNITS = {"with an idempotency key": 10, "without": 8}


@pytest.mark.parametrize("keyed", [True, False], ids=["with an idempotency key", "without"])
def test_a_new_order_costs_no_more_write_units_than_before(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter, aws: Any, keyed: bool
) -> None:
    web.post("/orders", ORDER)  # warms this environment's price cache
    dynamodb_calls.reset()

    reply = web.post("/orders", ORDER, headers={"Idempotency-Key": "units"} if keyed else None)

    assert reply.status == 201
    assert dynamodb_calls.calls == ["TransactWriteItems"]
    units = dynamodb_calls.write_units(aws)
    assert units <= NEW_ORDER_WRITE_UNITS["with an idempotency key" if keyed else "without"]


def test_a_replay_costs_at_most_two_requests(
    stocked: ApiClient, web: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    web.post("/orders", ORDER, headers={"Idempotency-Key": "twice"})
    dynamodb_calls.reset()

    assert web.post("/orders", ORDER, headers={"Idempotency-Key": "twice"}).status == 200
    assert len(dynamodb_calls.calls) <= 2, dynamodb_calls.calls
