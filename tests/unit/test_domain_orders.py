"""The pure order intake decisions: plans from requests, outcomes from failed conditions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from shared.domain.auth import Principal
from shared.domain.orders import (
    Claim,
    ClaimKey,
    Contention,
    CreateOrder,
    ExternalIdConflict,
    IdempotencyKeyReused,
    KeyClaimed,
    OrderPlan,
    OutOfStock,
    PricesChanged,
    Refused,
    Rejected,
    Replay,
    ReserveStock,
    Shortage,
    StockRefused,
    decide_new_order,
    interpret_failures,
    request_hash,
)
from shared.models.orders import NewOrder

NOW = datetime(2024, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)
WEB = Principal(role="channel", key_id="k-web", channel="web")
STAFF = Principal(role="staff", key_id="k-staff")
POS = Principal(
    role="channel", key_id="k-pos", channel="pos"
)  # sends its own prices (shared.domain.channels)
CATALOG = {"TEE-RED-M": Decimal("19.99"), "MUG": Decimal("7.50"), "CAP": Decimal("12.00")}


def new_order(*lines: dict[str, Any], **fields: Any) -> NewOrder:
    body = {"customer": {"email": "Ada@Example.COM", "name": "Ada"}, "lines": list(lines), **fields}
    return NewOrder.model_validate(body)


def plan_for(request: NewOrder, principal: Principal = WEB, **kwargs: Any) -> OrderPlan:
    decision = decide_new_order(
        request,
        principal=principal,
        catalog_prices=kwargs.pop("catalog_prices", CATALOG),
        order_id="order-1",
        now=kwargs.pop("now", NOW),
        default_currency="EUR",
        **kwargs,
    )
    assert isinstance(decision, OrderPlan), decision
    return decision


def writes_of(plan: OrderPlan, kind: type) -> list[Any]:
    return [w for w in plan.writes if isinstance(w, kind)]


# --- decide_new_order ------------------------------------------------------------------------


def test_shipping_discount_and_tax_sent_with_an_order_make_its_total() -> None:
    line = {"sku": "TEE-RED-M", "quantity": 2}
    fields = {"shipping_total": "4.95", "discount_total": "5.00", "tax_total": "6.10"}
    added = plan_for(new_order(line, **fields)).order
    included = plan_for(new_order(line, **fields, taxes_included=True)).order

    assert (added.subtotal, added.discount_total, added.shipping_total, added.tax_total) == (
        Decimal("39.98"),
        Decimal("5.00"),
        Decimal("4.95"),
        Decimal("6.10"),
    )
    assert added.total == Decimal("46.03")  # 39.98 - 5.00 + 4.95 + 6.10
    assert included.total == Decimal("39.93") and included.taxes_included  # the tax is in the prices


def test_a_discount_larger_than_lines_and_shipping_is_refused() -> None:
    decision = decide_new_order(
        new_order({"sku": "MUG", "quantity": 1}, shipping_total="1.00", discount_total="8.51"),
        principal=WEB,
        catalog_prices=CATALOG,
        order_id="order-1",
        now=NOW,
        default_currency="EUR",
    )

    assert isinstance(decision, Rejected)
    assert [e.field for e in decision.errors] == ["body.discount_total"]


def test_catalog_prices_fill_lines_without_a_unit_price() -> None:
    plan = plan_for(new_order({"sku": "TEE-RED-M", "quantity": 3}, {"sku": "MUG", "quantity": 1}))

    order = plan.order
    assert [(line.sku, line.unit_price, line.line_total) for line in order.lines] == [
        ("TEE-RED-M", Decimal("19.99"), Decimal("59.97")),
        ("MUG", Decimal("7.50"), Decimal("7.50")),
    ]
    assert order.subtotal == order.total == Decimal("67.47")
    assert order.status == "CONFIRMED"
    assert order.order_id == "order-1"
    assert order.currency == "EUR"


def test_explicit_unit_price_wins_over_the_catalog() -> None:
    plan = plan_for(new_order({"sku": "MUG", "quantity": 2, "unit_price": "5.25"}), POS)

    assert plan.order.lines[0].unit_price == Decimal("5.25")
    assert plan.order.lines[0].line_total == Decimal("10.50")
    assert plan.order.total == Decimal("10.50")
    assert writes_of(plan, ReserveStock) == [ReserveStock("MUG", 2, None)]


def test_explicit_price_for_a_sku_not_in_the_catalog_is_planned() -> None:
    plan = plan_for(
        new_order({"sku": "NEW-THING", "quantity": 1, "unit_price": "3.00"}), POS, catalog_prices={}
    )

    assert writes_of(plan, ReserveStock) == [ReserveStock("NEW-THING", 1, None)]


def test_totals_are_exact_decimals_quantized_to_cents() -> None:
    plan = plan_for(
        new_order({"sku": "A", "quantity": 3}, {"sku": "B", "quantity": 7, "unit_price": "0.1"}),
        POS,
        catalog_prices={"A": Decimal("0.10")},
    )

    assert [line.line_total for line in plan.order.lines] == [Decimal("0.30"), Decimal("0.70")]
    assert plan.order.total == Decimal("1.00")
    assert str(plan.order.total) == "1.00"
    assert str(plan.order.lines[1].line_total) == "0.70"


def test_catalog_price_with_sub_cent_precision_is_quantized_per_line() -> None:
    plan = plan_for(new_order({"sku": "BOLT", "quantity": 3}), catalog_prices={"BOLT": Decimal("0.333")})

    assert plan.order.lines[0].line_total == Decimal("1.00")
    assert plan.order.total == Decimal("1.00")


def test_same_sku_lines_are_reserved_together_in_sorted_order() -> None:
    plan = plan_for(
        new_order(
            {"sku": "TEE-RED-M", "quantity": 1},
            {"sku": "CAP", "quantity": 2, "unit_price": "9.00"},
            {"sku": "TEE-RED-M", "quantity": 4},
            {"sku": "MUG", "quantity": 1},
        ),
        POS,
    )

    assert writes_of(plan, ReserveStock) == [
        ReserveStock("CAP", 2, None),
        ReserveStock("MUG", 1, Decimal("7.50")),
        ReserveStock("TEE-RED-M", 5, Decimal("19.99")),
    ]
    # the order keeps the lines as sent
    assert [line.sku for line in plan.order.lines] == ["TEE-RED-M", "CAP", "TEE-RED-M", "MUG"]


def test_a_sku_priced_by_the_catalog_on_any_line_expects_the_catalog_price() -> None:
    plan = plan_for(
        new_order({"sku": "MUG", "quantity": 1, "unit_price": "1.00"}, {"sku": "MUG", "quantity": 2}), POS
    )

    assert writes_of(plan, ReserveStock) == [ReserveStock("MUG", 3, Decimal("7.50"))]


def test_plan_starts_with_the_order_itself() -> None:
    plan = plan_for(new_order({"sku": "MUG", "quantity": 1}))

    assert isinstance(plan.writes[0], CreateOrder)
    assert plan.writes[0].order is plan.order


def test_no_claims_without_idempotency_key_or_external_id() -> None:
    plan = plan_for(new_order({"sku": "MUG", "quantity": 1}))

    assert writes_of(plan, ClaimKey) == []


def test_idempotency_key_claim_expires_after_the_ttl() -> None:
    request = new_order({"sku": "MUG", "quantity": 1})
    plan = plan_for(request, idempotency_key="retry-123", idempotency_ttl_seconds=3600)

    assert writes_of(plan, ClaimKey) == [
        ClaimKey(
            kind="idempotency",
            channel="web",
            key="retry-123",
            order_id="order-1",
            request_hash=request_hash(request),
            expires_at=int(NOW.timestamp()) + 3600,
        )
    ]


def test_external_id_claim_never_expires() -> None:
    request = new_order({"sku": "MUG", "quantity": 1}, external_id="shop-42")
    plan = plan_for(request, idempotency_key="k1")

    claims = writes_of(plan, ClaimKey)
    assert [c.kind for c in claims] == ["idempotency", "external"]
    external = claims[1]
    assert external == ClaimKey("external", "web", "shop-42", "order-1", request_hash(request), None)
    assert plan.order.external_id == "shop-42"


def test_channel_comes_from_the_principal() -> None:
    web_plan = plan_for(new_order({"sku": "MUG", "quantity": 1}, external_id="x"), principal=WEB)
    staff_plan = plan_for(new_order({"sku": "MUG", "quantity": 1}, external_id="x"), principal=STAFF)

    assert web_plan.order.channel == "web"
    assert staff_plan.order.channel == "staff"
    assert writes_of(staff_plan, ClaimKey)[0].channel == "staff"


def test_history_records_who_placed_the_order_and_when() -> None:
    plan = plan_for(new_order({"sku": "MUG", "quantity": 1}), principal=STAFF)

    assert plan.order.created_at == plan.order.updated_at == "2024-05-17T09:30:15.123456Z"
    [entry] = plan.order.history
    assert (entry.status, entry.at, entry.actor, entry.reason) == (
        "CONFIRMED",
        "2024-05-17T09:30:15.123456Z",
        "staff:k-staff",
        "order placed",
    )


def test_request_currency_overrides_the_default_and_customer_is_normalised() -> None:
    plan = plan_for(new_order({"sku": "MUG", "quantity": 1, "unit_price": "3.00"}, currency="USD"), POS)

    assert plan.order.currency == "USD"
    assert plan.order.customer.email == "Ada@example.com"


def test_another_currency_with_catalog_prices_is_rejected() -> None:
    """Catalog prices are in the merchant's currency: 19.99 EUR must never become 19.99 JPY."""
    request = new_order(
        {"sku": "MUG", "quantity": 1}, {"sku": "TEE", "quantity": 1, "unit_price": "5.00"}, currency="JPY"
    )
    decision = decide_new_order(
        request,
        principal=POS,
        catalog_prices=CATALOG,
        order_id="o-1",
        now=NOW,
        default_currency="EUR",
    )
    assert isinstance(decision, Rejected)
    assert [(e.field, e.type) for e in decision.errors] == [("body.currency", "currency_mismatch")]


