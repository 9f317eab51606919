"""Shopify REST Admin API: the ``Order`` resource (order webhooks) and the ``Refund`` (``refunds/create``).

Field names as in https://shopify.dev/docs/api/admin-rest/latest/resources/order and the webhook
reference (https://shopify.dev/docs/api/webhooks). Conventions this adapter follows:

- ``external_id`` is ``str(order["id"])``, the numeric id. ``name`` (``#1001``) is a display label:
  a shop can change its prefix and suffix, and the refunds/create payload carries only ``order_id``.
- Times (``created_at`` -> ``placed_at``, ``updated_at`` -> ``version``) come with an offset and are
  normalised to UTC with microseconds and a Z.
- Money is the shop currency: the plain fields (``price``, ``amount``) are ``*_set.shop_money``;
  ``currency`` is the order's shop currency. ``line_items[].price`` is the unit price before
  discounts; every discount is allocated (``discount_allocations``) to a line or a shipping line, so
  ``order_discount`` stays 0. ``taxes_included`` is the order's own flag: when true, prices and
  shipping already hold the tax in ``tax_lines``.
- Lines are the order *after edits and before refunds*: ``current_quantity`` is "the line item's
  quantity, minus the removed quantity", and refunded units are removed too, so the units the
  order's ``refunds[].refund_line_items`` gave back are added again. The OMS records refunds as
  refunds (they count as returns); a line an edit removed keeps quantity 0. ``channel_total`` is
  ``total_price``, the order's total before refunds (GraphQL ``totalPriceSet``: "before returns");
  ``current_total_price`` also subtracts refunds and is not used.
- Status: ``cancelled_at`` set, or ``financial_status`` ``voided``: cancelled; ``pending`` (or none
  given): pending; ``authorized`` is payment secured and counts as open, like ``paid``,
  ``partially_paid``, ``partially_refunded`` and ``refunded`` (refunds are carried as refunds); open
  becomes shipped when ``fulfillment_status`` is ``fulfilled``.
- Refund ``note`` is free text typed by staff: it is kept as the reason, capped at 200 characters.
- ``orders/edited`` is not an order: its payload is an ``order_edit`` (what changed); Shopify sends
  ``orders/updated`` with the edited order after it, and that is the document to apply.
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
    utc_time,
)
from shared.marketplaces.documents import (
    as_object,
    child,
    children,
    compact,
    first_text,
    placeholder_email,
    text,
    validate_channel_order,
    validate_refund_notice,
    whole_number,
)
from shared.marketplaces.money import parse_amount, parse_currency
from shared.models.channels import ChannelOrder, ChannelStatus, RefundNotice

CHANNEL = "shopify"
FALLBACK_NAME = "Shopify customer"
REASON_LIMIT = 200
OPEN_FINANCIAL = {"authorized", "paid", "partially_paid", "partially_refunded", "refunded"}
_ADDRESS_FIELDS = {
    "shipping_address": "shipping_address",
    "shipping_address.name": "shipping_address.name",
    "shipping_address.line1": "shipping_address.address1",
    "shipping_address.line2": "shipping_address.address2",
    "shipping_address.city": "shipping_address.city",
    "shipping_address.region": "shipping_address.province_code",
    "shipping_address.postal_code": "shipping_address.zip",
    "shipping_address.country": "shipping_address.country_code",
}


def to_order(
    document: dict[str, Any], *, channel: str = CHANNEL, topic: str | None = None
) -> ChannelOrder | RefundNotice:
    if topic == "refunds/create":
        return _refund_notice(as_object(document, "refund"), channel)
    if topic == "orders/edited":
        raise ValueError(
            "orders/edited carries an order_edit, not an order: apply the orders/updated that follows it"
        )
    order = as_object(document, "order")
    external_id = identifier(order, "id", "id")
    fields: dict[str, str] = {"external_id": "id", "currency": "currency", **_ADDRESS_FIELDS}
    currency = parse_currency(order.get("currency"), "currency")
    taxes_included = order.get("taxes_included") is True

    by_line_id = {
        str(item.get("id")): item for item in children(order, "line_items", "line_items") if item.get("id")
    }
    refunds = [
        _refund(r, f"refunds[{i}]", by_line_id) for i, r in enumerate(children(order, "refunds", "refunds"))
    ]
    refunded_units = _refunded_units(order)
    lines = _lines(order, refunded_units, fields)
    shipping_total, shipping_discount, shipping_tax = _shipping(order)
    tax_total = sum((line["_tax"] for line in lines), ZERO) + shipping_tax
    removed = any(line.pop("_removed") for line in lines)
    for line in lines:
        line["tax"] = money_text(line.pop("_tax"))
    attention = []
    if (
        not removed
        and order.get("total_tax") is not None
        and amount(order, "total_tax", "total_tax") != tax_total
    ):
        attention.append("total_tax differs from the sum of the line and shipping tax_lines")

    body = compact(
        {
            "channel": channel,
            "external_id": external_id,
            "status": _status(order),
            "placed_at": utc_time(order.get("created_at"), "created_at"),
            "version": utc_time(order.get("updated_at"), "updated_at"),
            "customer": _customer(order, channel, external_id, fields),
            "shipping_address": _address(child(order, "shipping_address", "shipping_address")),
            "currency": currency,
            "lines": lines,
            "shipping_total": money_text(shipping_total),
            "shipping_discount": money_text(shipping_discount),
            "tax_total": money_text(tax_total),
            "taxes_included": taxes_included,
            "channel_total": money_text(parse_amount(order.get("total_price"), "total_price")),
            "shipments": _shipments(order),
            "refunds": refunds,
            "attention": attention,
        }
    )
    fields.update({"channel_total": "total_price", "tax_total": "total_tax", "placed_at": "created_at"})
    return validate_channel_order(body, fields)


def _status(order: dict[str, Any]) -> ChannelStatus:
    financial = text(order, "financial_status", "financial_status")
    if order.get("cancelled_at") or financial == "voided":
        return "cancelled"
    if financial not in OPEN_FINANCIAL:
        return "pending"  # pending, or a state Shopify adds later: reserve stock, do not ship yet
    fulfillment = text(order, "fulfillment_status", "fulfillment_status")
    return "shipped" if fulfillment == "fulfilled" else "open"


def _refunded_units(order: dict[str, Any]) -> dict[str, int]:
    """Units given back per line id, over every refund of the order."""
    units: dict[str, int] = {}
    for i, refund in enumerate(children(order, "refunds", "refunds")):
        for j, item in enumerate(children(refund, "refund_line_items", f"refunds[{i}].refund_line_items")):
            at = f"refunds[{i}].refund_line_items[{j}]"
            line_id = identifier(item, "line_item_id", f"{at}.line_item_id")
            units[line_id] = units.get(line_id, 0) + whole_number(item, "quantity", f"{at}.quantity")
    return units


def _lines(order: dict[str, Any], refunded: dict[str, int], fields: dict[str, str]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    fields["lines"] = "line_items"
    for i, item in enumerate(children(order, "line_items", "line_items")):
        at = f"line_items[{i}]"
        line_id = identifier(item, "id", f"{at}.id")
        ordered = whole_number(item, "quantity", f"{at}.quantity")
        current = (
            whole_number(item, "current_quantity", f"{at}.current_quantity")
            if (item.get("current_quantity") is not None)
            else ordered
        )
        quantity = min(ordered, current + refunded.get(line_id, 0))
        discount, tax = ZERO, ZERO
        if quantity:  # a line an edit removed keeps no discount or tax of its own
            discount = _discount(item, at)
            tax = _sum_prices(item, "tax_lines", f"{at}.tax_lines")
        sku = text(item, "sku", f"{at}.sku")
        lines.append(
            {
                "line_id": line_id,
                "sku": sku,
                "listing": None if sku else _listing(item, at),
                "quantity": quantity,
                "unit_price": money_text(parse_amount(item.get("price"), f"{at}.price")),
                "discount": money_text(discount),
                "_tax": tax,
                "_removed": quantity < ordered and not refunded.get(line_id),
            }
        )
        n = len(lines) - 1
        fields.update(
            {
                f"lines[{n}]": at,
                f"lines[{n}].sku": f"{at}.sku",
                f"lines[{n}].listing": f"{at}.product_id",
                f"lines[{n}].quantity": f"{at}.current_quantity",
                f"lines[{n}].unit_price": f"{at}.price",
                f"lines[{n}].discount": f"{at}.discount_allocations",
                f"lines[{n}].tax": f"{at}.tax_lines",
            }
        )
    return lines


def _listing(item: dict[str, Any], at: str) -> str | None:
    """``product_id/variant_id`` for a line without a SKU; a custom item (no product) by its title."""
    product = optional_identifier(item, "product_id", f"{at}.product_id")
    if product is None:
        title = text(item, "title", f"{at}.title") or text(item, "name", f"{at}.name")
        return capped(title, 200)
    variant = optional_identifier(item, "variant_id", f"{at}.variant_id")
    return f"{product}/{variant}" if variant else product


def _discount(item: dict[str, Any], at: str) -> Decimal:
    if item.get("discount_allocations") is not None:
        allocations = children(item, "discount_allocations", f"{at}.discount_allocations")
        return sum(
            (
                parse_amount(a.get("amount"), f"{at}.discount_allocations[{k}].amount")
                for k, a in enumerate(allocations)
            ),
            ZERO,
        )
    return amount(item, "total_discount", f"{at}.total_discount")  # older API versions


def _sum_prices(parent: dict[str, Any], key: str, field: str) -> Decimal:
    return sum(
        (
            parse_amount(t.get("price"), f"{field}[{k}].price")
            for k, t in enumerate(children(parent, key, field))
        ),
        ZERO,
    )


def _shipping(order: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    """Shipping charged (before its discounts), its discounts and its tax; removed lines left out."""
    total, discount, tax = ZERO, ZERO, ZERO
    for i, line in enumerate(children(order, "shipping_lines", "shipping_lines")):
        at = f"shipping_lines[{i}]"
        if line.get("is_removed") is True:
            continue
        total += parse_amount(line.get("price"), f"{at}.price")
        discount += _discount(line, at)
        tax += _sum_prices(line, "tax_lines", f"{at}.tax_lines")
    return total, discount, tax


def _customer(
    order: dict[str, Any], channel: str, external_id: str, fields: dict[str, str]
) -> dict[str, Any]:
    customer = child(order, "customer", "customer")
    shipping = child(order, "shipping_address", "shipping_address")
    billing = child(order, "billing_address", "billing_address")
    email = first_text(
        (order, "email", "email"),
        (order, "contact_email", "contact_email"),
        (customer, "email", "customer.email"),
    )
    if email is None:
        fields["customer.email"] = "email"
        address = placeholder_email(channel, external_id)
    else:
        address, fields["customer.email"] = email
    given = " ".join(
        part
        for part in (
            text(customer, "first_name", "customer.first_name"),
            text(customer, "last_name", "customer.last_name"),
        )
        if part
    )
    named = (
        (given, "customer.first_name")
        if given
        else first_text(
            (shipping, "name", "shipping_address.name"), (billing, "name", "billing_address.name")
        )
    )
    name, fields["customer.name"] = named or (FALLBACK_NAME, "customer.first_name")
    phone = first_text(
        (order, "phone", "phone"),
        (customer, "phone", "customer.phone"),
        (shipping, "phone", "shipping_address.phone"),
    )
    if phone:
        fields["customer.phone"] = phone[1]
    return compact({"email": address, "name": capped(name, 200), "phone": phone[0] if phone else None})


def _address(shipping: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical address, or ``None`` when there is no street to ship to (digital goods, pickup)."""
    line1 = text(shipping, "address1", "shipping_address.address1")
    if line1 is None:
        return None
    given = " ".join(
        p
        for p in (
            text(shipping, "first_name", "shipping_address.first_name"),
            text(shipping, "last_name", "shipping_address.last_name"),
        )
        if p
    )
    country = text(shipping, "country_code", "shipping_address.country_code")
    return compact(
        {
            "name": text(shipping, "name", "shipping_address.name") or given or None,
            "line1": line1,
            "line2": text(shipping, "address2", "shipping_address.address2"),
            "city": text(shipping, "city", "shipping_address.city"),
            "region": text(shipping, "province_code", "shipping_address.province_code")
            or text(shipping, "province", "shipping_address.province"),
            "postal_code": text(shipping, "zip", "shipping_address.zip"),
            "country": country.upper() if country else None,
        }
    )


