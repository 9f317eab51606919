"""Every version of a channel order, decided without I/O: first versions in every state, then updates
(priced, cancelled in whole or in part, shipped outside the OMS, readdressed, refunded), stale versions,
resends, and what the lifecycle refuses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from shared.domain.channel_orders import (
    ChannelContext,
    Claimed,
    Imported,
    Moved,
    Short,
    Unchanged,
    decide_first,
    decide_next,
    decide_refund,
    fingerprint,
    interpret,
    reserved_units,
)
from shared.domain.customers import CustomerLink
from shared.domain.inventory import MoveStock, RecordMovement
from shared.domain.orders import (
    AlreadyCommitted,
    Claim,
    ClaimKey,
    CreateOrder,
    KeyClaimed,
    OrderExists,
    OrderPlan,
    PricesChanged,
    Refused,
    Rejected,
    ReleaseStock,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    StopWaiting,
    UpdateClaim,
    WaitForStock,
    Write,
)
from shared.models.channels import ChannelOrder, RefundNotice
from shared.models.orders import Order

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CATALOG = {"MUG": Decimal("5.00"), "CAP": Decimal("9.00"), "TEE/RED M": Decimal("12.00")}


def document(**changes: Any) -> ChannelOrder:
    base: dict[str, Any] = {
        "channel": "amazon",
        "external_id": "113-0000001-0000001",
        "status": "open",
        "placed_at": "2026-11-23T22:30:00.000000Z",
        "version": "2026-11-23T22:40:00.000000Z",
        "customer": {"email": "buyer@marketplace.example", "name": "Buyer"},
        "currency": "USD",
        "lines": [
            {"sku": "MUG", "quantity": 2, "unit_price": "5.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.00"},
        ],
    }
    base.update(changes)
    return ChannelOrder.model_validate(base)


def context(doc: ChannelOrder, *, now: datetime = NOW) -> ChannelContext:
    return ChannelContext(
        now=now, content_hash=fingerprint(doc), catalog_prices=CATALOG, default_currency="USD"
    )


def first(doc: ChannelOrder, **kwargs: Any) -> OrderPlan:
    plan = decide_first(doc, order_id="o-1", context=context(doc), **kwargs)
    assert isinstance(plan, OrderPlan), plan
    return plan


def next_plan(order: Order, doc: ChannelOrder, **kwargs: Any) -> OrderPlan:
    plan = decide_next(order, doc, context=context(doc, now=NOW + timedelta(hours=1)), **kwargs)
    assert isinstance(plan, OrderPlan), plan
    return plan


def stock(writes: Sequence[Write]) -> list[tuple[str, str, int]]:
    """The stock side of a plan, as (kind, sku, units)."""
    out: list[tuple[str, str, int]] = []
    for w in writes:
        if isinstance(w, ReserveStock):
            out.append(("reserve", w.sku, w.quantity))
        elif isinstance(w, ReleaseStock):
            out.append(("release", w.sku, w.quantity))
        elif isinstance(w, MoveStock):
            out.append(("ship", w.sku, -w.change))
            if w.unreserve:
                out.append(("unreserve", w.sku, w.unreserve))
        elif isinstance(w, WaitForStock):
            out.append(("wait", w.sku, 0))
        elif isinstance(w, StopWaiting):
            out.append(("stop-waiting", w.sku, 0))
    return out


def recorded(doc: ChannelOrder) -> Order:
    return first(doc).order


# --- first versions ----------------------------------------------------------------------------


def test_an_open_order_is_confirmed_and_reserves_every_unit_in_one_plan() -> None:
    plan = first(document())
    assert plan.order.status == "CONFIRMED"
    assert stock(plan.writes) == [("reserve", "CAP", 1), ("reserve", "MUG", 2)]
    assert isinstance(plan.writes[0], CreateOrder)
    claim = plan.writes[-1]
    assert isinstance(claim, ClaimKey) and claim.kind == "external"
    assert claim.request_hash == fingerprint(document()) and claim.version == "2026-11-23T22:40:00.000000Z"
    assert plan.order.placed_at == "2026-11-23T22:30:00.000000Z"
    assert plan.order.created_at == "2026-11-24T10:00:00.000000Z"  # received, not placed
    assert plan.order.channel_hash == fingerprint(document())


def test_a_pending_order_without_prices_reserves_at_the_catalog_price_and_checks_it() -> None:
    doc = document(status="pending", lines=[{"sku": "MUG", "quantity": 2}, {"sku": "CAP", "quantity": 1}])
    plan = first(doc)
    assert plan.order.status == "PENDING_PAYMENT"
    reservations = [w for w in plan.writes if isinstance(w, ReserveStock)]
    assert {(w.sku, w.quantity, w.expected_price) for w in reservations} == {
        ("MUG", 2, Decimal("5.00")),
        ("CAP", 1, Decimal("9.00")),
    }
    assert plan.order.total == Decimal("19.00")


def test_an_fba_order_reserves_and_moves_no_merchant_stock() -> None:
    doc = document(status="shipped", fulfilled_by_channel=True, shipments=[{"shipment_ref": "afn"}])
    plan = first(doc)
    assert plan.order.status == "FULFILLED_BY_CHANNEL"
    assert plan.order.fulfilled_by_channel is True
    assert stock(plan.writes) == []
    assert plan.order.shipments == []


def test_a_cancelled_order_seen_first_is_recorded_cancelled_with_nothing_reserved() -> None:
    doc = document(status="cancelled", lines=[{"sku": "MUG", "quantity": 0}, {"sku": "CAP", "quantity": 0}])
    plan = first(doc)
    assert plan.order.status == "CANCELLED"
    assert stock(plan.writes) == []
    assert [(line.sku, line.quantity) for line in plan.order.lines] == [("MUG", 0), ("CAP", 0)]


def test_an_order_shipped_outside_the_oms_before_we_saw_it_takes_its_units_off_the_shelf() -> None:
    doc = document(status="shipped", shipments=[{"shipment_ref": "113/shipped"}])
    plan = first(doc)
    assert plan.order.status == "SHIPPED"
    assert stock(plan.writes) == [("ship", "CAP", 1), ("ship", "MUG", 2)]  # nothing was reserved
    assert sum(isinstance(w, RecordMovement) for w in plan.writes) == 2
    assert plan.order.shipments[0].carrier is None and plan.order.shipments[0].channel_ref == "113/shipped"


def test_a_short_first_version_waits_for_stock_with_nothing_reserved() -> None:
    plan = first(document(), backorder=[Shortage("MUG", 2, 1)])
    assert plan.order.status == "BACKORDERED"
    assert stock(plan.writes) == [("wait", "CAP", 0), ("wait", "MUG", 0)]


def test_totals_follow_the_channel_and_agree_with_its_own_total() -> None:
    doc = document(
        lines=[{"sku": "MUG", "quantity": 2, "unit_price": "5.00", "discount": "2.00"}],
        shipping_total="4.99",
        tax_total="1.01",
        channel_total="14.00",
    )
    order = recorded(doc)
    assert (order.subtotal, order.discount_total, order.shipping_total, order.tax_total, order.total) == (
        Decimal("10.00"),
        Decimal("2.00"),
        Decimal("4.99"),
        Decimal("1.01"),
        Decimal("14.00"),
    )
    assert order.attention == []


def test_vat_included_prices_do_not_add_the_tax_again() -> None:
    doc = document(
        currency="EUR",
        lines=[{"sku": "MUG", "quantity": 1, "unit_price": "23.80"}],
        shipping_total="4.90",
        tax_total="4.58",
        taxes_included=True,
        channel_total="28.70",
    )
    order = decide_first(
        doc,
        order_id="o-1",
        context=ChannelContext(NOW, fingerprint(doc), CATALOG, "EUR"),
    )
    assert isinstance(order, OrderPlan)
    assert order.order.total == Decimal("28.70") and order.order.attention == []


def test_a_total_that_disagrees_with_the_channel_is_raised_for_staff() -> None:
    order = recorded(document(channel_total="20.00"))
    assert order.total == Decimal("19.00")
    assert [(a.kind, a.detail) for a in order.attention] == [
        ("total-mismatch", "total 19.00 USD here, 20.00 on the channel")
    ]


def test_a_channel_attention_note_is_kept_once() -> None:
    doc = document(attention=["buyer requested cancellation: Ordered by mistake"])
    order = recorded(doc)
    assert [(a.kind, a.detail) for a in order.attention] == [
        ("channel", "buyer requested cancellation: Ordered by mistake")
    ]
    again = next_plan(order, doc.model_copy(update={"version": "2026-11-23T23:00:00.000000Z"}))
    assert len(again.order.attention) == 1


def test_a_line_without_a_sku_is_refused_until_its_listing_is_resolved() -> None:
    doc = document(lines=[{"listing": "110551100598", "quantity": 1, "unit_price": "5.00"}])
    assert isinstance(decide_first(doc, order_id="o-1", context=context(doc)), Rejected)


def test_a_new_customer_is_linked_in_the_same_write() -> None:
    plan = first(document(), customer=CustomerLink("c-1", "k", False))
    assert plan.order.customer_id == "c-1"
    assert {type(w).__name__ for w in plan.writes} >= {"ClaimEmail", "CreateCustomer"}


# --- later versions ----------------------------------------------------------------------------


def test_a_resend_is_a_replay_and_an_older_version_is_stale() -> None:
    doc = document()
    order = recorded(doc)
    assert decide_next(order, doc, context=context(doc)) == Unchanged("replay", "o-1")
    older = doc.model_copy(update={"version": "2026-11-23T22:35:00.000000Z", "status": "cancelled"})
    assert decide_next(order, older, context=context(older)) == Unchanged("stale", "o-1")


def test_prices_arriving_after_pending_reprice_the_order_and_confirm_it_without_moving_stock() -> None:
    pending = document(status="pending", lines=[{"sku": "MUG", "quantity": 2}, {"sku": "CAP", "quantity": 1}])
    order = recorded(pending)
    paid = document(
        version="2026-11-23T23:10:00.000000Z",
        lines=[
            {"sku": "MUG", "quantity": 2, "unit_price": "4.50"},
            {"sku": "CAP", "quantity": 1, "unit_price": "8.00"},
        ],
        channel_total="17.00",
    )
    plan = next_plan(order, paid)
    assert plan.order.status == "CONFIRMED"
    assert [(line.sku, line.unit_price) for line in plan.order.lines] == [
        ("MUG", Decimal("4.50")),
        ("CAP", Decimal("8.00")),
    ]
    assert plan.order.total == Decimal("17.00") and plan.order.attention == []
    assert stock(plan.writes) == []
    replace = plan.writes[0]
    assert isinstance(replace, ReplaceOrder) and replace.expected_updated_at == order.updated_at
    claim = plan.writes[-1]
    assert isinstance(claim, UpdateClaim)
    assert (claim.content_hash, claim.expected_hash, claim.version) == (
        fingerprint(paid),
        order.channel_hash,
        "2026-11-23T23:10:00.000000Z",
    )


def test_a_cancellation_releases_exactly_the_units_held_and_a_second_one_releases_nothing() -> None:
    order = recorded(document())
    cancelled_doc = document(
        status="cancelled",
        version="2026-11-24T08:00:00.000000Z",
        lines=[{"sku": "MUG", "quantity": 0}, {"sku": "CAP", "quantity": 0}],
    )
    plan = next_plan(order, cancelled_doc)
    assert plan.order.status == "CANCELLED"
    assert stock(plan.writes) == [("release", "CAP", 1), ("release", "MUG", 2)]
    assert [(line.sku, line.quantity) for line in plan.order.lines] == [("MUG", 2), ("CAP", 1)]  # kept
    later = cancelled_doc.model_copy(
        update={"version": "2026-11-24T09:00:00.000000Z", "tax_total": Decimal("0.10")}
    )
    again = decide_next(plan.order, later, context=context(later, now=NOW + timedelta(hours=2)))
    assert isinstance(again, OrderPlan) and stock(again.writes) == []


def test_a_backordered_order_cancelled_leaves_the_waiting_lines() -> None:
    order = first(document(), backorder=[Shortage("MUG", 2, 0)]).order
    plan = next_plan(order, document(status="cancelled", version="2026-11-24T08:00:00.000000Z"))
    assert stock(plan.writes) == [("stop-waiting", "CAP", 0), ("stop-waiting", "MUG", 0)]


def test_a_cancelled_line_releases_only_its_units() -> None:
    order = recorded(document())
    doc = document(
        version="2026-11-24T08:00:00.000000Z",
        lines=[
            {"sku": "MUG", "quantity": 1, "unit_price": "5.00"},
            {"sku": "CAP", "quantity": 0, "unit_price": "9.00"},
        ],
    )
    plan = next_plan(order, doc)
    assert plan.order.status == "CONFIRMED"
    assert stock(plan.writes) == [("release", "CAP", 1), ("release", "MUG", 1)]
    assert plan.order.total == Decimal("5.00")
    assert reserved_units(plan.order) == {"MUG": 1}


def test_units_added_before_shipment_are_reserved_and_refused_ones_become_attention() -> None:
    order = recorded(document())
    doc = document(
        version="2026-11-24T08:00:00.000000Z",
        lines=[
            {"sku": "MUG", "quantity": 5, "unit_price": "5.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.00"},
        ],
    )
    assert stock(next_plan(order, doc).writes) == [("reserve", "MUG", 3)]
    refused = next_plan(order, doc, refuse_more_of=frozenset({"MUG"}))
    assert stock(refused.writes) == []
    assert [line.quantity for line in refused.order.lines if line.sku == "MUG"] == [2]
    assert refused.order.attention[0].kind == "update-refused"
    assert "MUG (2 -> 5)" in refused.order.attention[0].detail


def test_a_shipment_outside_the_oms_moves_the_reserved_units_off_the_shelf() -> None:
    order = recorded(document())
    doc = document(
        status="shipped",
        version="2026-11-24T08:00:00.000000Z",
        shipments=[{"shipment_ref": "113/shipped", "shipped_at": "2026-11-24T07:59:00.000000Z"}],
    )
    plan = next_plan(order, doc)
    assert plan.order.status == "SHIPPED"
    assert stock(plan.writes) == [
        ("ship", "CAP", 1),
        ("unreserve", "CAP", 1),
        ("ship", "MUG", 2),
        ("unreserve", "MUG", 2),
    ]
    assert plan.order.shipments[0].shipped_at == "2026-11-24T07:59:00.000000Z"
    resent = doc.model_copy(update={"version": "2026-11-24T09:00:00.000000Z", "tax_total": Decimal("0.50")})
    assert stock(next_plan(plan.order, resent).writes) == []  # the same shipment is not shipped twice


def test_a_partial_shipment_then_the_rest() -> None:
    order = recorded(document())
    part = document(
        version="2026-11-24T08:00:00.000000Z", shipments=[{"shipment_ref": "f1", "lines": [["MUG", 1]]}]
    )
    plan = next_plan(order, part)
    assert plan.order.status == "PARTIALLY_SHIPPED"
    assert stock(plan.writes) == [("ship", "MUG", 1), ("unreserve", "MUG", 1)]
    rest = document(
        version="2026-11-24T09:00:00.000000Z",
        shipments=[{"shipment_ref": "f1", "lines": [["MUG", 1]]}, {"shipment_ref": "f2"}],
    )
    done = decide_next(plan.order, rest, context=context(rest, now=NOW + timedelta(hours=3)))
    assert isinstance(done, OrderPlan)
    assert done.order.status == "SHIPPED"
    assert stock(done.writes) == [
        ("ship", "CAP", 1),
        ("unreserve", "CAP", 1),
        ("ship", "MUG", 1),
        ("unreserve", "MUG", 1),
    ]


def test_what_the_lifecycle_refuses_is_recorded_not_dropped() -> None:
    shipped = next_plan(
        recorded(document()),
        document(status="shipped", version="2026-11-24T08:00:00.000000Z", shipments=[{"shipment_ref": "s"}]),
    ).order
    doc = document(
        status="cancelled",
        version="2026-11-25T08:00:00.000000Z",
        lines=[
            {"sku": "MUG", "quantity": 4, "unit_price": "5.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.00"},
        ],
    )
    plan = decide_next(shipped, doc, context=context(doc, now=NOW + timedelta(days=1)))
    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "SHIPPED"
    assert stock(plan.writes) == []
    assert [a.detail for a in plan.order.attention] == ["cancelled on the channel after 3 unit(s) shipped"]
    lines_added = document(
        status="shipped",
        version="2026-11-25T09:00:00.000000Z",
        shipments=[{"shipment_ref": "s"}],
        lines=[
            {"sku": "MUG", "quantity": 4, "unit_price": "5.00"},
            {"sku": "CAP", "quantity": 1, "unit_price": "9.00"},
        ],
    )
    plan = decide_next(shipped, lines_added, context=context(lines_added, now=NOW + timedelta(days=1)))
    assert isinstance(plan, OrderPlan)
    assert stock(plan.writes) == []
    assert [line.quantity for line in plan.order.lines] == [2, 1]
    assert plan.order.attention[0].detail == "lines changed on the channel after shipment: MUG 2 -> 4"


def test_an_address_changes_before_shipment_and_never_restores_an_erased_customer() -> None:
    order = recorded(document())
    address = {"line1": "1 New St", "city": "Berlin", "country": "DE"}
    moved = next_plan(order, document(version="2026-11-24T08:00:00.000000Z", shipping_address=address))
    assert moved.order.shipping_address is not None and moved.order.shipping_address.line1 == "1 New St"
    erased = order.model_copy(update={"erased_at": "2026-11-24T09:00:00.000000Z", "shipping_address": None})
    plan = next_plan(erased, document(version="2026-11-24T08:00:00.000000Z", shipping_address=address))
    assert plan.order.shipping_address is None


def test_a_full_refund_before_shipment_cancels_and_releases() -> None:
    order = recorded(document())
    doc = document(
        version="2026-11-24T08:00:00.000000Z",
        refunds=[{"refund_id": "r-1", "amount": "19.00", "refunded_at": "2026-11-24T07:00:00.000000Z"}],
    )
    plan = next_plan(order, doc)
    assert plan.order.status == "CANCELLED"
    assert stock(plan.writes) == [("release", "CAP", 1), ("release", "MUG", 2)]
    assert [(r.refund_id, r.amount, r.source) for r in plan.order.refunds] == [
        ("r-1", Decimal("19.00"), "channel:amazon")
    ]


def test_a_refund_on_its_own_is_recorded_once() -> None:
    order = recorded(document())
    notice = RefundNotice(
        channel="amazon", external_id=order.external_id or "", refund={"refund_id": "r-9", "amount": "5.00"}
    )
    plan = decide_refund(order, notice, context=context(document()))
    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "CONFIRMED" and stock(plan.writes) == []
    assert decide_refund(plan.order, notice, context=context(document())) == Unchanged("replay", "o-1")


# --- refused plans --------------------------------------------------------------------------------


def test_a_refused_claim_tells_the_version_it_holds() -> None:
    doc = document()
    plan = first(doc)
    claim = next(w for w in plan.writes if isinstance(w, ClaimKey))
    held = Claim("o-0", "h", "2026-11-23T22:00:00.000000Z")
    assert interpret([KeyClaimed(claim, held)]) == Claimed("o-0", "h", "2026-11-23T22:00:00.000000Z")
    create = plan.writes[0]
    assert isinstance(create, CreateOrder)
    assert interpret([OrderExists(create, "o-1")]) == AlreadyCommitted()


def test_refused_stock_is_a_shortage_an_unknown_sku_or_a_stale_price() -> None:
    reserve = ReserveStock("MUG", 2, Decimal("5.00"))
    assert interpret([StockRefused(reserve, Decimal("5.00"), 1)]) == Short((Shortage("MUG", 2, 1),))
    assert interpret([StockRefused(reserve, None)]) == Short((), frozenset({"MUG"}))
    assert interpret([StockRefused(reserve, Decimal("6.00"), 9)]) == PricesChanged({"MUG": Decimal("6.00")})
    order = recorded(document())
    assert interpret([Refused(ReplaceOrder(order, "CONFIRMED", "x"))]) == Moved()


@pytest.mark.parametrize("sku", ["A#1", "KIT:RED+BLUE", "TEE/RED/M", "MUG WHITE 11oz"])
def test_skus_the_platforms_allow_flow_through_a_decision(sku: str) -> None:
    doc = document(lines=[{"sku": sku, "quantity": 1, "unit_price": "3.00"}])
    plan = first(doc)
    assert stock(plan.writes) == [("reserve", sku, 1)]


# --- import mode: history from an import file ----------------------------------------------------

IMPORT = Imported("imp-1", NOW)
PLACED = "2026-10-02T15:15:40.000000Z"
SHIPPED_AT = "2026-10-03T14:01:10.000000Z"


def imported_first(doc: ChannelOrder, **kwargs: Any) -> OrderPlan:
    return first(doc, imported=IMPORT, **kwargs)


def story(order: Order) -> list[tuple[str, str, str]]:
    return [(h.status, h.at, h.actor) for h in order.history]


def test_an_imported_shipped_order_moves_and_reserves_nothing_and_keeps_its_times() -> None:
    doc = document(
        channel="shopify",
        status="shipped",
        placed_at=PLACED,
        version=None,
        shipments=[{"shipment_ref": "#1001-1", "shipped_at": SHIPPED_AT}],
    )
    plan = imported_first(doc)

    assert stock(plan.writes) == []
    assert not any(isinstance(w, RecordMovement) for w in plan.writes)
    order = plan.order
    assert order.status == "SHIPPED"
    assert story(order) == [("CONFIRMED", PLACED, "import:imp-1"), ("SHIPPED", SHIPPED_AT, "import:imp-1")]
    assert [(s.shipped_at, s.actor) for s in order.shipments] == [(SHIPPED_AT, "import:imp-1")]
    assert (order.source, order.import_id, order.placed_at) == ("import", "imp-1", PLACED)
    assert order.created_at == order.updated_at == "2026-11-24T10:00:00.000000Z"  # the import's time
    assert order.total == Decimal("19.00")
    assert any(isinstance(w, ClaimKey) and w.request_hash == fingerprint(doc) for w in plan.writes)


def test_an_imported_order_said_shipped_without_its_shipment_is_shipped_in_full() -> None:
    plan = imported_first(document(status="delivered", placed_at=PLACED))
    assert plan.order.status == "DELIVERED"
    assert sum(line.quantity for s in plan.order.shipments for line in s.lines) == 3
    assert plan.order.shipments[0].shipped_at == PLACED
    assert stock(plan.writes) == []


def test_an_imported_cancelled_order_reserves_nothing_and_is_cancelled_at_its_channel_time() -> None:
    cancelled_at = "2026-10-04T22:30:00.000000Z"
    plan = imported_first(document(status="cancelled", placed_at=PLACED, version=cancelled_at))
    assert plan.order.status == "CANCELLED"
    assert story(plan.order) == [
        ("CONFIRMED", PLACED, "import:imp-1"),
        ("CANCELLED", cancelled_at, "import:imp-1"),
    ]
    assert stock(plan.writes) == []
    no_time = imported_first(document(status="cancelled", placed_at=PLACED, version=None))
    assert story(no_time.order)[-1] == ("CANCELLED", PLACED, "import:imp-1")


def test_an_imported_order_refunded_in_full_before_shipping_is_cancelled_and_reserves_nothing() -> None:
    refunded_at = "2026-10-05T09:00:00.000000Z"
    doc = document(
        placed_at=PLACED, refunds=[{"refund_id": "r-1", "amount": "19.00", "refunded_at": refunded_at}]
    )
    plan = imported_first(doc)
    assert plan.order.status == "CANCELLED"
    assert story(plan.order)[-1] == ("CANCELLED", refunded_at, "import:imp-1")
    assert stock(plan.writes) == []


def test_an_imported_open_order_reserves_as_a_live_one_and_waits_when_short() -> None:
    plan = imported_first(document(placed_at=PLACED))
    assert plan.order.status == "CONFIRMED"
    assert stock(plan.writes) == [("reserve", "CAP", 1), ("reserve", "MUG", 2)]
    assert imported_first(document(status="pending")).order.status == "PENDING_PAYMENT"

    short = imported_first(document(placed_at=PLACED), backorder=[Shortage("MUG", 2, 1)])
    assert short.order.status == "BACKORDERED"
    assert story(short.order) == [
        ("CONFIRMED", PLACED, "import:imp-1"),
        ("BACKORDERED", "2026-11-24T10:00:00.000000Z", "import:imp-1"),
    ]
    assert stock(short.writes) == [("wait", "CAP", 0), ("wait", "MUG", 0)]
    assert short.order.backorder is not None and short.order.backorder[0].sku == "MUG"


def test_an_imported_partly_shipped_order_reserves_only_what_is_left_to_ship() -> None:
    doc = document(
        placed_at=PLACED, shipments=[{"shipment_ref": "s-1", "lines": [["MUG", 2]], "shipped_at": SHIPPED_AT}]
    )
    plan = imported_first(doc)
    assert plan.order.status == "PARTIALLY_SHIPPED"
    assert stock(plan.writes) == [("reserve", "CAP", 1)]
    assert reserved_units(plan.order) == {"CAP": 1}

    short = imported_first(doc, backorder=[Shortage("CAP", 1, 0)])
    assert short.order.status == "BACKORDERED"
    assert len(short.order.shipments) == 1
    assert stock(short.writes) == [("wait", "CAP", 0)]  # never for the units already shipped


def test_an_imported_order_in_another_currency_keeps_its_prices() -> None:
    plan = imported_first(document(currency="EUR"))
    assert (plan.order.currency, plan.order.total) == ("EUR", Decimal("19.00"))
    unpriced = document(currency="EUR", lines=[{"sku": "MUG", "quantity": 1}])
    assert isinstance(
        decide_first(unpriced, order_id="o-1", context=context(unpriced), imported=IMPORT), Rejected
    )


def test_a_corrected_import_moves_no_stock_and_dates_the_change_at_the_shipment() -> None:
    order = imported_first(document(placed_at=PLACED)).order
    corrected = document(
        placed_at=PLACED,
        status="shipped",
        shipments=[{"shipment_ref": "s-1", "shipped_at": SHIPPED_AT}],
    )
    plan = decide_next(
        order,
        corrected,
        context=context(corrected, now=NOW + timedelta(days=1)),
        imported=Imported("imp-2", NOW + timedelta(days=1)),
    )
    assert isinstance(plan, OrderPlan)
    assert plan.order.status == "SHIPPED"
    assert stock(plan.writes) == [("release", "CAP", 1), ("release", "MUG", 2)]
    assert story(plan.order)[-1] == ("SHIPPED", SHIPPED_AT, "import:imp-2")
    assert plan.order.import_id == "imp-2"
    assert plan.order.created_at == order.created_at

    same = decide_next(order, document(placed_at=PLACED), context=context(document(placed_at=PLACED)))
    assert same == Unchanged("replay", order.order_id)


def test_a_backorder_of_a_partly_shipped_order_confirms_what_is_left() -> None:
    from shared.domain.backorders import decide_confirmation

    doc = document(
        placed_at=PLACED, shipments=[{"shipment_ref": "s-1", "lines": [["MUG", 2]], "shipped_at": SHIPPED_AT}]
    )
    waiting = imported_first(doc, backorder=[Shortage("CAP", 1, 0)]).order
    plan = decide_confirmation(waiting, now=NOW + timedelta(days=2), arrived="CAP")
    assert plan is not None
    assert plan.order.status == "PARTIALLY_SHIPPED"
    assert stock(plan.writes) == [("reserve", "CAP", 1)]


def test_an_import_never_overrides_an_order_the_channel_sent_itself() -> None:
    live = recorded(document())
    shipped = document(status="shipped", shipments=[{"shipment_ref": "s-1"}])
    result = decide_next(live, shipped, context=context(shipped), imported=IMPORT)
    assert result == Unchanged("stale", live.order_id)
