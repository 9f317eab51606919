"""POST /orders and the order reads, through the authorizer and the API handler, against moto."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.support.http import ApiClient
from tests.support.local_aws import RequestCounter, orders_placed

CUSTOMER = {"email": "jane@Example.COM", "name": "Jane Doe"}


def order(*lines: tuple[str, int], **extra: Any) -> dict[str, Any]:
    return {"customer": CUSTOMER, "lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}


def stock(staff: ApiClient, sku: str) -> dict[str, Any]:
    reply = staff.get(f"/inventory/{sku}")
    assert reply.status == 200
    return {k: reply.json()[k] for k in ("sku", "on_hand", "reserved", "available")}


def test_a_new_order_counts_once_under_its_channel_for_the_dashboard(
    stocked: ApiClient, web: ApiClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    body = order(("MUG", 1), external_id="WEB-METRIC-1")
    assert web.post("/orders", body).status == 201
    assert web.post("/orders", body).status == 200  # a replay places nothing
    assert orders_placed(capsys.readouterr().out) == [("web", [1.0])]


def test_an_order_reserves_every_line_and_prices_from_the_catalog(stocked: ApiClient, web: ApiClient) -> None:
    reply = web.post("/orders", order(("TSHIRT", 2), ("MUG", 1), ("TSHIRT", 1)))

    assert reply.status == 201, reply.body
    body = reply.json()
    assert body["status"] == "CONFIRMED"
    assert body["channel"] == "web"
    assert body["customer"]["email"] == "jane@example.com"
    assert [(line["sku"], line["unit_price"], line["line_total"]) for line in body["lines"]] == [
        ("TSHIRT", "19.99", "39.98"),
        ("MUG", "8.50", "8.50"),
        ("TSHIRT", "19.99", "19.99"),
    ]
    assert body["total"] == "68.47"
    assert reply.header("Location") == f"/orders/{body['order_id']}"
    # Lines with the same SKU count together: 3 T-shirts reserved.
    assert stock(stocked, "TSHIRT") == {"sku": "TSHIRT", "on_hand": 10, "reserved": 3, "available": 7}
    assert stock(stocked, "MUG") == {"sku": "MUG", "on_hand": 3, "reserved": 1, "available": 2}
    assert web.get(f"/orders/{body['order_id']}").json() == body


def test_an_explicit_unit_price_wins_over_the_catalog(stocked: ApiClient, pos: ApiClient) -> None:
    """pos sends its own prices (shared/domain/channels.py); web takes the catalog's."""
    reply = pos.post(
        "/orders", {"customer": CUSTOMER, "lines": [{"sku": "MUG", "quantity": 2, "unit_price": "7.25"}]}
    )
    assert reply.status == 201
    assert reply.json()["total"] == "14.50"


def test_the_channel_comes_from_the_key_never_the_body(stocked: ApiClient, web: ApiClient) -> None:
    reply = web.post("/orders", order(("MUG", 1), channel="pos"))
    assert reply.status == 422  # an unknown field is refused, not silently used
    assert web.post("/orders", order(("MUG", 1))).json()["channel"] == "web"
    assert stocked.post("/orders", order(("MUG", 1))).json()["channel"] == "staff"


def test_short_stock_on_any_line_reserves_nothing_and_creates_no_order(
    stocked: ApiClient, web: ApiClient
) -> None:
    reply = web.post("/orders", order(("TSHIRT", 2), ("MUG", 5)))

    assert reply.status == 409
    assert reply.header("Content-Type") == "application/problem+json"
    problem = reply.json()
    assert problem["status"] == 409
    assert problem["shortages"] == [{"sku": "MUG", "requested": 5, "available": 3}]
    assert stock(stocked, "TSHIRT")["reserved"] == 0
    assert stock(stocked, "MUG")["reserved"] == 0
    assert stocked.get("/orders").json()["items"] == []


def test_every_short_sku_is_named(stocked: ApiClient, web: ApiClient) -> None:
    problem = web.post("/orders", order(("TSHIRT", 11), ("MUG", 4))).json()
    assert sorted((s["sku"], s["requested"], s["available"]) for s in problem["shortages"]) == [
        ("MUG", 4, 3),
        ("TSHIRT", 11, 10),
    ]


