"""How a plan looks in DynamoDB and how a cancellation reads back, with a fake client (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

from shared.dal.dynamo import from_item, to_item
from shared.dal.orders import Cancelled, OrderStore, order_from_item, order_item
from shared.domain.auth import Principal
from shared.domain.orders import ClaimKey, CreateOrder, Failure, OrderPlan, ReserveStock, decide_new_order
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
        self, *, TransactItems: list[dict[str, Any]], ClientRequestToken: str
    ) -> dict[str, Any]:
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
            Failure(the_plan.writes[2], {"pk": "MUG", "price": Decimal("7.50"), "available": Decimal("1")}),
            Failure(the_plan.writes[3], None),
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
