"""orders_export rows. Pure: one row per order line, identifiers and amounts only (never a name, an
email, a phone or an address, whether or not the customer was erased)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from shared.models.orders import Order
from shared.models.reports import ExportRow
from shared.reports.days import business_day


def export_rows(order: Order, tz: ZoneInfo) -> list[ExportRow]:
    day = business_day(order.created_at, tz)
    return [
        ExportRow(
            order_id=order.order_id,
            external_id=order.external_id,
            channel=order.channel,
            status=order.status,
            created_at=order.created_at,
            business_date=day,
            customer_id=order.customer_id,
            currency=order.currency,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
        for line in order.lines
    ]