def test_unknown_skus_and_bad_fields_are_422_naming_each_field(
    stocked: ApiClient, web: ApiClient, pos: ApiClient
) -> None:
    unknown = web.post("/orders", order(("TSHIRT", 1), ("NOPE", 1)))
    assert unknown.status == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["body.lines.1.sku"]

    unknown_priced = pos.post(
        "/orders", {"customer": CUSTOMER, "lines": [{"sku": "GHOST", "quantity": 1, "unit_price": "1.00"}]}
    )
    assert unknown_priced.status == 422
    assert [e["field"] for e in unknown_priced.json()["errors"]] == ["body.lines.0.sku"]
    assert stock(stocked, "TSHIRT")["reserved"] == 0

    bad = web.post(
        "/orders",
        {"customer": {"email": "not-an-email", "name": "X"}, "lines": [{"sku": "MUG", "quantity": 0}]},
    )
    assert bad.status == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {"body.customer.email", "body.lines.0.quantity"}

    empty = web.post("/orders", {"customer": CUSTOMER, "lines": []})
    assert empty.status == 422
    assert {e["field"] for e in empty.json()["errors"]} == {"body.lines"}

    float_money = web.post(
        "/orders", {"customer": CUSTOMER, "lines": [{"sku": "MUG", "quantity": 1, "unit_price": 8.5}]}
    )
    assert float_money.status == 422
    assert "decimal string" in float_money.json()["errors"][0]["message"]


def test_a_retry_with_the_same_idempotency_key_returns_the_original_order(
    stocked: ApiClient, web: ApiClient
) -> None:
    first = web.post("/orders", order(("TSHIRT", 2)), headers={"Idempotency-Key": "k-1"})
    again = web.post("/orders", order(("TSHIRT", 2)), headers={"Idempotency-Key": "k-1"})

    assert first.status == 201
    assert again.status == 200
    assert again.header("Idempotent-Replayed") == "true"
    assert again.json()["order_id"] == first.json()["order_id"]
    assert stock(stocked, "TSHIRT")["reserved"] == 2
    assert len(stocked.get("/orders").json()["items"]) == 1


def test_the_same_key_with_another_body_is_422_and_reserves_nothing(
    stocked: ApiClient, web: ApiClient
) -> None:
    assert web.post("/orders", order(("TSHIRT", 2)), headers={"Idempotency-Key": "k-1"}).status == 201
    reused = web.post("/orders", order(("TSHIRT", 3)), headers={"Idempotency-Key": "k-1"})
    assert reused.status == 422
    assert reused.json()["type"].endswith("idempotency-key-reused")
    assert stock(stocked, "TSHIRT")["reserved"] == 2


def test_idempotency_keys_are_per_channel(stocked: ApiClient, web: ApiClient, pos: ApiClient) -> None:
    a = web.post("/orders", order(("MUG", 1)), headers={"Idempotency-Key": "same"})
    b = pos.post("/orders", order(("MUG", 1)), headers={"Idempotency-Key": "same"})
    assert (a.status, b.status) == (201, 201)
    assert a.json()["order_id"] != b.json()["order_id"]
    assert stock(stocked, "MUG")["reserved"] == 2


def test_a_replay_is_answered_even_when_stock_has_run_out_since(stocked: ApiClient, web: ApiClient) -> None:
    first = web.post("/orders", order(("MUG", 3)), headers={"Idempotency-Key": "all-mugs"})
    again = web.post("/orders", order(("MUG", 3)), headers={"Idempotency-Key": "all-mugs"})
    assert again.status == 200
    assert again.json()["order_id"] == first.json()["order_id"]


def test_the_same_external_id_from_the_same_channel_is_one_order(
    stocked: ApiClient, web: ApiClient, pos: ApiClient
) -> None:
    first = web.post("/orders", order(("TSHIRT", 1), external_id="SHOP-77"))
    second = web.post("/orders", order(("TSHIRT", 1), external_id="SHOP-77"))
    other_channel = pos.post("/orders", order(("TSHIRT", 1), external_id="SHOP-77"))

    assert first.status == 201
    assert second.status == 200
    assert second.json()["order_id"] == first.json()["order_id"]
    assert other_channel.status == 201
    assert stock(stocked, "TSHIRT")["reserved"] == 2


def test_a_channel_key_sees_only_its_own_orders(stocked: ApiClient, web: ApiClient, pos: ApiClient) -> None:
    mine = web.post("/orders", order(("MUG", 1))).json()
    theirs = pos.post("/orders", order(("MUG", 1))).json()

    assert web.get(f"/orders/{mine['order_id']}").status == 200
    hidden = web.get(f"/orders/{theirs['order_id']}")
    missing = web.get("/orders/does-not-exist")
    assert hidden.status == missing.status == 404
    assert hidden.json()["detail"].replace(theirs["order_id"], "X") == missing.json()["detail"].replace(
        "does-not-exist", "X"
    )
    assert [o["order_id"] for o in web.get("/orders").json()["items"]] == [mine["order_id"]]
    assert web.get("/orders", query={"channel": "pos"}).json()["items"] == []
    assert {o["channel"] for o in stocked.get("/orders").json()["items"]} == {"web", "pos"}


