"""Amazon SP-API Orders v0 -> the canonical channel order, on Amazon's own published examples."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.marketplaces import amazon
from shared.models.channels import ChannelOrder
from tests.support.channels import computed_total

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "amazon"
D = Decimal


def fixture(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text()))


def lines(order: ChannelOrder) -> list[tuple[Any, ...]]:
    return [(line.sku, line.quantity, line.unit_price, line.discount, line.tax) for line in order.lines]


# (fixture, status, fba, placed_at, version, lines, shipping, shipping discount, tax, included, channel total)
CASES = [
    (
        "unshipped_buyer_cancel",
        "open",
        False,
        "1970-01-19T03:58:30.000000Z",
        "1970-01-19T03:58:32.000000Z",
        [("NABetaASINB00551Q3CS", 1, D("10.00"), D("0.00"), D("1.01"))],
        D("0.00"),
        D("0.00"),
        D("1.01"),
        False,
        D("11.01"),
    ),
    (
        "pending",
        "pending",
        False,
        "2017-01-20T19:49:35.000000Z",
        "2017-01-20T19:49:35.000000Z",
        [("NABetaASINB00551Q3CS", 1, None, D("0.00"), D("0.00"))],
        D("0.00"),
        D("0.00"),
        D("0.00"),
        False,
        None,
    ),
    (
        "canceled",
        "cancelled",
        False,
        "1970-01-19T03:58:30.000000Z",
        "1970-01-19T04:01:12.000000Z",
        [("NABetaASINB00551Q3CS", 0, None, D("0.00"), D("0.00"))],
        D("0.00"),
        D("0.00"),
        D("0.00"),
        False,
        None,
    ),
    (
        "afn_shipped_de",
        "shipped",
        True,
        "2019-05-07T15:42:57.058000Z",
        "2019-05-08T21:59:59.000000Z",
        [("NABetaASINB00551Q3CS", 1, D("100.00"), D("0.00"), D("15.97"))],
        D("0.00"),
        D("0.00"),
        D("15.97"),
        True,
        D("100.00"),
    ),
    (
        "jpy_partially_shipped",
        "open",
        False,
        "1970-01-19T03:58:30.000000Z",
        "1970-01-19T03:58:32.000000Z",
        # 1795 yen for 2 splits in whole yen: 897 + 898
        [
            ("CBA_OTF_1", 1, D("2599"), D("0"), D("0")),
            ("CBA_OTF_5", 1, D("897"), D("0"), D("0")),
            ("CBA_OTF_5", 1, D("898"), D("0"), D("0")),
        ],
        D("126"),
        D("0"),
        D("0"),
        True,
        D("4520"),
    ),
    (
        "us_promotion_shipping_tax",
        "open",
        False,
        "1970-01-19T03:58:30.000000Z",
        "1970-01-19T03:58:32.000000Z",
        [("NABetaASINB00551Q3CS", 1, D("10.00"), D("2.00"), D("1.01"))],
        D("4.99"),
        D("0.00"),
        D("1.01"),
        False,
        D("14.00"),
    ),
    (
        "eu_vat_included",
        "open",
        False,
        "1970-01-19T03:58:30.000000Z",
        "1970-01-19T03:58:32.000000Z",
        # ItemTax 3.80 less PromotionDiscountTax 0.38; the order's tax adds ShippingTax 0.80
        [("NABetaASINB00551Q3CS", 1, D("23.80"), D("2.38"), D("3.42"))],
        D("4.99"),
        D("0.00"),
        D("4.22"),
        True,
        D("26.41"),
    ),
]


@pytest.mark.parametrize(
    (
        "name",
        "status",
        "fba",
        "placed",
        "version",
        "expected",
        "shipping",
        "ship_discount",
        "tax",
        "incl",
        "total",
    ),
    CASES,
)
def test_fixture_maps_and_its_total_is_amazons(
    name: str,
    status: str,
    fba: bool,
    placed: str,
    version: str,
    expected: list[tuple[Any, ...]],
    shipping: Decimal,
    ship_discount: Decimal,
    tax: Decimal,
    incl: bool,
    total: Decimal | None,
) -> None:
    order = amazon.to_order(fixture(name))

    assert order.channel == "amazon"
    assert (order.status, order.fulfilled_by_channel) == (status, fba)
    assert (order.placed_at, order.version) == (placed, version)
    assert lines(order) == expected
    assert (order.shipping_total, order.shipping_discount, order.order_discount) == (
        shipping,
        ship_discount,
        0,
    )
    assert (order.tax_total, order.taxes_included) == (tax, incl)
    assert order.channel_total == total
    assert order.refunds == []
    # the OMS's total is Amazon's OrderTotal to the cent (no OrderTotal: Pending and Canceled carry none)
    assert computed_total(order) == (total if total is not None else D("0.00"))


def test_attention_names_the_buyers_cancel_reason_once_per_reason() -> None:
    assert amazon.to_order(fixture("unshipped_buyer_cancel")).attention == [
        "buyer requested cancellation: Found cheaper somewhere else."
    ]
    # both JPY items carry the same reason: one note
    assert amazon.to_order(fixture("jpy_partially_shipped")).attention == [
        "buyer requested cancellation: Found cheaper somewhere else."
    ]
    for name in ("pending", "canceled", "afn_shipped_de", "us_promotion_shipping_tax", "eu_vat_included"):
        assert amazon.to_order(fixture(name)).attention == [], name


def test_cancel_reason_is_capped_and_flattened() -> None:
    document = fixture("unshipped_buyer_cancel")
    document["OrderItems"][0]["BuyerRequestedCancel"]["BuyerCancelReason"] = "too\nslow " + "x" * 500
    (note,) = amazon.to_order(document).attention
    assert note.startswith("buyer requested cancellation: too slow xxx")
    assert len(note) == len("buyer requested cancellation: ") + amazon.REASON_LENGTH

    document["OrderItems"][0]["BuyerRequestedCancel"]["BuyerCancelReason"] = ""
    assert amazon.to_order(document).attention == ["buyer requested cancellation: no reason given"]


def test_merchant_shipped_order_has_one_shipment_without_carrier() -> None:
    document = fixture("unshipped_buyer_cancel")
    document["OrderStatus"] = "Shipped"
    order = amazon.to_order(document)
    assert order.status == "shipped"
    assert [(s.shipment_ref, s.carrier, s.tracking_number, s.lines) for s in order.shipments] == [
        ("902-1845936-5435065/shipped", None, None, None)
    ]
    document["OrderStatus"] = "InvoiceUnconfirmed"
    assert amazon.to_order(document).status == "shipped"
    # Amazon ships an AFN order: no merchant shipment
    assert amazon.to_order(fixture("afn_shipped_de")).shipments == []


@pytest.mark.parametrize(
    ("raw", "status"),
    [("PendingAvailability", "pending"), ("PartiallyShipped", "open"), ("Unfulfillable", "open")],
)
def test_other_statuses(raw: str, status: str) -> None:
    document = fixture("us_promotion_shipping_tax")
    document["OrderStatus"] = raw
    order = amazon.to_order(document)
    assert order.status == status
    assert order.shipments == []
    assert (raw == "Unfulfillable") == any("Unfulfillable" in note for note in order.attention)


def test_afn_is_fulfilled_by_channel_whatever_the_status() -> None:
    document = fixture("afn_shipped_de")
    document["OrderStatus"] = "Unshipped"
    order = amazon.to_order(document)
    assert (order.status, order.fulfilled_by_channel) == ("open", True)


def test_one_cancelled_item_of_a_live_order_stays_with_quantity_0() -> None:
    document = fixture("jpy_partially_shipped")
    document["OrderItems"][1]["QuantityOrdered"] = 0
    order = amazon.to_order(document)
    assert order.status == "open"
    assert [(line.sku, line.quantity, line.unit_price) for line in order.lines] == [
        ("CBA_OTF_1", 1, D("2599.00")),
        ("CBA_OTF_5", 0, None),
    ]


def test_line_total_that_does_not_divide_puts_discount_and_tax_on_the_first_line() -> None:
    document = fixture("us_promotion_shipping_tax")
    document["OrderItems"][0]["QuantityOrdered"] = 3
    order = amazon.to_order(document)
    assert lines(order) == [
        ("NABetaASINB00551Q3CS", 2, D("3.33"), D("2.00"), D("1.01")),
        ("NABetaASINB00551Q3CS", 1, D("3.34"), D("0.00"), D("0.00")),
    ]
    assert computed_total(order) == D("14.00")


def test_tax_convention_lives_in_one_list() -> None:
    for marketplace in (
        "A1PA6795UKMFR9",
        "A1F83G8C2ARO7P",
        "A13V1IB3VIYZZH",
        "APJ6JRA9NG5V4",
        "A1VC38T7YXB528",
    ):
        assert amazon.taxes_included(marketplace)
    for marketplace in (
        "ATVPDKIKX0DER",
        "A2EUQ1WTGCTBG2",
        "A1AM78C64UM0Y8",
        "A2Q3Y263D00KWC",
        "A39IBJ37TRP1C6",
    ):
        assert not amazon.taxes_included(marketplace)


def test_channel_can_be_named() -> None:
    assert amazon.to_order(fixture("pending"), channel="amazon-eu").channel == "amazon-eu"


def test_cod_fee_or_gift_wrap_is_an_attention_note() -> None:
    document = fixture("us_promotion_shipping_tax")
    document["OrderItems"][0]["BuyerInfo"] = {"GiftWrapPrice": {"CurrencyCode": "USD", "Amount": "2.99"}}
    assert amazon.to_order(document).attention == [
        "OrderItems[0]: a COD fee or gift wrap is charged, not in the order's totals"
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(OrderStatus="Lost"), "OrderStatus"),
        (lambda d: d.update(PurchaseDate="yesterday"), "PurchaseDate"),
        (lambda d: d.update(LastUpdateDate="2026-03-14T09:21:47"), "LastUpdateDate has no time zone"),
        (
            lambda d: d["OrderItems"][0].update(
                PromotionDiscountTax={"CurrencyCode": "USD", "Amount": "9.00"}
            ),
            "OrderItems[0].PromotionDiscountTax",
        ),
        (
            lambda d: d["OrderItems"][0]["ShippingPrice"].update(CurrencyCode="EUR"),
            "OrderItems[0].ShippingPrice.CurrencyCode",
        ),
        (
            lambda d: d["OrderItems"][0]["PromotionDiscount"].update(Amount="-2"),
            "OrderItems[0].PromotionDiscount",
        ),
    ],
)
def test_refusals_name_the_field(change: Any, field: str) -> None:
    document = fixture("us_promotion_shipping_tax")
    change(document)
    with pytest.raises(ValueError) as caught:
        amazon.to_order(document)
    assert field in str(caught.value)
    assert "fzyrv6gwkhbb15c" not in str(caught.value)
