"""How a plan looks in DynamoDB and how a cancellation reads back, with a fake client (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.dal import keys
from shared.dal.dynamo import from_item, to_item
from shared.dal.orders import MissingOrder, OrderQuery, OrderStore, order_from_item, order_item
from shared.domain.auth import Principal
from shared.domain.customers import CheckEmail, ClaimEmail, TouchCustomer
from shared.domain.inventory import LocationLevel, MoveStock, ProductLevels
from shared.domain.orders import (
    Cancelled,
    Claim,
    ClaimKey,
    CreateOrder,
    CustomerRefused,
    KeyClaimed,
    MoveRefused,
    OrderExists,
    OrderPlan,
    Refused,
    ReserveStock,
    StockRefused,
    decide_new_order,
)
from shared.models.orders import NewOrder

NOW = datetime(2024, 6, 30, 23, 59, 59, 999000, tzinfo=UTC)


def plan(external_id: str | None = "shop-9", idempotency_key: str | None = "idem-1") -> OrderPlan:
    request = NewOrder.model_validate(
        {
            "external_id": external_id,
            "customer": {"email": "a@b.co", "name": "A"},
            "lines": [{"sku": "MUG", "quantity": 2}, {"sku": "CAP", "quantity": 1, "unit_price": "3.00"}],
        }
    )
    decision = decide_new_order(
        request,
        principal=Principal(role="channel", key_id="k", channel="pos"),  # sends its own prices
        catalog_prices={"MUG": Decimal("7.50")},
        order_id="o-123",
        now=NOW,
        default_currency="EUR",
        idempotency_key=idempotency_key,
        idempotency_ttl_seconds=60,
    )
    assert isinstance(decision, OrderPlan)
    return decision


class FakeDynamo:
    def __init__(self, error: ClientError | None = None) -> None:
        self.error = error
        self.transactions: list[list[dict[str, Any]]] = []
        self.tokens: list[str] = []

    def transact_write_items(
        self, *, TransactItems: list[dict[str, Any]], ClientRequestToken: str | None = None
    ) -> dict[str, Any]:
        if ClientRequestToken is not None:
            assert 1 <= len(ClientRequestToken) <= 36  # DynamoDB's bounds
            self.tokens.append(ClientRequestToken)
        self.transactions.append(TransactItems)
        if self.error:
            raise self.error
        return {}


def cancelled(*reasons: dict[str, Any], code: str = "TransactionCanceledException") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "cancelled"}, "CancellationReasons": list(reasons)},
        "TransactWriteItems",
    )


# --- order_item ------------------------------------------------------------------------------


def test_order_item_has_keys_and_index_attributes() -> None:
    order = plan().order
    item = from_item(order_item(order))

    assert item is not None
    assert item["pk"] == "ORDER#o-123"
    assert item["sk"] == "ORDER"
    assert item["created_key"] == "2024-06-30T23:59:59.999000Z#o-123"
    assert item["created_day"] == "2024-06-30"
    assert item["channel_status"] == "pos#CONFIRMED"
    assert item["channel"] == "pos"
    assert item["status"] == "CONFIRMED"
    assert item["total"] == Decimal("18.00")


def test_order_item_leaves_out_empty_attributes() -> None:
    item = order_item(plan(external_id=None).order)

    assert "external_id" not in item
    assert "shipping_address" not in item
    assert "expires_at" not in item
    assert item["total"] == {"N": "18.00"}


def test_order_item_reads_back_as_the_same_order() -> None:
    order = plan().order

    assert order_from_item(from_item(order_item(order)) or {}) == order


# --- commit ----------------------------------------------------------------------------------


def test_commit_sends_one_transaction_in_plan_order() -> None:
    client = FakeDynamo()
    the_plan = plan()

    assert OrderStore(client, "orders", "catalog").commit(the_plan, now=NOW) is None

    [items] = client.transactions
    assert [next(iter(i)) for i in items] == ["Put", "Update", "Update", "Put", "Put"]
    order_put, cap, mug, idem, external = (next(iter(i.values())) for i in items)
    assert order_put["TableName"] == "orders"
    assert order_put["ConditionExpression"] == "attribute_not_exists(pk)"
    assert (cap["TableName"], cap["Key"]) == ("catalog", {"pk": {"S": "CAP"}, "sk": {"S": "SKU"}})
    assert ":price" not in cap["ExpressionAttributeValues"]
    assert mug["ExpressionAttributeValues"][":price"] == {"N": "7.50"}
    assert mug["ExpressionAttributeValues"][":q"] == {"N": "2"}
    assert "price = :price" in mug["ConditionExpression"]
    assert idem["Item"]["pk"] == {"S": "IDEMPOTENCY#pos#idem-1"}
    assert idem["Item"]["expires_at"] == {"N": str(int(NOW.timestamp()) + 60)}
    assert "expires_at < :now" in idem["ConditionExpression"]
    assert external["Item"]["pk"] == {"S": "EXTERNAL#pos#shop-9"}
    assert "expires_at" not in external["Item"]
    assert external["ConditionExpression"] == "attribute_not_exists(pk)"


def test_cancellation_maps_reasons_to_failures_in_plan_order() -> None:
    the_plan = plan()
    old_mug = to_item({"pk": "MUG", "price": Decimal("7.50"), "available": 1})
    client = FakeDynamo(
        cancelled(
            {"Code": "None"},
            {"Code": "None"},
            {"Code": "ConditionalCheckFailed", "Item": old_mug},
            {"Code": "ConditionalCheckFailed"},
            {"Code": "TransactionConflict"},
        )
    )

    result = OrderStore(client, "orders", "catalog").commit(the_plan, now=NOW)

    assert isinstance(the_plan.writes[2], ReserveStock)
    assert isinstance(the_plan.writes[3], ClaimKey)
    assert result == Cancelled(
        failures=[
            StockRefused(the_plan.writes[2], price=Decimal("7.50"), available=1),
            Refused(the_plan.writes[3]),
        ],
        contended=True,
    )
    assert isinstance(the_plan.writes[0], CreateOrder)


@pytest.mark.parametrize(
    "error",
    [
        cancelled({"Code": "ValidationError"}),
        cancelled({"Code": "None"}, {"Code": "ItemCollectionSizeLimitExceeded"}),
        ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems"),
    ],
)
def test_other_errors_are_not_business_outcomes(error: ClientError) -> None:
    with pytest.raises(ClientError):
        OrderStore(FakeDynamo(error), "orders", "catalog").commit(plan(), now=NOW)


def test_each_attempt_has_its_own_request_token_and_retries_of_one_attempt_share_it() -> None:
    fake = FakeDynamo()
    store = OrderStore(fake, "orders", "catalog")
    the_plan = plan()
    store.commit(the_plan, now=NOW, attempt=0)
    store.commit(the_plan, now=NOW, attempt=0)
    store.commit(the_plan, now=NOW, attempt=1)
    assert fake.tokens[0] == fake.tokens[1] != fake.tokens[2]


def test_order_item_files_the_order_under_its_placed_day() -> None:
    order = plan().order
    late = order.model_copy(update={"placed_at": "2024-06-29T23:30:00+01:00"})  # 22:30 UTC, the 29th

    item = from_item(order_item(late))
    stored = from_item(order_item(order))

    assert item is not None and stored is not None
    assert (item["placed_day"], item["placed_key"]) == ("2024-06-29", "2024-06-29T22:30:00.000000Z#o-123")
    # without a channel time the OMS's own: the same as created_key
    assert (stored["placed_day"], stored["placed_key"]) == ("2024-06-30", stored["created_key"])


# --- what a refused write met, decoded (the domain never reads an attribute name) --------------


def refused_alone(write: Any, item: dict[str, Any] | None, *, customers: bool = False) -> Any:
    """Commit a plan of one write that DynamoDB refuses with ``item`` (ALL_OLD): its one failure."""
    reason: dict[str, Any] = {"Code": "ConditionalCheckFailed"}
    if item is not None:
        reason["Item"] = to_item(item)
    store = OrderStore(FakeDynamo(cancelled(reason)), "orders", "catalog", "customers" if customers else None)
    result = store.commit(OrderPlan(order=plan().order, writes=(write,)), now=NOW)
    assert result is not None and not result.contended
    [failure] = result.failures
    return failure


def test_a_refused_claim_says_whose_it_is_with_its_fingerprint_and_version() -> None:
    claim = ClaimKey("external", "shopify", "S-1", "o-new", "hash-new")
    stored = {**keys.claim_key("external", "shopify", "S-1"), "order_id": "o-old", "request_hash": "h"}

    assert refused_alone(claim, {**stored, "version": "2026-11-23T22:00:00.000Z"}) == KeyClaimed(
        claim, Claim("o-old", "h", "2026-11-23T22:00:00.000Z")
    )
    assert refused_alone(claim, stored) == KeyClaimed(claim, Claim("o-old", "h", None))
    assert refused_alone(claim, None) == Refused(claim)


def test_a_refused_create_names_the_stored_order() -> None:
    create = plan().writes[0]
    assert isinstance(create, CreateOrder)
    assert refused_alone(create, {"pk": "ORDER#o-123", "order_id": "o-123"}) == OrderExists(create, "o-123")
    assert refused_alone(create, None) == Refused(create)


def test_a_refused_reservation_gives_the_price_and_available_stock() -> None:
    reserve = ReserveStock("MUG", 3, Decimal("7.50"))

    found = refused_alone(reserve, {"pk": "SKU#MUG", "price": Decimal("7.5"), "available": 2})
    assert found == StockRefused(reserve, Decimal("7.50"), 2)
    assert found.price == reserve.expected_price  # a price stored as an equal number is the same price
    assert refused_alone(reserve, {"pk": "SKU#MUG", "available": 4}) == StockRefused(reserve, None, 4)
    assert refused_alone(reserve, None) == StockRefused(reserve, None, 0)  # no such product


def test_a_refused_movement_gives_the_product_and_the_location_level() -> None:
    move = MoveStock(sku="MUG", location="main", change=-1, at="t", after="2026-01-01T00:00:00.000000Z")
    counted = "2026-01-02T00:00:00.000000Z"
    item = {
        "pk": "SKU#MUG",
        "price": Decimal("7.50"),
        "on_hand": 5,
        "reserved": 1,
        "available": 4,
        keys.on_hand_at("main"): 5,
        keys.counted_at("main"): counted,
    }

    assert refused_alone(move, item) == MoveRefused(
        move, ProductLevels(True, 5, 1, 4, LocationLevel(on_hand=5, counted_at=counted))
    )
    assert refused_alone(move, None) == MoveRefused(move, ProductLevels(exists=False))


def test_a_refused_customer_link_names_the_email_owner() -> None:
    claim, check = ClaimEmail("e", "c-new"), CheckEmail("e", "c-known")
    touch = TouchCustomer("c-known", "t")

    assert refused_alone(claim, {"customer_id": "c-first"}, customers=True) == CustomerRefused(
        claim, "c-first"
    )
    assert refused_alone(check, None, customers=True) == CustomerRefused(
        check, None
    )  # released by an erasure
    assert refused_alone(touch, None, customers=True) == CustomerRefused(touch, None)


def test_a_plan_without_the_token_sends_none() -> None:
    fake = FakeDynamo()
    OrderStore(fake, "orders", "catalog").commit(plan(), now=NOW, token=False)
    assert (len(fake.transactions), fake.tokens) == (1, [])


class Reads:
    """get_item and query of the low-level client, recorded."""

    def __init__(self, item: dict[str, Any] | None = None) -> None:
        self.item = item
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def get_item(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("get_item", params))
        return {"Item": self.item} if self.item else {}

    def query(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("query", params))
        return {"Items": []}


def test_the_order_a_claim_names_is_read_consistently_and_must_exist() -> None:
    order = plan().order
    reads = Reads(order_item(order))
    assert OrderStore(reads, "orders", "catalog").claimed("o-123") == order
    assert reads.calls[0][1]["ConsistentRead"] is True
    with pytest.raises(MissingOrder):
        OrderStore(Reads(), "orders", "catalog").claimed("o-404")


def test_a_listing_by_day_starts_from_the_day_it_is_given_not_a_clock() -> None:
    reads = Reads()
    OrderStore(reads, "orders", "catalog").query(OrderQuery(limit=5), None, today=datetime(2020, 2, 2).date())
    days = [params["ExpressionAttributeValues"][":pk"]["S"] for _, params in reads.calls]
    assert days[:2] == ["2020-02-02", "2020-02-01"]
