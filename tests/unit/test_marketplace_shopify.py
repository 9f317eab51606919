"""Shopify adapter on Shopify's own published examples (tests/fixtures/shopify/README.md)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.marketplaces import adapter
from shared.marketplaces.shopify import to_order
from shared.models.channels import ChannelOrder, RefundNotice
from tests.support.channels import computed_total as oms_total

FIXTURES = Path(__file__).parent.parent / "fixtures" / "shopify"
ORDERS = sorted(p.name for p in FIXTURES.glob("orders_*.json") if p.name != "orders_edited.json")


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return document


def order(name: str, **kwargs: Any) -> ChannelOrder:
    result = to_order(load(name), **kwargs)
    assert isinstance(result, ChannelOrder)
    return result


def computed_total(o: ChannelOrder) -> Decimal:
    assert all(line.unit_price is not None for line in o.lines)  # every Shopify line is priced
    return oms_total(o)


@pytest.mark.parametrize("name", ORDERS)
def test_computed_total_is_shopifys_total_price_to_the_cent(name: str) -> None:
    o = order(name)
    assert o.channel_total == Decimal(load(name)["total_price"])
    assert computed_total(o) == o.channel_total


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("orders_create.json", "open"),
        ("orders_pending.json", "pending"),
        ("orders_paid_discount.json", "open"),
        ("orders_fulfilled.json", "shipped"),
        ("orders_cancelled.json", "cancelled"),
        ("orders_updated_partially_refunded.json", "open"),
        ("orders_updated_line_removed.json", "open"),
    ],
)
def test_status(name: str, status: str) -> None:
    assert order(name).status == status


def test_orders_create_webhook_sample() -> None:
    o = order("orders_create.json", channel="shop-eu")
    assert (o.channel, o.external_id, o.currency) == ("shop-eu", "820982911946154508", "USD")
    assert o.placed_at == "2022-01-01T00:00:00.000000Z"  # 2021-12-31T19:00:00-05:00
    assert o.version == "2022-01-01T00:00:00.000000Z"
    assert [(line.sku, line.quantity, line.unit_price) for line in o.lines] == [
        ("SKU2006-001", 1, Decimal("89.99")),
        ("LENS-PROTECT-2YR", 1, Decimal("19.99")),
        ("CASE-LEATHER-PREM", 1, Decimal("24.99")),
        ("SKU2006-020", 1, Decimal("159.99")),
        ("SKU2006-035", 1, Decimal("119.99")),
    ]
    assert o.lines[0].line_id == "487817672276298554"
    assert (o.shipping_total, o.tax_total, o.taxes_included) == (Decimal("10.00"), Decimal("0.00"), False)
    assert o.customer.email == "jon@example.com"
    assert o.customer.name == "John Smith"
    assert o.shipping_address is not None
    assert (o.shipping_address.line1, o.shipping_address.region, o.shipping_address.country) == (
        "123 Shipping Street",
        "KY",
        "US",
    )
    assert o.shipping_address.postal_code == "40003"
    assert o.shipments == [] and o.refunds == [] and o.attention == []


def test_a_line_removed_by_an_edit_stays_with_quantity_0() -> None:
    o = order("orders_updated_line_removed.json", topic="orders/updated")
    table = [line for line in o.lines if line.sku == "SKU2006-035"]
    assert len(table) == 1
    assert (table[0].quantity, table[0].discount, table[0].tax) == (0, Decimal("0.00"), Decimal("0.00"))
    assert o.version == "2022-01-01T15:15:30.000000Z"
    assert o.channel_total == Decimal("304.96")


def test_discount_allocations_are_the_line_discount() -> None:
    o = order("orders_paid_discount.json")
    assert [(line.sku, line.unit_price, line.discount) for line in o.lines] == [
        ("IPOD2009BLACK", Decimal("199.00"), Decimal("17.91"))
    ]
    assert o.order_discount == Decimal("0.00")
    assert o.channel_total == Decimal("181.09")


def test_taxes_and_lines_without_sku_or_product() -> None:
    o = order("orders_paid_taxes_no_email.json")
    assert [(line.sku, line.listing, line.quantity, line.tax) for line in o.lines] == [
        (None, "Red Leather Coat", 1, Decimal("11.07")),
        (None, "Blue Suede Shoes", 1, Decimal("0.00")),
        (None, "Raspberry Beret", 2, Decimal("3.38")),
    ]
    assert o.tax_total == Decimal("14.45")
    assert o.channel_total == Decimal("270.37")
    assert o.customer.email == "1073459980@shopify.invalid"  # the order has email "" and no customer
    assert o.customer.name == "Shopify customer"
    assert o.shipping_address is None


def test_taxes_included_keeps_tax_out_of_the_total() -> None:
    o = order("orders_paid_taxes_included.json")
    assert o.taxes_included is True
    assert o.tax_total == Decimal("14.45")
    assert computed_total(o) == Decimal("255.92")


def test_listing_is_product_and_variant_when_the_sku_is_blank() -> None:
    document = load("orders_pending.json")
    document["line_items"][0]["sku"] = ""
    o = to_order(document)
    assert isinstance(o, ChannelOrder)
    assert (o.lines[0].sku, o.lines[0].listing) == (None, "921728736/447654529")


def test_fulfillments_successful_only() -> None:
    shipped = order("orders_fulfilled.json")
    assert [(s.shipment_ref, s.carrier, s.tracking_number, s.lines) for s in shipped.shipments] == [
        ("1069019867", None, None, [("IPOD2009BLACK", 1)])
    ]
    assert shipped.shipments[0].shipped_at == "2025-10-01T18:59:20.000000Z"
    # order 450789469's one fulfillment (USPS, 1Z1234512345123456) has status "failure": nothing shipped
    assert order("orders_cancelled.json").shipments == []


def test_refunds_in_an_order_and_lines_before_refunds() -> None:
    o = order("orders_updated_partially_refunded.json")
    # two lines were refunded (current_quantity 0): the order keeps them, the refund carries them
    assert [(line.sku, line.quantity) for line in o.lines] == [
        ("IPOD2008GREEN", 1),
        ("IPOD2008RED", 1),
        ("IPOD2008BLACK", 1),
    ]
    assert [(r.refund_id, r.amount, r.lines, r.reason) for r in o.refunds] == [
        (
            "509562969",
            Decimal("209.00"),
            [("IPOD2008BLACK", 1), ("IPOD2008GREEN", 1)],
            "it broke during shipping",
        )
    ]
    assert o.refunds[0].refunded_at == "2025-10-01T18:30:56.000000Z"
    assert (o.tax_total, o.channel_total) == (Decimal("11.94"), Decimal("598.94"))


def test_refunds_create_is_a_refund_notice() -> None:
    notice = to_order(load("refunds_create.json"), channel="shop-eu", topic="refunds/create")
    assert isinstance(notice, RefundNotice)
    assert (notice.channel, notice.external_id) == ("shop-eu", "450789469")
    assert notice.refund.refund_id == "929361462"
    assert notice.refund.amount == Decimal("41.94")
    assert notice.refund.lines == [("IPOD2008RED", 1)]
    assert notice.refund.reason == "wrong size"
    assert notice.version == "2025-10-01T18:53:52.000000Z"


def test_failed_refund_transactions_are_no_money() -> None:
    document = load("refunds_create.json")
    document["transactions"][0]["status"] = "failure"
    notice = to_order(document, topic="refunds/create")
    assert isinstance(notice, RefundNotice)
    assert notice.refund.amount == Decimal("0.00")


def test_refund_note_is_capped() -> None:
    document = load("refunds_create.json")
    document["note"] = "x" * 1000
    notice = to_order(document, topic="refunds/create")
    assert isinstance(notice, RefundNotice)
    assert notice.refund.reason == "x" * 200


def test_orders_edited_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="orders/edited carries an order_edit"):
        to_order(load("orders_edited.json"), topic="orders/edited")


@pytest.mark.parametrize(
    ("financial", "status"), [("authorized", "open"), ("voided", "cancelled"), (None, "pending")]
)
def test_financial_status(financial: str | None, status: str) -> None:
    document = load("orders_pending.json")
    document["financial_status"] = financial
    o = to_order(document)
    assert isinstance(o, ChannelOrder)
    assert o.status == status


def test_a_bad_email_names_the_field_not_the_value() -> None:
    document = load("orders_pending.json")
    document["email"] = "bob.norman-at-example"
    with pytest.raises(ValueError) as caught:
        to_order(document)
    assert "email" in str(caught.value)
    assert "bob.norman-at-example" not in str(caught.value)


def test_a_missing_id_is_named() -> None:
    document = load("orders_create.json")
    del document["id"]
    with pytest.raises(ValueError, match=r"^id is missing$"):
        to_order(document)


def test_a_bad_price_names_the_line_field() -> None:
    document = load("orders_create.json")
    document["line_items"][3]["price"] = "159.999"
    with pytest.raises(ValueError, match=r"line_items\[3\]\.price has more than 2 decimals"):
        to_order(document)


def test_a_bad_sku_names_the_line_field_not_the_value() -> None:
    document = copy.deepcopy(load("orders_create.json"))
    document["line_items"][1]["sku"] = "LENS PROTECT\t2YR"  # a control character: no platform SKU
    with pytest.raises(ValueError) as caught:
        to_order(document)
    assert "line_items[1].sku" in str(caught.value)
    assert "LENS PROTECT" not in str(caught.value)


def test_registered_as_the_shopify_adapter() -> None:
    assert adapter("shopify") is to_order
