"""Amazon Selling Partner API, Orders v0: an ``Order`` (getOrder) with its ``OrderItems`` (getOrderItems).

Field names as in amzn/selling-partner-api-models ``models/orders-api-model/ordersV0.json``:
``Order.AmazonOrderId``, ``OrderStatus``, ``FulfillmentChannel`` (``AFN``: fulfilled by Amazon),
``PurchaseDate``, ``LastUpdateDate``, ``MarketplaceId``, ``BuyerInfo.BuyerEmail`` (an anonymised
relay address) and ``BuyerName``, ``ShippingAddress`` (``Address``), ``OrderTotal`` (``Money``:
``CurrencyCode``, ``Amount`` as a string) and per ``OrderItem``: ``OrderItemId``, ``SellerSKU``,
``QuantityOrdered``, ``ItemPrice``, ``ItemTax``, ``PromotionDiscount``, ``PromotionDiscountTax``,
``ShippingPrice``, ``ShippingTax``, ``ShippingDiscount``, ``ShippingDiscountTax``,
``BuyerRequestedCancel``.

Status: Pending and PendingAvailability (a pre-order not yet paid) -> pending; Unshipped and
PartiallyShipped -> open (which units shipped is not a shipment the document names: none is made);
Shipped and InvoiceUnconfirmed (every item shipped, the invoice not yet confirmed) -> shipped, with
one shipment ``{AmazonOrderId}/shipped`` for a merchant-fulfilled order (the Orders API names no
carrier or tracking); Canceled -> cancelled; Unfulfillable (Multi-Channel Fulfillment only) -> open
with an attention note, for staff to decide.

Money: ``ItemPrice`` is the price of the whole item line, "the selling price of the item multiplied
by the quantity ordered", before promotions and without shipping and gift wrap. A Pending order
carries no prices: its lines take the catalog price. ``PromotionDiscount`` is the line's discount;
shipping and its discount are summed over the items; the tax is ``ItemTax + ShippingTax`` less
``PromotionDiscountTax`` and ``ShippingDiscountTax``. Whether that tax is in the prices depends on
the marketplace (``taxes_included``). An item with ``QuantityOrdered`` 0 was cancelled: it stays, with
quantity 0, so the order's lines are known.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.marketplaces.documents import (
    as_object,
    capped,
    child,
    children,
    compact,
    first_text,
    placeholder_email,
    required_text,
    text,
    timestamp,
    validate_channel_order,
    whole_number,
)
from shared.marketplaces.money import channel_lines, one_currency, parse_amount, parse_currency
from shared.models.channels import ChannelOrder

CHANNEL = "amazon"
FALLBACK_NAME = "Amazon customer"
ZERO = Decimal("0.00")
REASON_LENGTH = 200

# Amazon marketplaces whose prices include the tax (VAT, GST, consumption tax): there ``ItemTax`` and
# ``ShippingTax`` are the tax inside ``ItemPrice`` and ``ShippingPrice``, and ``OrderTotal`` does not
# add them again. Everywhere else (Amazon.com, .ca, .com.mx, .com.br, .com.au: sales tax or GST on
# top, as the published US examples show) ``OrderTotal`` = prices - promotions + tax. The EU and UK
# display VAT-inclusive prices by law; so does Japan (consumption tax, total-price display since 2021).
PRICES_INCLUDE_TAX = frozenset(
    {
        "A1PA6795UKMFR9",  # Amazon.de
        "A1F83G8C2ARO7P",  # Amazon.co.uk
        "A13V1IB3VIYZZH",  # Amazon.fr
        "APJ6JRA9NG5V4",  # Amazon.it
        "A1RKKUPIHCS9HS",  # Amazon.es
        "A1805IZSGTT6HS",  # Amazon.nl
        "A2NODRKZP88ZB9",  # Amazon.se
        "A1C3SOZRARQ6R3",  # Amazon.pl
        "AMEN7PMS3EDWL",  # Amazon.com.be
        "A1VC38T7YXB528",  # Amazon.co.jp
    }
)

STATUSES = {
    "Pending": "pending",
    "PendingAvailability": "pending",
    "Unshipped": "open",
    "PartiallyShipped": "open",
    "Unfulfillable": "open",
    "Shipped": "shipped",
    "InvoiceUnconfirmed": "shipped",
    "Canceled": "cancelled",
}
_ADDRESS_FIELDS = {
    "shipping_address.name": "ShippingAddress.Name",
    "shipping_address.line1": "ShippingAddress.AddressLine1",
    "shipping_address.line2": "ShippingAddress.AddressLine2",
    "shipping_address.city": "ShippingAddress.City",
    "shipping_address.region": "ShippingAddress.StateOrRegion",
    "shipping_address.postal_code": "ShippingAddress.PostalCode",
    "shipping_address.country": "ShippingAddress.CountryCode",
    "shipping_address": "ShippingAddress",
}


def taxes_included(marketplace_id: str | None) -> bool:
    """Whether the marketplace's prices hold the tax (see ``PRICES_INCLUDE_TAX``)."""
    return marketplace_id in PRICES_INCLUDE_TAX