def test_unknown_sku_without_a_unit_price_is_rejected_naming_each_line() -> None:
    request = new_order(
        {"sku": "MUG", "quantity": 1},
        {"sku": "GHOST", "quantity": 1},
        {"sku": "PRICED-GHOST", "quantity": 1, "unit_price": "1.00"},
        {"sku": "GHOST", "quantity": 2},
    )
    decision = decide_new_order(
        request,
        principal=POS,
        catalog_prices=CATALOG,
        order_id="order-1",
        now=NOW,
        default_currency="EUR",
    )

    assert isinstance(decision, Rejected)
    assert [e.field for e in decision.errors] == ["body.lines.1.sku", "body.lines.3.sku"]
    assert {e.type for e in decision.errors} == {"unknown_sku"}
    assert "GHOST" in decision.errors[0].message


# --- interpret_failures ----------------------------------------------------------------------


REQUEST = new_order(
    {"sku": "MUG", "quantity": 2}, {"sku": "TEE-RED-M", "quantity": 1}, {"sku": "MUG", "quantity": 1}
)
HASH = request_hash(REQUEST)
IDEM = ClaimKey("idempotency", "web", "key-1", "order-new", HASH, expires_at=1)
EXTERNAL = ClaimKey("external", "web", "shop-1", "order-new", HASH)
MUG = ReserveStock("MUG", 3, Decimal("7.50"))
TEE = ReserveStock("TEE-RED-M", 1, Decimal("19.99"))
EXPLICIT = ReserveStock("MUG", 3, None)