def test_an_external_id_is_found_in_the_callers_own_channel_only(
    stocked: ApiClient, web: ApiClient, pos: ApiClient
) -> None:
    mine = web.post("/orders", order(("MUG", 1), external_id="SHOP-88")).json()

    def found(client: ApiClient, **query: str) -> list[str]:
        reply = client.get("/orders", query={"external_id": "SHOP-88", **query})
        assert reply.status == 200, reply.body
        return [o["order_id"] for o in reply.json()["items"]]

    assert found(web) == found(web, channel="web") == found(stocked, channel="web") == [mine["order_id"]]
    assert found(pos) == found(pos, channel="web") == found(stocked, channel="pos") == []


def test_only_staff_list_what_needs_attention(stocked: ApiClient, web: ApiClient) -> None:
    refused = web.get("/orders", query={"attention": "true"})

    assert refused.status == 403
    assert refused.header("Content-Type") == "application/problem+json"
    assert refused.json()["detail"] == "Only staff list orders needing attention."
    assert stocked.get("/orders", query={"attention": "true"}).status == 200


def test_listing_filters_and_pages_newest_first(stocked: ApiClient, web: ApiClient, pos: ApiClient) -> None:
    stocked.put("/inventory/TSHIRT", {"on_hand": 100})
    created = [web.post("/orders", order(("TSHIRT", 1))).json()["order_id"] for _ in range(5)]
    pos.post("/orders", order(("TSHIRT", 1)))

    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = stocked.get("/orders", query={"channel": "web", "limit": 2, "next_token": token}).json()
        seen += [o["order_id"] for o in page["items"]]
        pages += 1
        token = page.get("next_token")
        if not token:
            break
    assert seen == list(reversed(created))
    assert pages >= 3

    confirmed = stocked.get("/orders", query={"status": "CONFIRMED", "limit": 100}).json()["items"]
    assert len(confirmed) == 6
    both = stocked.get("/orders", query={"status": "CONFIRMED", "channel": "pos"}).json()["items"]
    assert [o["channel"] for o in both] == ["pos"]
    assert stocked.get("/orders", query={"status": "CANCELLED"}).json()["items"] == []


def test_listing_by_creation_time_without_filters_walks_days(stocked: ApiClient, web: ApiClient) -> None:
    ids = [web.post("/orders", order(("MUG", 1))).json()["order_id"] for _ in range(3)]
    all_orders = stocked.get("/orders").json()["items"]
    assert [o["order_id"] for o in all_orders] == list(reversed(ids))

    first = next(o for o in all_orders if o["order_id"] == ids[0])
    later = stocked.get("/orders", query={"created_from": all_orders[0]["created_at"]}).json()["items"]
    assert ids[2] in [o["order_id"] for o in later]
    assert stocked.get("/orders", query={"created_to": "2000-01-01"}).json()["items"] == []
    paged = stocked.get("/orders", query={"limit": 1, "created_from": first["created_at"][:10]}).json()
    assert len(paged["items"]) == 1 and paged["next_token"]


def test_a_forged_or_foreign_next_token_is_400(stocked: ApiClient, web: ApiClient) -> None:
    assert stocked.get("/orders", query={"next_token": "!!!"}).status == 400
    stocked.put("/inventory/MUG", {"on_hand": 10})
    for _ in range(3):
        web.post("/orders", order(("MUG", 1)))
    token = stocked.get("/orders", query={"channel": "web", "limit": 1}).json()["next_token"]
    # A web token replayed against another channel's partition is refused.
    foreign = stocked.get("/orders", query={"channel": "pos", "limit": 1, "next_token": token})
    assert foreign.status == 400
    assert foreign.header("Content-Type") == "application/problem+json"


def test_money_is_exact(stocked: ApiClient, web: ApiClient) -> None:
    stocked.put("/products/CHEAP", {"name": "Cheap", "price": "0.10"})
    stocked.put("/inventory/CHEAP", {"on_hand": 1000})
    body = web.post("/orders", order(("CHEAP", 3), ("CHEAP", 7))).json()
    assert Decimal(body["total"]) == Decimal("1.00")
    assert body["total"] == "1.00"


class LostAnswer:
    """The first TransactWriteItems commits but its answer is lost; the SDK sends it again.

    DynamoDB honours the request token and answers the resend with success; moto ignores tokens
    (a known gap), so the resend fails its conditions, which is the worst case the service must
    still get right: this very plan is already stored.
    """

    def __init__(self, client: Any) -> None:
        self.real = client.transact_write_items
        self.resent = 0

    def __call__(self, **request: Any) -> Any:
        self.real(**request)
        self.resent += 1
        return self.real(**request)


