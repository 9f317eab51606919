"""The staff inventory API: counts per location, adjustments, the ledger."""

from __future__ import annotations

from tests.support.http import ApiClient


def test_stock_shows_totals_and_each_location(stocked: ApiClient, web: ApiClient) -> None:
    assert stocked.put("/inventory/MUG", {"on_hand": 5, "location": "store-berlin"}).status == 200
    order = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 4}]}
    assert web.post("/orders", order).status == 201

    stock = stocked.get("/inventory/MUG").json()

    assert (stock["on_hand"], stock["reserved"], stock["available"]) == (8, 4, 4)
    by_location = {loc["location"]: loc for loc in stock["locations"]}
    assert {
        name: (loc["on_hand"], loc["reserved"], loc["available"]) for name, loc in by_location.items()
    } == {
        "default": (3, 3, 0),  # reservations count against the default location first
        "store-berlin": (5, 1, 4),
    }


def test_an_adjustment_is_recorded_with_who_why_and_when(stocked: ApiClient) -> None:
    reply = stocked.post("/inventory/MUG/adjustments", {"delta": -2, "reason": "damaged"})

    assert reply.status == 201
    assert (reply.json()["on_hand"], reply.json()["available"]) == (1, 1)
    latest = stocked.get("/inventory/MUG/movements").json()["items"][0]
    assert (latest["kind"], latest["change"], latest["reason"], latest["source"]) == (
        "adjustment",
        -2,
        "damaged",
        "staff",
    )
    assert latest["actor"] and latest["recorded_at"].endswith("Z")


def test_an_adjustment_may_not_take_available_stock_below_zero(stocked: ApiClient, web: ApiClient) -> None:
    order = {"customer": {"email": "a@example.com", "name": "A"}, "lines": [{"sku": "MUG", "quantity": 2}]}
    assert web.post("/orders", order).status == 201  # 3 on hand, 2 reserved, 1 available

    refused = stocked.post("/inventory/MUG/adjustments", {"delta": -2, "reason": "lost"})

    assert refused.status == 409
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["available"] == 1
    assert stocked.get("/inventory/MUG").json()["on_hand"] == 3  # nothing changed
    assert stocked.post("/inventory/MUG/adjustments", {"delta": -1, "reason": "lost"}).status == 201


def test_a_retried_adjustment_with_the_same_key_is_applied_once(stocked: ApiClient) -> None:
    headers = {"Idempotency-Key": "adj-1"}
    first = stocked.post("/inventory/MUG/adjustments", {"delta": 5, "reason": "found"}, headers=headers)
    again = stocked.post("/inventory/MUG/adjustments", {"delta": 5, "reason": "found"}, headers=headers)

    assert (first.status, again.status) == (201, 200)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert stocked.get("/inventory/MUG").json()["on_hand"] == 8


def test_the_ledger_pages_newest_first(stocked: ApiClient) -> None:
    for n in range(3):
        stocked.post("/inventory/MUG/adjustments", {"delta": 1, "reason": f"found {n}"})

    page = stocked.get("/inventory/MUG/movements", query={"limit": 2}).json()
    rest = stocked.get(
        "/inventory/MUG/movements", query={"limit": 2, "next_token": page["next_token"]}
    ).json()

    reasons = [m.get("reason") for m in page["items"] + rest["items"]]
    assert reasons == ["found 2", "found 1", "found 0", None]  # the fixture's count is the oldest
    assert sum(m["change"] for m in page["items"] + rest["items"]) == 6
    other = stocked.get("/inventory/TSHIRT/movements", query={"next_token": page["next_token"]})
    assert other.status == 400  # a cursor only resumes its own ledger


def test_inventory_errors(stocked: ApiClient, web: ApiClient) -> None:
    assert stocked.get("/inventory/NOPE/movements").status == 404
    assert stocked.post("/inventory/NOPE/adjustments", {"delta": 1, "reason": "x"}).status == 404
    assert stocked.post("/inventory/MUG/adjustments", {"delta": 0, "reason": "x"}).status == 422
    assert stocked.post("/inventory/MUG/adjustments", {"delta": 1}).status == 422
    assert stocked.put("/inventory/MUG", {"on_hand": 1, "location": "no spaces"}).status == 422
    assert stocked.get("/inventory", query={"next_token": "garbage"}).status == 400
    assert web.get("/inventory", query={"low_stock": "true"}).status == 403
    assert web.post("/inventory/MUG/adjustments", {"delta": 1, "reason": "x"}).status == 403


def test_an_idempotency_key_names_one_adjustment(stocked: ApiClient) -> None:
    headers = {"Idempotency-Key": "adj-7"}
    assert (
        stocked.post("/inventory/MUG/adjustments", {"delta": 1, "reason": "found"}, headers=headers).status
        == 201
    )

    reused = stocked.post("/inventory/MUG/adjustments", {"delta": 9, "reason": "found"}, headers=headers)

    assert reused.status == 422
    assert reused.json()["type"] == "urn:oms:problem:idempotency-key-reused"
    assert stocked.get("/inventory/MUG").json()["on_hand"] == 4