def test_idempotency_claim_with_the_same_hash_is_a_replay() -> None:
    outcome = interpret_failures([KeyClaimed(IDEM, Claim("order-old", HASH))], request=REQUEST)

    assert outcome == Replay(order_id="order-old", kind="idempotency")


def test_idempotency_claim_with_a_different_hash_is_a_reused_key() -> None:
    outcome = interpret_failures([KeyClaimed(IDEM, Claim("order-old", "other"))], request=REQUEST)

    assert outcome == IdempotencyKeyReused()


def test_external_claim_with_the_same_hash_is_a_replay() -> None:
    outcome = interpret_failures([KeyClaimed(EXTERNAL, Claim("order-old", HASH))], request=REQUEST)

    assert outcome == Replay(order_id="order-old", kind="external")


def test_external_claim_with_another_hash_is_a_conflict_naming_the_order() -> None:
    """Another body under a used external id (another order, or the feed's document) is never a replay."""
    outcome = interpret_failures([KeyClaimed(EXTERNAL, Claim("order-old", "other"))], request=REQUEST)

    assert outcome == ExternalIdConflict(order_id="order-old")


def test_a_reused_idempotency_key_wins_over_an_external_conflict() -> None:
    failures = [
        KeyClaimed(IDEM, Claim("order-a", "other")),
        KeyClaimed(EXTERNAL, Claim("order-b", "other")),
    ]

    assert interpret_failures(failures, request=REQUEST) == IdempotencyKeyReused()


def test_an_external_conflict_wins_over_shortages() -> None:
    failures = [
        StockRefused(MUG, Decimal("7.50"), 0),
        KeyClaimed(EXTERNAL, Claim("order-old", "other")),
    ]

    assert interpret_failures(failures, request=REQUEST, contended=True) == ExternalIdConflict("order-old")


def test_replay_wins_over_shortages_and_price_changes() -> None:
    failures = [
        StockRefused(MUG, Decimal("8.00"), 0),
        StockRefused(TEE, Decimal("19.99"), 0),
        KeyClaimed(EXTERNAL, Claim("order-old", HASH)),
    ]

    assert interpret_failures(failures, request=REQUEST, contended=True) == Replay("order-old", "external")


