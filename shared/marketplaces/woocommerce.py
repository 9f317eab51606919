"""WooCommerce REST API v3 order (``/wp-json/wc/v3/orders``); order.created / order.updated webhooks
deliver the same resource.

Field names as in woocommerce/woocommerce-rest-api-docs ``source/includes/wp-api-v3/_orders.md``.
Conventions this adapter follows:

- ``external_id`` is ``str(id)``; ``placed_at`` is ``date_created_gmt`` and ``version`` is
  ``date_modified_gmt`` (both UTC without an offset), normalised to UTC with microseconds and a Z.
- Money comes from the line strings, never from ``price`` (a JSON number, a float): ``subtotal`` is
  the line before discounts, ``total`` after, both *without* tax whatever the shop's setting;
  ``subtotal_tax`` and ``total_tax`` are the line's tax. ``shipping_total`` is after its
  discounts and without ``shipping_tax``. ``total`` is the grand total: line totals + shipping +
  fees + ``total_tax``.
- ``prices_include_tax`` false: unit price = subtotal / quantity, discount = subtotal - total, tax
  on top. True (the shop showed prices with tax): unit price = (subtotal + subtotal_tax) / quantity,
  discount = (subtotal + subtotal_tax) - (total + total_tax), shipping = shipping_total +
  shipping_tax, and ``taxes_included``: the canonical total is then the same grand total. Where
  the shop rounds tax at the subtotal, the lines' taxes can exceed ``total_tax`` by a cent: that
  cent becomes ``order_discount`` (the buyer paid ``total``).
- A line whose subtotal does not divide into whole cents becomes two lines of the same ``line_id``
  (``money.split_line``); its discount and tax stay on the first.
- Status: pending and on-hold: pending; processing: open; completed: shipped, with one shipment
  ``{id}/completed`` (no carrier: WooCommerce core has no tracking); cancelled, failed and trash:
  cancelled; refunded: open, the money carried by ``refunds`` (their ``total`` is negative).
- Refund ``reason`` is free text typed by staff: kept, capped at 200 characters.
- ``fee_lines`` have no canonical field: an order with fees is flagged for staff (its
  ``channel_total`` includes them, the lines do not).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.marketplaces.channel_documents import (
    ZERO,
    amount,
    capped,
    identifier,
    money_text,
    optional_identifier,
    signed_amount,
    utc_time,
)
from shared.marketplaces.documents import (
    as_object,
    child,
    children,
    compact,
    placeholder_email,
    text,
    validate_channel_order,
    whole_number,
)
from shared.marketplaces.money import parse_amount, parse_currency, split_line
from shared.models.channels import ChannelOrder, ChannelStatus

CHANNEL = "woocommerce"
FALLBACK_NAME = "WooCommerce customer"
REASON_LIMIT = 200
STATUSES: dict[str, ChannelStatus] = {
    "pending": "pending",
    "on-hold": "pending",
    "processing": "open",
    "completed": "shipped",
    "refunded": "open",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "trash": "cancelled",
}
_ADDRESS_FIELDS = {
    "shipping_address": "shipping",
    "shipping_address.name": "shipping.first_name",
    "shipping_address.line1": "shipping.address_1",
    "shipping_address.line2": "shipping.address_2",
    "shipping_address.city": "shipping.city",
    "shipping_address.region": "shipping.state",
    "shipping_address.postal_code": "shipping.postcode",
    "shipping_address.country": "shipping.country",
}


def to_order(document: dict[str, Any], *, channel: str = CHANNEL, topic: str | None = None) -> ChannelOrder:
    order = as_object(document, "order")
    external_id = identifier(order, "id", "id")
    fields: dict[str, str] = {"external_id": "id", "currency": "currency", **_ADDRESS_FIELDS}
    state = text(order, "status", "status")
    if state is None:
        raise ValueError("status is missing")
    if state not in STATUSES:
        raise ValueError("status is not a WooCommerce core order status")
    included = order.get("prices_include_tax") is True
    shipping = amount(order, "shipping_total", "shipping_total")
    if included:
        shipping += amount(order, "shipping_tax", "shipping_tax")
    lines = _lines(order, included, fields)
    tax_total = amount(order, "total_tax", "total_tax")
    attention = []
    rounding = ZERO
    if included:  # "round tax at subtotal": the lines' taxes can add up to a cent more than total_tax
        line_tax = sum((Decimal(line["tax"]) for line in lines), ZERO)
        rounding = line_tax + amount(order, "shipping_tax", "shipping_tax") - tax_total
        if rounding < 0:
            attention.append("total_tax is more than the line and shipping taxes")
            rounding = ZERO
    if children(order, "fee_lines", "fee_lines"):
        attention.append("fee_lines: fees are not carried as lines; the channel total includes them")

    body = compact(
        {
            "channel": channel,
            "external_id": external_id,
            "status": STATUSES[state],
            "placed_at": utc_time(order.get("date_created_gmt"), "date_created_gmt", naive_is_utc=True),
            "version": utc_time(order.get("date_modified_gmt"), "date_modified_gmt", naive_is_utc=True),
            "customer": _customer(order, channel, external_id, fields),
            "shipping_address": _address(child(order, "shipping", "shipping")),
            "currency": parse_currency(order.get("currency"), "currency"),
            "lines": lines,
            "shipping_total": money_text(shipping),
            "order_discount": money_text(rounding),
            "tax_total": money_text(tax_total),
            "taxes_included": included,
            "channel_total": money_text(parse_amount(order.get("total"), "total")),
            "shipments": _shipments(order, external_id, state),
            "refunds": _refunds(order),
            "attention": attention,
        }
    )
    fields.update({"channel_total": "total", "tax_total": "total_tax", "shipping_total": "shipping_total"})
    return validate_channel_order(body, fields)


def _lines(order: dict[str, Any], included: bool, fields: dict[str, str]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    fields["lines"] = "line_items"
    for i, item in enumerate(children(order, "line_items", "line_items")):
        at = f"line_items[{i}]"
        quantity = whole_number(item, "quantity", f"{at}.quantity")
        gross = parse_amount(item.get("subtotal"), f"{at}.subtotal")
        net = parse_amount(item.get("total"), f"{at}.total")
        tax = amount(item, "total_tax", f"{at}.total_tax")
        if included:
            gross += amount(item, "subtotal_tax", f"{at}.subtotal_tax")
            net += tax
        discount = gross - net
        if discount < 0:
            raise ValueError(f"{at}.total is more than {at}.subtotal")
        sku = text(item, "sku", f"{at}.sku")
        base = {
            "line_id": identifier(item, "id", f"{at}.id"),
            "sku": sku,
            "listing": None if sku else _listing(item, at),
        }
        parts = split_line("-", quantity, gross) if quantity else [{"quantity": 0, "unit_price": "0.00"}]
        for k, part in enumerate(parts):
            lines.append(
                {
                    **base,
                    "quantity": part["quantity"],
                    "unit_price": part["unit_price"],
                    "discount": money_text(discount if k == 0 else ZERO),
                    "tax": money_text(tax if k == 0 else ZERO),
                }
            )
            n = len(lines) - 1
            fields.update(
                {
                    f"lines[{n}]": at,
                    f"lines[{n}].sku": f"{at}.sku",
                    f"lines[{n}].listing": f"{at}.product_id",
                    f"lines[{n}].quantity": f"{at}.quantity",
                    f"lines[{n}].unit_price": f"{at}.subtotal",
                    f"lines[{n}].discount": f"{at}.total",
                    f"lines[{n}].tax": f"{at}.total_tax",
                }
            )
    return lines


def _listing(item: dict[str, Any], at: str) -> str | None:
    """``product_id``, or ``product_id/variation_id`` for a variation (``variation_id`` 0: none)."""
    product = optional_identifier(item, "product_id", f"{at}.product_id")
    if product is None:
        return capped(text(item, "name", f"{at}.name"), 200)
    variation = optional_identifier(item, "variation_id", f"{at}.variation_id")
    return f"{product}/{variation}" if variation else product


def _customer(
    order: dict[str, Any], channel: str, external_id: str, fields: dict[str, str]
) -> dict[str, Any]:
    billing = child(order, "billing", "billing")
    shipping = child(order, "shipping", "shipping")
    fields["customer.email"] = "billing.email"
    email = text(billing, "email", "billing.email") or placeholder_email(channel, external_id)
    name, fields["customer.name"] = (
        _full_name(billing, "billing")
        or _full_name(shipping, "shipping")
        or (
            FALLBACK_NAME,
            "billing.first_name",
        )
    )
    fields["customer.phone"] = "billing.phone"
    return compact(
        {"email": email, "name": capped(name, 200), "phone": text(billing, "phone", "billing.phone")}
    )


def _full_name(address: dict[str, Any], where: str) -> tuple[str, str] | None:
    parts = [p for key in ("first_name", "last_name") if (p := text(address, key, f"{where}.{key}"))]
    return (" ".join(parts), f"{where}.first_name") if parts else None


def _address(shipping: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical address, or ``None`` when the order has no shipping street (virtual goods)."""
    line1 = text(shipping, "address_1", "shipping.address_1")
    if line1 is None:
        return None
    country = text(shipping, "country", "shipping.country")
    named = _full_name(shipping, "shipping")
    return compact(
        {
            "name": named[0] if named else None,
            "line1": line1,
            "line2": text(shipping, "address_2", "shipping.address_2"),
            "city": text(shipping, "city", "shipping.city"),
            "region": text(shipping, "state", "shipping.state"),
            "postal_code": text(shipping, "postcode", "shipping.postcode"),
            "country": country.upper() if country else None,
        }
    )


def _shipments(order: dict[str, Any], external_id: str, state: str) -> list[dict[str, Any]]:
    """A completed order shipped everything, once; WooCommerce core says no more than that."""
    if state != "completed":
        return []
    shipped_at = utc_time(order.get("date_completed_gmt"), "date_completed_gmt", naive_is_utc=True)
    return [compact({"shipment_ref": f"{external_id}/completed", "shipped_at": shipped_at})]


def _refunds(order: dict[str, Any]) -> list[dict[str, Any]]:
    refunds = []
    for i, refund in enumerate(children(order, "refunds", "refunds")):
        at = f"refunds[{i}]"
        money: Decimal = signed_amount(refund.get("total"), f"{at}.total")
        refunds.append(
            compact(
                {
                    "refund_id": identifier(refund, "id", f"{at}.id"),
                    "amount": money_text(money),
                    "reason": capped(text(refund, "reason", f"{at}.reason"), REASON_LIMIT),
                }
            )
        )
    return refunds