@pytest.mark.parametrize("idempotency_key", [None, "lost-answer"])
def test_a_resent_write_whose_first_try_committed_is_a_created_order(
    stocked: ApiClient, web: ApiClient, monkeypatch: pytest.MonkeyPatch, idempotency_key: str | None
) -> None:
    from functions.api import wiring

    store = wiring.order_service()._orders
    lost = LostAnswer(store._db)
    monkeypatch.setattr(store._db, "transact_write_items", lost)
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}

    reply = web.post("/orders", order(("MUG", 3)), headers=headers)  # the last three mugs

    assert lost.resent == 1
    assert reply.status == 201, reply.body
    assert reply.header("Idempotent-Replayed") is None
    assert stock(stocked, "MUG") == {"sku": "MUG", "on_hand": 3, "reserved": 3, "available": 0}
    assert [o["order_id"] for o in stocked.get("/orders").json()["items"]] == [reply.json()["order_id"]]


def test_time_filters_compare_instants_not_strings(stocked: ApiClient, web: ApiClient) -> None:
    created = web.post("/orders", order(("MUG", 1))).json()
    at = created["created_at"]  # e.g. 2026-11-24T10:00:00.400123Z
    second = at[:19]  # the same second, without its fraction or zone

    def ids(**query: Any) -> list[str]:
        reply = stocked.get("/orders", query=query)
        assert reply.status == 200, reply.body
        return [o["order_id"] for o in reply.json()["items"]]

    assert ids(created_from=second + "Z") == [created["order_id"]]
    assert ids(created_from=second) == [created["order_id"]]
    assert ids(created_from=second + "+00:00", created_to=at[:10]) == [
        created["order_id"]
    ]  # a date: all of it
    assert ids(created_to=at[:10], channel="web") == [created["order_id"]]
    from datetime import datetime, timedelta

    later = datetime.fromisoformat(at.replace("Z", "+00:00")) + timedelta(milliseconds=1)
    assert ids(created_from=later.isoformat()) == []
    assert ids(created_to=later.isoformat()) == [created["order_id"]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"created_from": "2024-13-45"}, "query.created_from"),
        ({"created_to": "2024-02-30T10:00Z"}, "query.created_to"),
        ({"created_from": "2024-05-02", "created_to": "2024-05-01"}, "query.created_from"),
        ({"channel": "Not A Channel"}, "query.channel"),
        ({"external_id": "X-1"}, "query.channel"),
    ],
)
def test_bad_filters_are_422_naming_the_field(stocked: ApiClient, query: dict[str, str], field: str) -> None:
    reply = stocked.get("/orders", query=query)
    assert reply.status == 422, reply.body
    assert [e["field"] for e in reply.json()["errors"]] == [field]


def test_a_partial_forged_cursor_is_400_not_500(stocked: ApiClient) -> None:
    import base64
    import json

    forged = base64.urlsafe_b64encode(json.dumps({"key": {"channel": "web"}}).encode()).decode().rstrip("=")
    reply = stocked.get("/orders", query={"channel": "web", "next_token": forged})
    assert reply.status == 400
    assert reply.header("Content-Type") == "application/problem+json"


def test_a_long_unfiltered_range_spends_a_bounded_number_of_queries_per_page(
    stocked: ApiClient, dynamodb_calls: RequestCounter
) -> None:
    from shared.dal.orders import MAX_DAY_QUERIES_PER_PAGE

    pages = 0
    token = None
    while True:
        dynamodb_calls.reset()
        query = {"created_from": "2025-01-01", "created_to": "2025-06-30", "next_token": token}
        page = stocked.get("/orders", query=query).json()
        assert dynamodb_calls.calls.count("Query") <= MAX_DAY_QUERIES_PER_PAGE
        pages += 1
        token = page.get("next_token")
        if not token:
            break
    assert pages == -(-181 // MAX_DAY_QUERIES_PER_PAGE)  # every day of the range, a bounded walk per page


def test_location_keeps_the_stage_of_the_url_that_was_called(stocked: ApiClient) -> None:
    from functions.api.handler import lambda_handler
    from infra.local.gateway import proxy_event
    from infra.local.workers import LambdaContext

    event = proxy_event(
        "POST",
        "/orders",
        "/orders",
        {"Content-Type": "application/json"},
        body=json.dumps(order(("MUG", 1))).encode(),
        authorizer={"role": "channel", "channel": "web", "key_id": "k"},
    )
    event["requestContext"]["path"] = "/prod/orders"  # the default execute-api URL carries the stage
    result = lambda_handler(event, LambdaContext("api", 1024, 10, "t"))
    assert result["statusCode"] == 201
    order_id = json.loads(result["body"])["order_id"]
    assert result["multiValueHeaders"]["Location"] == [f"/prod/orders/{order_id}"]
