"""SKUs as the platforms allow them, end to end against moto: products, counts, adjustments, the
ledger, orders and the stock feed for SKUs holding '#', ':', '+', '/' and spaces (and one of 100
characters), each sent percent-encoded in the path as a client must; refusals as 422s naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.http import ApiClient
from tests.support.inventory import StockFeed

SKUS = ["A#1", "KIT:RED+BLUE", "TEE/RED/M", "MUG WHITE 11oz", "L" + "o" * 98 + "!"]


def at(sku: str) -> str:
    """A SKU as one path segment: every reserved character percent-encoded ('/' is %2F, '#' %23)."""
    return quote(sku, safe="")


def fields(reply: Any) -> list[tuple[str, str]]:
    assert reply.status == 422, reply.body
    assert reply.header("Content-Type") == "application/problem+json"
    return [(e["field"], e["type"]) for e in reply.json()["errors"]]


@pytest.fixture
def catalog(staff: ApiClient) -> ApiClient:
    """Each SKU a product with 10 on hand, and a plain "A" beside "A#1" (a prefix of it in any key)."""
    for n, sku in enumerate([*SKUS, "A"]):
        created = staff.put(f"/products/{at(sku)}", {"name": f"Product {n}", "price": "5.00"})
        assert created.status == 201, created.body
        assert created.json()["sku"] == sku
        assert staff.put(f"/inventory/{at(sku)}", {"on_hand": 10}).status == 200
    return staff


def test_the_sku_of_100_characters_is_one_of_them() -> None:
    assert len(SKUS[-1]) == 100


@pytest.mark.parametrize("sku", SKUS)
def test_a_product_and_its_stock_are_found_under_their_own_sku(catalog: ApiClient, sku: str) -> None:
    product = catalog.get(f"/products/{at(sku)}")
    assert product.status == 200
    assert (product.json()["sku"], product.json()["name"]) == (sku, f"Product {SKUS.index(sku)}")

    replaced = catalog.put(f"/products/{at(sku)}", {"name": "Renamed", "price": "6.00"})
    assert (replaced.status, replaced.json()["sku"], replaced.json()["price"]) == (200, sku, "6.00")

    stock = catalog.get(f"/inventory/{at(sku)}").json()
    assert (stock["sku"], stock["on_hand"], stock["reserved"], stock["available"]) == (sku, 10, 0, 10)


def test_a_sku_and_its_prefix_are_two_products(catalog: ApiClient) -> None:
    catalog.post(f"/inventory/{at('A#1')}/adjustments", {"delta": -4, "reason": "damaged"})

    assert catalog.get(f"/inventory/{at('A#1')}").json()["on_hand"] == 6
    assert catalog.get("/inventory/A").json()["on_hand"] == 10
    assert [m["kind"] for m in catalog.get("/inventory/A/movements").json()["items"]] == ["count"]


def test_an_unencoded_slash_is_another_path(catalog: ApiClient) -> None:
    # TEE/RED/M sent raw is three segments: no route has them (the gateway's 404, no call made).
    assert catalog.get("/products/TEE/RED/M").status == 404
    assert catalog.get("/products/TEE%2FRED%2FM").status == 200


@pytest.mark.parametrize("sku", SKUS)
def test_counts_adjustments_and_the_ledger(catalog: ApiClient, sku: str) -> None:
    path = f"/inventory/{at(sku)}"
    assert catalog.put(path, {"on_hand": 7, "location": "wms-eu-1"}).status == 200
    adjusted = catalog.post(
        f"{path}/adjustments", {"delta": -2, "reason": "damaged"}, headers={"Idempotency-Key": "adj-1"}
    )
    assert adjusted.status == 201
    again = catalog.post(
        f"{path}/adjustments", {"delta": -2, "reason": "damaged"}, headers={"Idempotency-Key": "adj-1"}
    )
    assert (again.status, again.header("Idempotent-Replayed")) == (200, "true")

    stock = catalog.get(path).json()
    assert (stock["sku"], stock["on_hand"], stock["available"]) == (sku, 15, 15)
    assert {loc["location"]: loc["on_hand"] for loc in stock["locations"]} == {"default": 8, "wms-eu-1": 7}
    first = catalog.get(f"{path}/movements", query={"limit": 2}).json()
    rest = catalog.get(f"{path}/movements", query={"limit": 2, "next_token": first["next_token"]}).json()
    ledger = [(m["sku"], m["kind"], m["change"], m["location"]) for m in first["items"] + rest["items"]]
    assert ledger == [
        (sku, "adjustment", -2, "default"),
        (sku, "count", 7, "wms-eu-1"),
        (sku, "count", 10, "default"),
    ]
    assert rest["next_token"] is None


def test_a_cursor_of_one_skus_ledger_does_not_page_another(catalog: ApiClient) -> None:
    catalog.put(f"/inventory/{at('A#1')}", {"on_hand": 3})
    token = catalog.get(f"/inventory/{at('A#1')}/movements", query={"limit": 1}).json()["next_token"]
    assert token

    assert catalog.get("/inventory/A/movements", query={"next_token": token}).status == 400
    assert catalog.get(f"/inventory/{at('A#1')}/movements", query={"next_token": token}).status == 200


def test_an_order_reserves_each_sku(catalog: ApiClient, web: ApiClient) -> None:
    order = {
        "customer": {"email": "jane@example.com", "name": "Jane"},
        "lines": [{"sku": sku, "quantity": n + 1} for n, sku in enumerate(SKUS)],
    }

    placed = web.post("/orders", order, headers={"Idempotency-Key": "cart-1"})

    assert placed.status == 201, placed.body
    assert [(line["sku"], line["quantity"]) for line in placed.json()["lines"]] == [
        (sku, n + 1) for n, sku in enumerate(SKUS)
    ]
    for n, sku in enumerate(SKUS):
        stock = catalog.get(f"/inventory/{at(sku)}").json()
        assert (stock["reserved"], stock["available"]) == (n + 1, 10 - n - 1), sku
    assert catalog.get("/inventory/A").json()["reserved"] == 0
    read = web.get(f"/orders/{placed.json()['order_id']}").json()
    assert [line["sku"] for line in read["lines"]] == SKUS


def test_a_short_sku_is_named_in_the_409(catalog: ApiClient, web: ApiClient) -> None:
    order = {
        "customer": {"email": "jane@example.com", "name": "Jane"},
        "lines": [{"sku": "A#1", "quantity": 11}, {"sku": "TEE/RED/M", "quantity": 1}],
    }

    refused = web.post("/orders", order)

    assert refused.status == 409
    assert refused.json()["shortages"] == [{"sku": "A#1", "requested": 11, "available": 10}]
    assert catalog.get(f"/inventory/{at('TEE/RED/M')}").json()["reserved"] == 0


def test_stock_updates_over_sqs(catalog: ApiClient) -> None:
    feed = StockFeed()
    now = datetime.now(UTC).isoformat()
    feed.send(
        *(
            {"sku": sku, "location": "wms-eu-1", "delta": n + 1, "as_of": now, "update_id": f"rcv-{n}",
             "source": "wms-eu-1"}
            for n, sku in enumerate(SKUS)
        ),
        {"sku": "A#1", "location": "wms-eu-1", "delta": 1, "as_of": now, "update_id": "rcv-0",
         "source": "wms-eu-1"},  # the same update again: applied once
    )  # fmt: skip
    feed.run()

    assert feed.responses[-1] == {"batchItemFailures": []}
    assert feed.dead_letters() == []
    for n, sku in enumerate(SKUS):
        stock = catalog.get(f"/inventory/{at(sku)}").json()
        assert stock["on_hand"] == 10 + n + 1, sku
        latest = catalog.get(f"/inventory/{at(sku)}/movements").json()["items"][0]
        assert (latest["sku"], latest["kind"], latest["change"], latest["update_id"]) == (
            sku,
            "delta",
            n + 1,
            f"rcv-{n}",
        )
    assert catalog.get("/inventory/A").json()["on_hand"] == 10


def test_a_stock_update_with_a_bad_sku_goes_to_the_dlq_naming_the_field(catalog: ApiClient) -> None:
    feed = StockFeed()
    now = datetime.now(UTC).isoformat()
    feed.send(
        {"sku": "A\x07B", "delta": 1, "as_of": now, "update_id": "u-1", "source": "wms"},
        {"sku": "X" * 101, "delta": 1, "as_of": now, "update_id": "u-2", "source": "wms"},
    )
    feed.run()

    reasons = sorted(m["MessageAttributes"]["oms_reason"]["StringValue"] for m in feed.dead_letters())
    assert len(reasons) == 2
    assert all(reason.startswith("stock update: sku: ") for reason in reasons), reasons


@pytest.mark.parametrize(
    ("segment", "error"),
    [
        ("A%07B", "string_pattern_mismatch"),  # a control character (BEL)
        ("A%C2%85B", "string_pattern_mismatch"),  # C1 (NEL)
        ("%20MUG", "string_pattern_mismatch"),  # outer whitespace
        ("X" * 101, "string_too_long"),
        ("%FF", "string_unicode"),  # not UTF-8
    ],
)
def test_a_bad_sku_in_the_path_is_a_422_naming_the_field(staff: ApiClient, segment: str, error: str) -> None:
    assert fields(staff.put(f"/products/{segment}", {"name": "x", "price": "1.00"})) == [("path.sku", error)]
    assert fields(staff.get(f"/inventory/{segment}")) == [("path.sku", error)]
    assert fields(staff.put(f"/inventory/{segment}", {"on_hand": 1})) == [("path.sku", error)]
    adjustment = {"delta": 1, "reason": "found"}
    assert fields(staff.post(f"/inventory/{segment}/adjustments", adjustment)) == [("path.sku", error)]
    assert fields(staff.get(f"/inventory/{segment}/movements")) == [("path.sku", error)]


@pytest.mark.parametrize(
    ("sku", "error"),
    [
        ("A\x00B", "string_pattern_mismatch"),
        ("A\x7f", "string_pattern_mismatch"),
        ("X" * 101, "string_too_long"),
    ],
)
def test_a_bad_sku_in_an_order_is_a_422_naming_the_line(
    catalog: ApiClient, web: ApiClient, sku: str, error: str
) -> None:
    order = {
        "customer": {"email": "jane@example.com", "name": "Jane"},
        "lines": [{"sku": "A#1", "quantity": 1}, {"sku": sku, "quantity": 1}],
    }

    assert fields(web.post("/orders", order)) == [("body.lines.1.sku", error)]
    assert catalog.get(f"/inventory/{at('A#1')}").json()["reserved"] == 0
