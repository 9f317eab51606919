"""orders_export rows. Pure: one row per order line, identifiers and amounts only (never a name, an
email, a phone or an address, whether or not the customer was erased).

The order's own amounts (subtotal, discount_total, shipping_total, tax_total, total) are on the row of
its first line only: a spreadsheet sums any column and counts each order once. They are the order's
money as daily_sales reads it (shared.reports.money), so the two reports agree.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shared.models.orders import Order
from shared.models.reports import ExportRow
from shared.reports.days import business_day
from shared.reports.money import order_money
from shared.reports.sales import placed_at


def export_rows(order: Order, tz: ZoneInfo) -> list[ExportRow]:
    placed = placed_at(order)
    day = business_day(placed, tz)
    money = order_money(order)
    return [
        ExportRow(
            order_id=order.order_id,
            external_id=order.external_id,
            channel=order.channel,
            status=order.status,
            placed_at=placed,
            created_at=order.created_at,
            business_date=day,
            customer_id=order.customer_id,
            currency=order.currency,
            line=n,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
            line_discount=line.discount,
            taxes_included=order.taxes_included,
            subtotal=money.gross if n == 1 else None,
            discount_total=money.discounts if n == 1 else None,
            shipping_total=money.shipping if n == 1 else None,
            tax_total=money.taxes if n == 1 else None,
            total=money.total if n == 1 else None,
        )
        for n, line in enumerate(order.lines, start=1)
    ]