def _shipments(order: dict[str, Any]) -> list[dict[str, Any]]:
    """Successful fulfillments (pending, open, failure, cancelled and error ones shipped nothing)."""
    shipments: list[dict[str, Any]] = []
    for i, fulfillment in enumerate(children(order, "fulfillments", "fulfillments")):
        at = f"fulfillments[{i}]"
        if text(fulfillment, "status", f"{at}.status") != "success":
            continue
        lines = []
        for j, item in enumerate(children(fulfillment, "line_items", f"{at}.line_items")):
            sku = text(item, "sku", f"{at}.line_items[{j}].sku")
            if sku:
                lines.append((sku, whole_number(item, "quantity", f"{at}.line_items[{j}].quantity")))
        shipments.append(
            compact(
                {
                    "shipment_ref": identifier(fulfillment, "id", f"{at}.id"),
                    "carrier": capped(text(fulfillment, "tracking_company", f"{at}.tracking_company"), 40),
                    "tracking_number": text(fulfillment, "tracking_number", f"{at}.tracking_number"),
                    "lines": lines or None,
                    "shipped_at": utc_time(fulfillment.get("created_at"), f"{at}.created_at"),
                }
            )
        )
    return shipments


def _refund(refund: dict[str, Any], at: str, by_line_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A ``Refund``: the money is its successful ``refund`` transactions; lines by SKU where known."""
    money = ZERO
    for k, transaction in enumerate(children(refund, "transactions", f"{at}.transactions")):
        where = f"{at}.transactions[{k}]"
        if (
            text(transaction, "kind", f"{where}.kind") == "refund"
            and text(transaction, "status", f"{where}.status") == "success"
        ):
            money += parse_amount(transaction.get("amount"), f"{where}.amount")
    lines = []
    for j, item in enumerate(children(refund, "refund_line_items", f"{at}.refund_line_items")):
        where = f"{at}.refund_line_items[{j}]"
        line = child(item, "line_item", f"{where}.line_item") or by_line_id.get(
            str(item.get("line_item_id")), {}
        )
        sku = text(line, "sku", f"{where}.line_item.sku")
        if sku:
            lines.append((sku, whole_number(item, "quantity", f"{where}.quantity")))
    return compact(
        {
            "refund_id": identifier(refund, "id", f"{at}.id"),
            "amount": money_text(money),
            "lines": lines or None,
            "reason": capped(text(refund, "note", f"{at}.note"), REASON_LIMIT),
            "refunded_at": utc_time(refund.get("created_at"), f"{at}.created_at"),
        }
    )


def _refund_notice(refund: dict[str, Any], channel: str) -> RefundNotice:
    """``refunds/create``: one Refund, keyed by its ``order_id``."""
    body = {
        "channel": channel,
        "external_id": identifier(refund, "order_id", "order_id"),
        "refund": _refund(refund, "refund", {}),
        "version": utc_time(refund.get("created_at"), "created_at"),
    }
    return validate_refund_notice(
        body, {"external_id": "order_id", "refund": "refund", "version": "created_at"}
    )