def test_unknown_sku_from_a_missing_item_names_every_line_with_it() -> None:
    outcome = interpret_failures([StockRefused(MUG, None)], request=REQUEST)

    assert isinstance(outcome, Rejected)
    assert [e.field for e in outcome.errors] == ["body.lines.0.sku", "body.lines.2.sku"]
    assert {e.type for e in outcome.errors} == {"unknown_sku"}


def test_an_item_without_a_price_is_an_unknown_sku() -> None:
    outcome = interpret_failures([StockRefused(TEE, None, 10)], request=REQUEST)

    assert isinstance(outcome, Rejected)
    assert [e.field for e in outcome.errors] == ["body.lines.1.sku"]


def test_unknown_sku_wins_over_a_shortage() -> None:
    failures = [StockRefused(MUG, Decimal("7.50"), 0), StockRefused(TEE, None)]

    outcome = interpret_failures(failures, request=REQUEST)

    assert isinstance(outcome, Rejected)
    assert [e.field for e in outcome.errors] == ["body.lines.1.sku"]


def test_changed_catalog_price_asks_for_a_retry_with_the_new_prices() -> None:
    failures = [
        StockRefused(MUG, Decimal("8.25"), 0),
        StockRefused(TEE, Decimal("19.99"), 0),
    ]

    assert interpret_failures(failures, request=REQUEST) == PricesChanged({"MUG": Decimal("8.25")})


def test_price_stored_as_an_equal_number_is_not_a_change() -> None:
    outcome = interpret_failures([StockRefused(MUG, Decimal("7.5"), 1)], request=REQUEST)

    assert outcome == OutOfStock([Shortage("MUG", 3, 1)])


def test_a_price_change_does_not_matter_for_explicitly_priced_lines() -> None:
    outcome = interpret_failures([StockRefused(EXPLICIT, Decimal("99.00"), 2)], request=REQUEST)

    assert outcome == OutOfStock([Shortage("MUG", 3, 2)])


def test_shortages_report_requested_and_available() -> None:
    failures = [
        StockRefused(MUG, Decimal("7.50"), 2),
        StockRefused(TEE, Decimal("19.99")),
    ]

    outcome = interpret_failures(failures, request=REQUEST, contended=True)

    assert outcome == OutOfStock([Shortage("MUG", 3, 2), Shortage("TEE-RED-M", 1, 0)])


def test_contention_without_failed_conditions_is_contention() -> None:
    assert interpret_failures([], request=REQUEST, contended=True) == Contention()


def test_nothing_explainable_is_an_error() -> None:
    with pytest.raises(ValueError, match="no reason the domain knows"):
        interpret_failures([], request=REQUEST)
    with pytest.raises(ValueError):
        interpret_failures([Refused(CreateOrder(plan_for(REQUEST).order))], request=REQUEST)


# --- request_hash -------------------------------------------------------------------------


def test_request_hash_is_stable_for_equal_bodies() -> None:
    first = new_order({"sku": "MUG", "quantity": 1, "unit_price": "2.50"}, external_id="e-1")
    # same body, keys in another order, email domain in another case
    second = NewOrder.model_validate(
        {
            "lines": [{"unit_price": "2.50", "quantity": 1, "sku": "MUG"}],
            "external_id": "e-1",
            "customer": {"name": "Ada", "email": "Ada@example.com"},
        }
    )

    assert request_hash(first) == request_hash(second)
    assert len(request_hash(first)) == 64


@pytest.mark.parametrize(
    "other",
    [
        {"lines": [{"sku": "MUG", "quantity": 2, "unit_price": "2.50"}], "external_id": "e-1"},
        {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "2.51"}], "external_id": "e-1"},
        {"lines": [{"sku": "MUG", "quantity": 1, "unit_price": "2.50"}], "external_id": "e-2"},
        {"lines": [{"sku": "MUG", "quantity": 1}], "external_id": "e-1"},
        {
            "lines": [{"sku": "MUG", "quantity": 1, "unit_price": "2.50"}],
            "external_id": "e-1",
            "currency": "USD",
        },
    ],
)
def test_request_hash_differs_for_different_bodies(other: dict[str, Any]) -> None:
    base = new_order({"sku": "MUG", "quantity": 1, "unit_price": "2.50"}, external_id="e-1")
    changed = NewOrder.model_validate({"customer": {"email": "Ada@Example.COM", "name": "Ada"}, **other})

    assert request_hash(base) != request_hash(changed)
