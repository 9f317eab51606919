"""Products and stock (staff API)."""

from __future__ import annotations

from typing import Any

from tests.support.http import ApiClient

TOTALS = ("sku", "on_hand", "reserved", "available")


def totals(stock: dict[str, Any]) -> dict[str, Any]:
    return {k: stock[k] for k in TOTALS}


def test_a_product_is_created_then_replaced_without_touching_stock(staff: ApiClient) -> None:
    created = staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    assert created.status == 201
    assert created.json()["price"] == "8.50"
    staff.put("/inventory/MUG", {"on_hand": 4})

    replaced = staff.put("/products/MUG", {"name": "Big mug", "price": "9.00"})

    assert replaced.status == 200
    assert staff.get("/products/MUG").json()["name"] == "Big mug"
    assert totals(staff.get("/inventory/MUG").json()) == {
        "sku": "MUG",
        "on_hand": 4,
        "reserved": 0,
        "available": 4,
    }


def test_a_new_product_has_no_stock(staff: ApiClient) -> None:
    staff.put("/products/PEN", {"name": "Pen", "price": "1.00"})
    assert totals(staff.get("/inventory/PEN").json()) == {
        "sku": "PEN",
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
    }


def test_unknown_products_are_404(staff: ApiClient) -> None:
    assert staff.get("/products/NOPE").status == 404
    assert staff.get("/inventory/NOPE").status == 404
    assert staff.put("/inventory/NOPE", {"on_hand": 3}).status == 404


def test_a_count_sets_on_hand_and_keeps_reservations(stocked: ApiClient, web: ApiClient) -> None:
    web.post(
        "/orders",
        {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 2}]},
    )

    recount = stocked.put("/inventory/MUG", {"on_hand": 7})

    assert totals(recount.json()) == {"sku": "MUG", "on_hand": 7, "reserved": 2, "available": 5}


def test_a_count_below_reservations_shows_the_shortfall_and_blocks_new_orders(
    stocked: ApiClient, web: ApiClient
) -> None:
    web.post(
        "/orders",
        {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 3}]},
    )

    assert stocked.put("/inventory/MUG", {"on_hand": 1}).json()["available"] == -2
    reply = web.post(
        "/orders",
        {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 1}]},
    )
    assert reply.status == 409


def test_stock_counts_are_whole_non_negative_numbers(staff: ApiClient) -> None:
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    assert staff.put("/inventory/MUG", {"on_hand": -1}).status == 422
    assert staff.put("/inventory/MUG", {"on_hand": "5"}).status == 422
    assert staff.put("/inventory/MUG", {"on_hand": 2.5}).status == 422


def test_a_products_status_is_active_unless_set_and_a_put_without_one_keeps_it(staff: ApiClient) -> None:
    assert staff.put("/products/HAT", {"name": "Hat", "price": "5.00"}).json()["status"] == "active"
    archived = staff.put("/products/HAT", {"name": "Hat", "price": "5.00", "status": "archived"})
    assert archived.status == 200 and archived.json()["status"] == "archived"
    kept = staff.put("/products/HAT", {"name": "Old hat", "price": "4.00"})
    assert kept.json()["status"] == "archived" and staff.get("/products/HAT").json()["status"] == "archived"
    assert staff.get("/products").json()["items"][0]["status"] == "archived"
    assert staff.put("/products/HAT", {"name": "Hat", "price": "5.00", "status": "gone"}).status == 422


def test_a_product_has_a_lead_time_and_service_level_defaults_unless_set(staff: ApiClient) -> None:
    plain = staff.put("/products/MUG", {"name": "Mug", "price": "8.50"}).json()
    assert (plain["lead_time_days"], plain["service_level"]) == (7, "0.95")

    body = {"name": "Mug", "price": "8.50", "lead_time_days": 21, "service_level": 0.99}
    assert staff.put("/products/MUG", body).status == 200
    read = staff.get("/products/MUG").json()
    assert (read["lead_time_days"], read["service_level"]) == (21, "0.99")

    # A PUT replaces: without them, the defaults again.
    staff.put("/products/MUG", {"name": "Mug", "price": "8.50"})
    read = staff.get("/products/MUG").json()
    assert (read["lead_time_days"], read["service_level"]) == (7, "0.95")


def test_a_service_level_outside_the_documented_set_or_a_lead_time_of_zero_is_422(staff: ApiClient) -> None:
    assert staff.put("/products/MUG", {"name": "Mug", "price": "8.50", "service_level": 0.96}).status == 422
    assert staff.put("/products/MUG", {"name": "Mug", "price": "8.50", "lead_time_days": 0}).status == 422
    assert staff.put("/products/MUG", {"name": "Mug", "price": "8.50", "lead_time_days": 2.5}).status == 422