def to_order(
    document: dict[str, Any], *, channel: str | None = None, topic: str | None = None
) -> ChannelOrder:
    """The canonical order of one SP-API ``Order`` document (``topic`` is unused: Amazon has none)."""
    order = as_object(document, "order")
    fields = {
        "external_id": "AmazonOrderId",
        "customer.phone": "ShippingAddress.Phone",
        "placed_at": "PurchaseDate",
        "version": "LastUpdateDate",
        "channel_total": "OrderTotal.Amount",
        **_ADDRESS_FIELDS,
    }
    external_id = required_text(order, "AmazonOrderId", "AmazonOrderId")
    raw_status = required_text(order, "OrderStatus", "OrderStatus")
    if raw_status not in STATUSES:
        raise ValueError("OrderStatus is not a known Orders v0 status")
    status = STATUSES[raw_status]
    fba = text(order, "FulfillmentChannel", "FulfillmentChannel") == "AFN"

    money = _Money(fields)
    lines, attention = _lines(order, money, fields)
    total = child(order, "OrderTotal", "OrderTotal")
    channel_total = money.optional(total, "OrderTotal")
    currency = one_currency(money.currencies)
    if currency is None and money.missing_currency:
        raise ValueError(f"{money.missing_currency} is missing")
    fields["currency"] = "OrderItems.ItemPrice.CurrencyCode"
    if raw_status == "Unfulfillable":
        attention.insert(0, "Amazon reports the order as Unfulfillable (Multi-Channel Fulfillment)")

    shipments = []
    if status == "shipped" and not fba:
        shipments.append({"shipment_ref": f"{external_id}/shipped"})
    body = compact(
        {
            "channel": channel or CHANNEL,
            "external_id": external_id,
            "status": status,
            "fulfilled_by_channel": fba,
            "placed_at": timestamp(order, "PurchaseDate", "PurchaseDate"),
            "version": timestamp(order, "LastUpdateDate", "LastUpdateDate"),
            "customer": _customer(order, external_id, fields),
            "shipping_address": _address(child(order, "ShippingAddress", "ShippingAddress")),
            "currency": currency,
            "lines": lines,
            "shipping_total": money.text(money.shipping),
            "shipping_discount": money.text(money.shipping_discount),
            "tax_total": money.text(money.tax),
            "taxes_included": taxes_included(text(order, "MarketplaceId", "MarketplaceId")),
            "channel_total": None if channel_total is None else money.text(channel_total),
            "shipments": shipments,
            "attention": attention,
        }
    )
    return validate_channel_order(body, fields)


