"""What staff have: GET /products (by SKU, or by name prefix) and GET /inventory (all, low, one location).

Both read indexes, never a Scan (the spec grants no Scan at all: see infra/spec.py TABLE_ACTIONS), and
page with opaque cursors that resume only their own query.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.dal.catalog import name_key
from tests.support.http import ApiClient

PRODUCTS = {
    "MUG-1": ("Mug, white", "8.00"),
    "MUG-2": ("MUG  Blue", "9.00"),
    "TEE-1": ("T-shirt", "19.99"),
    "BAG/1": ("Tote bag", "12.50"),
    "CUP": ("Mugwort tea cup", "4.00"),
}


@pytest.fixture
def catalog(staff: ApiClient) -> ApiClient:
    for sku, (name, price) in PRODUCTS.items():
        assert staff.put(f"/products/{sku.replace('/', '%2F')}", {"name": name, "price": price}).status == 201
    return staff


def every_page(client: ApiClient, path: str, query: dict[str, Any], limit: int) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        reply = client.get(
            path, query={**query, "limit": str(limit), **({"next_token": token} if token else {})}
        )
        assert reply.status == 200, reply.body
        pages.append(reply.json()["items"])
        token = reply.json().get("next_token")
        if not token:
            return pages


def test_products_are_listed_in_sku_order_page_by_page(catalog: ApiClient) -> None:
    pages = every_page(catalog, "/products", {}, limit=2)

    assert [len(page) for page in pages if page] == [2, 2, 1]
    products = [p for page in pages for p in page]
    assert [p["sku"] for p in products] == sorted(PRODUCTS)
    assert {p["sku"]: (p["name"], p["price"]) for p in products} == PRODUCTS


def test_a_name_prefix_matches_whatever_the_case_and_spaces(catalog: ApiClient) -> None:
    found = every_page(catalog, "/products", {"name_prefix": "mug "}, limit=1)

    assert [p["sku"] for page in found for p in page] == ["MUG-2"]  # a word: not "mug," nor "mugwort"
    assert [
        p["sku"] for page in every_page(catalog, "/products", {"name_prefix": "MUG"}, 10) for p in page
    ] == [
        "MUG-2",  # "mug blue" < "mug, white" < "mugwort tea cup": name order
        "MUG-1",
        "CUP",
    ]
    assert catalog.get("/products", query={"name_prefix": "zzz"}).json()["items"] == []


def test_a_renamed_product_moves_in_the_name_listing(catalog: ApiClient) -> None:
    assert catalog.put("/products/TEE-1", {"name": "Mug shaped tee", "price": "19.99"}).status == 200

    found = catalog.get("/products", query={"name_prefix": "mug s"}).json()["items"]

    assert [p["sku"] for p in found] == ["TEE-1"]
    assert catalog.get("/products", query={"name_prefix": "t-shirt"}).json()["items"] == []


def test_a_cursor_resumes_only_its_own_query(catalog: ApiClient) -> None:
    by_sku = catalog.get("/products", query={"limit": "1"}).json()["next_token"]
    by_name = catalog.get("/products", query={"limit": "1", "name_prefix": "mug"}).json()["next_token"]

    for query in (
        {"next_token": by_sku, "name_prefix": "mug"},
        {"next_token": by_name},
        {"next_token": by_name, "name_prefix": "tote"},
        {"next_token": "not-a-token"},
    ):
        reply = catalog.get("/products", query=query)
        assert reply.status == 400, query
        assert reply.json()["type"] == "urn:oms:problem:invalid-next-token"
    assert catalog.get("/inventory", query={"next_token": by_sku, "low_stock": "true"}).status == 400


def test_listings_are_for_staff(catalog: ApiClient, web: ApiClient) -> None:
    assert web.get("/products").status == 403
    assert web.get("/inventory").status == 403


def test_inventory_lists_every_sku_with_its_levels(catalog: ApiClient) -> None:
    assert catalog.put("/inventory/MUG-1", {"on_hand": 5}).status == 200
    assert catalog.put("/inventory/MUG-1", {"on_hand": 2, "location": "store-berlin"}).status == 200
    assert catalog.put("/inventory/TEE-1", {"on_hand": 7, "location": "store-berlin"}).status == 200

    pages = every_page(catalog, "/inventory", {}, limit=2)
    stock = {item["sku"]: item for page in pages for item in page}

    assert list(stock) == sorted(PRODUCTS)
    assert (stock["MUG-1"]["on_hand"], stock["CUP"]["on_hand"]) == (7, 0)
    assert {loc["location"]: loc["on_hand"] for loc in stock["MUG-1"]["locations"]} == {
        "default": 5,
        "store-berlin": 2,
    }

    berlin = every_page(catalog, "/inventory", {"location": "store-berlin"}, limit=1)
    at_berlin = {item["sku"]: item for page in berlin for item in page}
    assert list(at_berlin) == ["MUG-1", "TEE-1"]
    assert [loc["location"] for loc in at_berlin["MUG-1"]["locations"]] == ["store-berlin"]
    assert at_berlin["MUG-1"]["on_hand"] == 7  # the SKU's totals stay whole


def test_inventory_low_stock_lists_only_flagged_products(staff: ApiClient) -> None:
    from functions.inventory_events import wiring

    assert (
        staff.put("/products/LOW", {"name": "Low", "price": "1.00", "low_stock_threshold": 5}).status == 201
    )
    assert (
        staff.put("/products/FINE", {"name": "Fine", "price": "1.00", "low_stock_threshold": 1}).status == 201
    )
    assert staff.put("/inventory/LOW", {"on_hand": 3}).status == 200
    assert staff.put("/inventory/FINE", {"on_hand": 3}).status == 200
    wiring.inventory_store().flag_low("LOW", "2026-01-01T00:00:00Z")  # what the catalog stream does

    low = staff.get("/inventory", query={"low_stock": "true"}).json()["items"]

    assert [(i["sku"], i["available"], i["low_stock"], i["low_since"]) for i in low] == [
        ("LOW", 3, True, "2026-01-01T00:00:00Z")
    ]
    assert {i["sku"] for i in staff.get("/inventory").json()["items"]} == {"LOW", "FINE"}


def test_name_key_folds_case_width_and_spaces() -> None:
    assert name_key("  T-Shirt\u3000 RED ") == name_key("t-shirt red") == "t-shirt red"
    assert name_key("Straße") == name_key("STRASSE")
    assert (name_key("mug  ", prefix=True), name_key("mug  ")) == ("mug ", "mug")
    assert len(name_key("é" * 300)) == 250  # the index's sort key stays under 1024 bytes
