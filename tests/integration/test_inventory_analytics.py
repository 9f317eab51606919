"""Inventory performance against moto: out-of-stock days from the catalog stream (carried forward by the
nightly roll-up), units shipped per location exactly once, the roll-up of units sold, and the route."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from functions.inventory_rollup import handler as rollup_handler
from infra.local.workers import LambdaContext
from infra.spec import INVENTORY_EVENTS, INVENTORY_STATS, SALES_AGGREGATES
from shared.config import settings
from shared.dal import keys
from shared.dal.dynamo import from_item
from shared.dal.inventory_stats import InventoryStatsStore
from shared.reports.days import today, zone
from tests.support.http import ApiClient
from tests.support.streams import StreamDriver


def business_today() -> dt.date:
    return today(dt.datetime.now(dt.UTC), zone(settings().timezone))


def month_item(dynamodb: Any, sku: str, day: str) -> dict[str, Any]:
    found = dynamodb.get_item(TableName=INVENTORY_STATS.local_name, Key=keys.month_key(sku, day[:7]))
    return from_item(found.get("Item")) or {}


def stock_outs(dynamodb: Any, day: str) -> list[dict[str, Any]]:
    return InventoryStatsStore(dynamodb, INVENTORY_STATS.local_name).stock_outs(day)


def roll_up(on: dt.date) -> dict[str, Any]:
    """The scheduled run at 00:20 (UTC here: the scheduled time's business day is ``on``)."""
    event = {"schedule": "inventory-rollup", "scheduled_time": f"{on.isoformat()}T12:00:00Z"}
    result: dict[str, Any] = rollup_handler.lambda_handler(
        event, LambdaContext("inventory_rollup", 512, 300, "test")
    )
    return result


def order(client: ApiClient, sku: str, quantity: int) -> str:
    reply = client.post(
        "/orders",
        {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": sku, "quantity": quantity}]},
    )
    assert reply.status == 201, reply.body
    return str(reply.json()["order_id"])


@pytest.fixture
def events(aws: Any) -> StreamDriver:
    return StreamDriver(INVENTORY_EVENTS)


def test_a_sku_at_zero_is_out_of_stock_that_day_and_every_day_after_until_it_comes_back(
    aws: Any, staff: ApiClient, events: StreamDriver
) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    staff.put("/products/PEN", {"name": "Pen", "price": "1.00"})  # never stocked: never out of stock
    staff.put("/inventory/MUG", {"on_hand": 3})
    staff.put("/inventory/MUG", {"on_hand": 0})
    events.drain()
    day = business_today()
    first = day.isoformat()

    assert month_item(aws, "MUG", first)[keys.out_attribute(first)] == 1
    assert stock_outs(aws, first) == [{"sku": "MUG", "day": first, "locations": ["default"]}]

    # No stock change for three days: the roll-ups carry it forward.
    for n in (1, 2, 3):
        assert roll_up(day + dt.timedelta(days=n))["out_of_stock"] == 1
    later = [(day + dt.timedelta(days=n)).isoformat() for n in (1, 2, 3)]
    for when in later:
        assert [s["sku"] for s in stock_outs(aws, when)] == ["MUG"]
        assert month_item(aws, "MUG", when)[keys.out_attribute(when)] == 1

    # Back in stock: the next roll-up carries nothing.
    staff.put("/inventory/MUG", {"on_hand": 5})
    events.drain()
    assert roll_up(day + dt.timedelta(days=4))["out_of_stock"] == 0
    fourth = (day + dt.timedelta(days=4)).isoformat()
    assert stock_outs(aws, fourth) == []
    assert keys.out_attribute(fourth) not in month_item(aws, "MUG", fourth)


def test_a_sku_whose_stock_is_all_reserved_is_out_of_stock_at_its_locations(
    aws: Any, staff: ApiClient, web: ApiClient, events: StreamDriver
) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    staff.put("/inventory/MUG", {"on_hand": 2, "location": "berlin"})
    order(web, "MUG", 2)  # available 0, on hand 2: nothing left to sell
    events.drain()
    first = business_today().isoformat()
    assert stock_outs(aws, first) == [{"sku": "MUG", "day": first, "locations": ["berlin"]}]


def test_units_shipped_per_location_are_added_exactly_once(
    aws: Any, staff: ApiClient, web: ApiClient, events: StreamDriver
) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    staff.put("/inventory/MUG", {"on_hand": 5, "location": "berlin"})
    staff.put("/inventory/MUG", {"on_hand": 5, "location": "paris"})
    first, second = order(web, "MUG", 2), order(web, "MUG", 3)
    ship = {"carrier": "ups", "tracking_number": "1Z1", "location": "berlin"}
    assert staff.post(f"/orders/{first}/shipments", ship).status in (200, 201)
    ship = {"carrier": "ups", "tracking_number": "1Z2", "location": "paris"}
    assert staff.post(f"/orders/{second}/shipments", ship).status in (200, 201)
    events.drain()
    events.replay()  # every record delivered again: nothing is added twice
    day = business_today().isoformat()

    item = month_item(aws, "MUG", day)
    assert item[keys.shipped_attribute(day, "berlin")] == 2
    assert item[keys.shipped_attribute(day, "paris")] == 3

    figures = staff.get("/analytics/inventory?sku=MUG&days=7").json()["items"][0]
    assert figures["daily"][-1]["shipped"] == {"berlin": 2, "paris": 3}
    assert [(loc["location"], loc["on_hand"], loc["shipped"]) for loc in figures["locations"]] == [
        ("berlin", 3, 2),
        ("paris", 2, 3),
    ]
    only_paris = staff.get("/analytics/inventory?sku=MUG&days=7&location=paris").json()["items"][0]
    assert only_paris["daily"][-1]["shipped"] == {"paris": 3}
    assert [loc["location"] for loc in only_paris["locations"]] == ["paris"]


def test_the_roll_up_sets_units_sold_from_the_daily_counters_and_a_re_roll_writes_the_same(
    aws: Any, staff: ApiClient, web: ApiClient
) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    staff.put("/inventory/MUG", {"on_hand": 20})
    order(web, "MUG", 2)
    cancelled = order(web, "MUG", 3)
    assert staff.post(f"/orders/{cancelled}/cancel", {"reason": "changed mind"}).status == 200
    order(web, "MUG", 4)
    StreamDriver(SALES_AGGREGATES).drain()
    day = business_today()

    # Today is read live from the counters: 2 + 4 (the cancelled 3 taken back)
    live = staff.get("/analytics/inventory?sku=MUG&days=7").json()["items"][0]
    assert live["daily"][-1]["sold"] == 6

    roll_up(day + dt.timedelta(days=1))
    roll_up(day + dt.timedelta(days=2))  # today re-rolled: the same
    assert month_item(aws, "MUG", day.isoformat())[keys.sold_attribute(day.isoformat())] == 6


def test_the_route_answers_per_sku_with_its_statistics(aws: Any, staff: ApiClient, viewer: ApiClient) -> None:
    for sku in ("A", "B", "C"):
        staff.put(
            f"/products/{sku}", {"name": sku, "price": "1.00", "lead_time_days": 10, "service_level": 0.99}
        )
        staff.put(f"/inventory/{sku}", {"on_hand": 4})
    page = viewer.get("/analytics/inventory?limit=2")
    assert page.status == 200, page.body
    body = page.json()
    assert [item["sku"] for item in body["items"]] == ["A", "B"]
    assert body["items"][0]["reorder"]["lead_time_days"] == 10
    assert body["items"][0]["reorder"]["service_level"] == "0.99"
    assert body["items"][0]["dead_stock"] is True  # on hand, nothing sold in 90 days
    # 1 index query + 1 product BatchGetItem + 1 month-item BatchGetItem (4 months x 2 SKUs) + today's
    # counters (a query per shard, ANALYTICS_SHARDS, and one of the day's unsharded partition)
    assert body["statistics"]["requests"] == 3 + keys.ANALYTICS_SHARDS + 1
    assert body["statistics"]["items_read"] == 2 + 2  # index keys and products; no aggregates yet
    rest = viewer.get(f"/analytics/inventory?limit=2&next_token={body['next_token']}").json()
    assert [item["sku"] for item in rest["items"]] == ["C"]
    assert rest["next_token"] is None


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2026-02-30",
        "as_of=yesterday",
        "as_of=0001-01-01",
        "days=0",
        "days=366",
        "limit=1001",
        "location=no%20spaces",
        "slow_mover_rate=-1",
        "target_cover_days=0",
    ],
)
def test_invalid_parameters_are_problems(aws: Any, viewer: ApiClient, query: str) -> None:
    reply = viewer.get(f"/analytics/inventory?{query}")
    assert reply.status == 422, reply.body
    assert (reply.header("content-type") or "").startswith("application/problem+json")