class _Money:
    """Reads the items' ``Money`` fields: the currencies seen, and the order-level sums."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        self.currencies: dict[str, str] = {}
        self.missing_currency: str | None = None
        self.shipping = ZERO
        self.shipping_discount = ZERO
        self.tax = ZERO

    def optional(self, money: dict[str, Any], at: str) -> Decimal | None:
        """The amount of a ``Money`` object, or None when it has neither amount nor currency."""
        if money.get("Amount") is None and money.get("CurrencyCode") is None:
            return None
        if money.get("CurrencyCode") is None:
            self.missing_currency = self.missing_currency or f"{at}.CurrencyCode"
        else:
            self.currencies[f"{at}.CurrencyCode"] = parse_currency(
                money["CurrencyCode"], f"{at}.CurrencyCode"
            )
        return parse_amount(money.get("Amount"), f"{at}.Amount")

    def amount(self, item: dict[str, Any], key: str, at: str) -> Decimal:
        return self.optional(child(item, key, f"{at}.{key}"), f"{at}.{key}") or ZERO

    @staticmethod
    def text(amount: Decimal) -> str:
        return format(amount, "f")


def _lines(
    order: dict[str, Any], money: _Money, fields: dict[str, str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Canonical lines (summing shipping and tax into ``money``) and the attention notes."""
    lines: list[dict[str, Any]] = []
    reasons: list[str] = []
    extras: list[str] = []
    fields["lines"] = "OrderItems"
    for i, item in enumerate(children(order, "OrderItems", "OrderItems")):
        at = f"OrderItems[{i}]"
        quantity = whole_number(item, "QuantityOrdered", f"{at}.QuantityOrdered")
        price_at = f"{at}.ItemPrice"
        price = money.optional(child(item, "ItemPrice", price_at), price_at)
        discount = money.amount(item, "PromotionDiscount", at)
        tax = money.amount(item, "ItemTax", at) - money.amount(item, "PromotionDiscountTax", at)
        if tax < 0:
            raise ValueError(f"{at}.PromotionDiscountTax is more than {at}.ItemTax")
        money.shipping += money.amount(item, "ShippingPrice", at)
        money.shipping_discount += money.amount(item, "ShippingDiscount", at)
        shipping_tax = money.amount(item, "ShippingTax", at) - money.amount(item, "ShippingDiscountTax", at)
        money.tax += tax + shipping_tax
        if money.amount(item, "CODFee", at) or money.amount(
            child(item, "BuyerInfo", f"{at}.BuyerInfo"), "GiftWrapPrice", f"{at}.BuyerInfo"
        ):
            extras.append(f"{at}: a COD fee or gift wrap is charged, not in the order's totals")
        base = compact(
            {
                "line_id": text(item, "OrderItemId", f"{at}.OrderItemId"),
                "sku": required_text(item, "SellerSKU", f"{at}.SellerSKU"),
            }
        )
        new = channel_lines(
            base, quantity, price, discount=discount, tax=tax, currency=_currency_of(item, price_at)
        )
        for n in range(len(lines), len(lines) + len(new)):
            fields[f"lines[{n}]"] = at
            fields[f"lines[{n}].sku"] = f"{at}.SellerSKU"
            fields[f"lines[{n}].line_id"] = f"{at}.OrderItemId"
            fields[f"lines[{n}].quantity"] = f"{at}.QuantityOrdered"
            fields[f"lines[{n}].unit_price"] = f"{price_at}.Amount"
            fields[f"lines[{n}].discount"] = f"{at}.PromotionDiscount.Amount"
            fields[f"lines[{n}].tax"] = f"{at}.ItemTax.Amount"
        lines.extend(new)
        cancel = child(item, "BuyerRequestedCancel", f"{at}.BuyerRequestedCancel")
        if (
            text(cancel, "IsBuyerRequestedCancel", f"{at}.BuyerRequestedCancel.IsBuyerRequestedCancel")
            == "true"
        ):
            reason = text(cancel, "BuyerCancelReason", f"{at}.BuyerRequestedCancel.BuyerCancelReason")
            reasons.append(capped(reason, REASON_LENGTH) if reason else "no reason given")
    if not lines:
        raise ValueError("OrderItems is missing or empty")
    attention = [f"buyer requested cancellation: {reason}" for reason in dict.fromkeys(reasons)]
    return lines, attention + extras


def _currency_of(item: dict[str, Any], at: str) -> str | None:
    value = as_object(item.get("ItemPrice"), at).get("CurrencyCode")
    return value if isinstance(value, str) else None


def _customer(order: dict[str, Any], external_id: str, fields: dict[str, str]) -> dict[str, Any]:
    buyer = child(order, "BuyerInfo", "BuyerInfo")
    shipping = child(order, "ShippingAddress", "ShippingAddress")
    email = text(buyer, "BuyerEmail", "BuyerInfo.BuyerEmail") or placeholder_email(CHANNEL, external_id)
    fields["customer.email"] = "BuyerInfo.BuyerEmail"
    name, fields["customer.name"] = first_text(
        (buyer, "BuyerName", "BuyerInfo.BuyerName"), (shipping, "Name", "ShippingAddress.Name")
    ) or (FALLBACK_NAME, "BuyerInfo.BuyerName")
    return compact({"email": email, "name": name, "phone": text(shipping, "Phone", "ShippingAddress.Phone")})


def _address(shipping: dict[str, Any]) -> dict[str, Any] | None:
    """The canonical address, or ``None`` when there is no street to ship to.

    Without the restricted-data role Amazon sends only City, StateOrRegion, PostalCode and
    CountryCode: such an order is taken without an address. AddressLine3 joins AddressLine2.
    """
    street = [
        line
        for key in ("AddressLine1", "AddressLine2", "AddressLine3")
        if (line := text(shipping, key, f"ShippingAddress.{key}"))
    ]
    if not street:
        return None
    return compact(
        {
            "name": text(shipping, "Name", "ShippingAddress.Name"),
            "line1": street[0],
            "line2": ", ".join(street[1:]) or None,
            "city": required_text(shipping, "City", "ShippingAddress.City"),
            "region": text(shipping, "StateOrRegion", "ShippingAddress.StateOrRegion"),
            "postal_code": text(shipping, "PostalCode", "ShippingAddress.PostalCode"),
            "country": required_text(shipping, "CountryCode", "ShippingAddress.CountryCode").upper(),
        }
    )
