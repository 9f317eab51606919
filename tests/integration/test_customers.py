"""Customers against moto: linking by email across channels, staff corrections, erasure."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from infra.spec import CUSTOMERS, ORDERS
from shared.domain.auth import Principal
from shared.models.orders import NewOrder
from shared.services.orders import Placed
from tests.integration.test_marketplace_feed import Feed, sample_bodies
from tests.support.http import ApiClient
from tests.support.server import moto_server

SAM = {"email": "Sam.Example@EXAMPLE.com ", "name": "Sam Example", "phone": "+1 312 555 0187"}
ADDRESS = {
    "name": "Sam Example",
    "line1": "2150 N Lincoln Ave",
    "city": "Chicago",
    "postal_code": "60614",
    "country": "US",
}
# Every piece of Sam's personal data that any table may hold before the erasure.
PERSONAL = ("sam.example", "Sam Example", "312 555 0187", "3125550187", "Lincoln", "60614")


def order(customer: dict[str, Any] = SAM, quantity: int = 1) -> dict[str, Any]:
    return {
        "customer": customer,
        "shipping_address": ADDRESS,
        "lines": [{"sku": "TSHIRT-RED-M", "quantity": quantity}],
    }


def stock_up(staff: ApiClient) -> None:
    for sku in ("TSHIRT-RED-M", "MUG-WHITE"):
        assert staff.put(f"/products/{sku}", {"name": sku, "price": "19.99"}).status == 201
        assert staff.put(f"/inventory/{sku}", {"on_hand": 50}).status == 200


def everything_in(aws: Any, table: str) -> str:
    """The whole table as text (a test may scan; the OMS never does)."""
    items = aws.scan(TableName=table)["Items"]
    return json.dumps(items)


def test_orders_from_every_channel_link_to_one_customer_by_email(
    staff: ApiClient, web: ApiClient, pos: ApiClient
) -> None:
    stock_up(staff)
    first = web.post("/orders", order()).json()
    second = pos.post("/orders", order({**SAM, "email": "sam.example@example.com"})).json()
    feed = Feed()
    feed.send(*sample_bodies("ebay"))  # eBay's buyer is sam.example@example.com too
    assert feed.run() == 1
    other = web.post("/orders", order({"email": "someone@example.com", "name": "Someone"})).json()

    customer_id = first["customer_id"]
    assert customer_id and second["customer_id"] == customer_id
    assert other["customer_id"] not in (None, customer_id)
    found = staff.get("/customers", query={"email": "  SAM.EXAMPLE@example.com"}).json()["items"]
    assert [c["customer_id"] for c in found] == [customer_id]
    customer = found[0]
    assert customer["order_count"] == 3
    assert customer["first_channel"] == "web"
    assert customer["addresses"][0]["line1"] == "2150 N Lincoln Ave"

    page = staff.get(f"/customers/{customer_id}/orders", query={"limit": 2}).json()
    rest = staff.get(
        f"/customers/{customer_id}/orders", query={"limit": 2, "next_token": page["next_token"]}
    ).json()
    listed = [o["order_id"] for o in page["items"] + rest["items"]]
    assert len(listed) == 3 and rest["next_token"] is None
    assert listed[1:] == [second["order_id"], first["order_id"]]  # newest first (the feed's came last)
    assert staff.get("/customers", query={"email": "nobody@example.com"}).json()["items"] == []
    assert staff.get("/customers/nope").status == 404
    assert web.get(f"/customers/{customer_id}").status == 403  # staff only


def test_staff_correct_a_customer_and_the_email_moves_with_it(staff: ApiClient, web: ApiClient) -> None:
    stock_up(staff)
    sam = web.post("/orders", order()).json()["customer_id"]
    someone = web.post("/orders", order({"email": "someone@example.com", "name": "Someone"})).json()[
        "customer_id"
    ]

    taken = staff.patch(f"/customers/{sam}", {"email": "someone@example.com"})
    fixed = staff.patch(f"/customers/{sam}", {"email": "sam@new.example", "name": "Sam E.", "phone": None})

    assert taken.status == 409
    assert fixed.status == 200, fixed.body
    assert (fixed.json()["email"], fixed.json()["name"], fixed.json()["phone"]) == (
        "sam@new.example",
        "Sam E.",
        None,
    )
    assert (
        staff.get("/customers", query={"email": "sam@new.example"}).json()["items"][0]["customer_id"] == sam
    )
    assert staff.get("/customers", query={"email": "sam.example@example.com"}).json()["items"] == []
    assert web.post("/orders", order({**SAM, "email": "sam@new.example"})).json()["customer_id"] == sam
    assert web.post("/orders", order()).json()["customer_id"] not in (sam, someone)  # the old email is free
    assert staff.patch(f"/customers/{sam}", {}).status == 422
    assert staff.patch("/customers/nope", {"name": "x"}).status == 404


def test_erasure_leaves_no_personal_data_and_keeps_the_totals(
    staff: ApiClient, admin: ApiClient, web: ApiClient, aws: Any
) -> None:
    stock_up(staff)
    orders = [web.post("/orders", order(quantity=q)).json() for q in (1, 2, 3)]
    shipped = orders[2]["order_id"]
    assert (
        staff.post(f"/orders/{shipped}/shipments", {"carrier": "ups", "tracking_number": "1Z9"}).status == 201
    )
    customer_id = orders[0]["customer_id"]
    before = {o["order_id"]: staff.get(f"/orders/{o['order_id']}").json() for o in orders}
    assert "Lincoln" in everything_in(aws, ORDERS.local_name)  # the check below can see personal data

    assert staff.delete(f"/customers/{customer_id}").status == 403  # erasure is an admin's
    erased = admin.delete(f"/customers/{customer_id}")

    assert erased.status == 200, erased.body
    assert erased.json()["orders_erased"] == 3
    for table in (ORDERS.local_name, CUSTOMERS.local_name):
        text = everything_in(aws, table).lower()
        assert not [p for p in PERSONAL if p.lower() in text], table
    for order_id, was in before.items():
        now = staff.get(f"/orders/{order_id}").json()
        assert now["customer"] is None and now["shipping_address"] is None and now["erased_at"]
        kept = (
            "order_id",
            "customer_id",
            "channel",
            "status",
            "currency",
            "lines",
            "total",
            "created_at",
            "shipments",
        )
        assert {k: now[k] for k in kept} == {k: was[k] for k in kept}
    record = staff.get(f"/customers/{customer_id}").json()
    assert record["erased_at"] and record["email"] is None and record["name"] is None
    assert record["order_count"] == 3

    again = admin.delete(f"/customers/{customer_id}")
    assert (again.status, again.json()["orders_erased"]) == (200, 0)
    later = web.post("/orders", order()).json()
    assert later["customer_id"] not in (None, customer_id)  # the same email is a new customer now
    assert staff.patch(f"/customers/{customer_id}", {"name": "Sam"}).status == 404  # erased stays erased
    # The shipped order can still be delivered: the lifecycle works on erased orders.
    assert staff.post(f"/orders/{shipped}/delivery").json()["status"] == "DELIVERED"


def test_two_first_orders_with_one_email_make_one_customer() -> None:
    with moto_server({"MUG": 50}) as server:

        def place(n: int) -> Placed:
            customer = {"email": f"Twin@Example.com{' ' * n}", "name": "Twin"}
            request = NewOrder.model_validate(
                {"customer": customer, "lines": [{"sku": "MUG", "quantity": 1}]}
            )
            placed = server.order_service(link_customers=True).place(
                request, Principal("channel", f"k{n}", "web"), None
            )
            assert isinstance(placed, Placed)
            return placed

        with ThreadPoolExecutor(6) as pool:
            placed = list(pool.map(place, range(6)))

        assert len({p.order.customer_id for p in placed}) == 1
        items = server.dynamodb.scan(TableName=CUSTOMERS.local_name)["Items"]
        profiles = [i for i in items if i["sk"]["S"] == "PROFILE"]
        assert len(profiles) == 1 and profiles[0]["order_count"]["N"] == "6"