def test_a_future_day_and_a_foreign_cursor_are_refused(aws: Any, viewer: ApiClient) -> None:
    future = (business_today() + dt.timedelta(days=2)).isoformat()
    assert viewer.get(f"/analytics/inventory?as_of={future}").status == 422
    assert viewer.get("/analytics/inventory?next_token=eyJrZXkiOnt9fQ").status == 400


def test_90_days_over_1000_skus_is_a_bounded_number_of_requests(aws: Any, viewer: ApiClient) -> None:
    """One page of 1,000 SKUs over 90 days that touch four months: 1 index Query, 10 product
    BatchGetItems, 40 month-item BatchGetItems (100 keys each). However many orders made those figures."""
    from infra.spec import CATALOG

    def write(table: str, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 25):
            batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            aws.batch_write_item(RequestItems={table: batch})

    skus = [f"SKU-{n:04d}" for n in range(1000)]
    write(
        CATALOG.local_name,
        [
            {
                "pk": {"S": sku},
                "sk": {"S": "SKU"},
                "listed": {"S": "PRODUCT"},
                "name": {"S": sku},
                "price": {"N": "1"},
                "on_hand": {"N": "5"},
                "reserved": {"N": "0"},
                "available": {"N": "5"},
            }
            for sku in skus
        ],
    )
    months = ("2026-07", "2026-08", "2026-09", "2026-10")  # 90 days ending on 2026-10-05 start on 07-08
    write(
        INVENTORY_STATS.local_name,
        [
            {**keys.month_key(sku, month), "sku": {"S": sku}, "sold_15": {"N": "2"}}
            for sku in skus
            for month in months
        ],
    )

    body = viewer.get("/analytics/inventory?as_of=2026-10-05&days=90&limit=1000").json()

    assert len(body["items"]) == 1000
    assert body["statistics"] == {"requests": 1 + 10 + 40, "items_read": 1000 + 1000 + 4000}
    # 2 sold on the 15th of Jul, Aug and Sep (inside the window), Oct's 15th is after as_of: 6 in 90 days
    assert body["items"][0]["sold"][2] == {"days": 90, "units": 6, "per_day": "0.07"}
