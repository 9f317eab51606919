"""The daily_sales HTML page: one self-contained UTF-8 document, readable offline and printable.

No external resource at all (a Content-Security-Policy of ``default-src 'none'`` says so to the
browser too): inline CSS and inline SVG charts only. Every text from the data is escaped.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape

from shared.models.reports import CurrencySales, DailySales
from shared.reports.render.output import Output
from shared.reports.render.rows import daily_sales_rows, money, statuses
from shared.reports.render.svg import Bar, Group, bar_chart

TOP_SKUS = 10
NO_ORDERS = "No orders on this day."
CSP = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; color: #222; margin: 2em auto; max-width: 60em; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; }
table { border-collapse: collapse; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ccc; }
th { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.neg { color: #b00020; }
.note, .no-data { color: #555; }
dt { font-weight: bold; float: left; clear: left; margin-right: 0.4em; }
dd { margin: 0 0 0.2em 0; }
svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; max-width: none; } section { break-inside: avoid; } }
"""
SUMMARY_COLUMNS = (
    "Currency",
    "Orders",
    "Units",
    "Gross sales",
    "Discounts",
    "Returns",
    "Net sales",
    "Shipping",
    "Taxes",
    "Total sales",
    "Average order value",
    "Cancelled orders",
    "Returned units",
)
GLOSSARY = (
    ("Gross sales", "unit price x quantity, before discounts."),
    ("Discounts", "on lines, on orders and on shipping."),
    ("Returns", "refunded amounts, and returned units at the price sold net of their discount."),
    ("Net sales", "gross sales - discounts - returns."),
    ("Shipping", "charged, before its discounts."),
    ("Taxes", "charged; where prices include tax, it is already inside gross sales and shipping."),
    ("Total sales", "net sales + shipping + taxes (taxes that prices include are not added twice)."),
    ("Cancelled orders", "cancelled on this day: everything they had added is taken back here."),
)


def amount(value: Decimal) -> str:
    """Money as printed: thousands separators, two decimals (Decimal formatting, no float)."""
    return f"{money(value):,.2f}"


def _num(text: str, negative: bool = False) -> str:
    return f'<td class="num{" neg" if negative else ""}">{escape(text)}</td>'


def _summary_row(c: CurrencySales) -> str:
    f = c.totals
    aov = f.average_order_value
    cells = [
        f'<th scope="row">{escape(c.currency)}</th>',
        _num(f"{f.orders:,}", negative=f.orders < 0),
        _num(f"{f.units:,}", negative=f.units < 0),
        *(
            _num(amount(value), negative=value < 0)
            for value in (
                f.gross_sales,
                f.discounts,
                f.returns,
                f.net_sales,
                f.shipping,
                f.taxes,
                f.total_sales,
            )
        ),
        _num("—" if aov is None else amount(aov)),
        _num(f"{f.cancelled_orders:,}"),
        _num(f"{f.returned_units:,}"),
    ]
    return f"<tr>{''.join(cells)}</tr>"


def _glossary() -> str:
    terms = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in GLOSSARY)
    return f'<dl class="note">{terms}</dl>'


def _summary(report: DailySales) -> str:
    if not report.currencies:
        return f'<p class="no-data">{NO_ORDERS}</p>'
    head = "".join(f'<th scope="col">{h}</th>' for h in SUMMARY_COLUMNS)
    body = "".join(_summary_row(c) for c in report.currencies)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{_glossary()}"


def _charts(report: DailySales) -> list[tuple[str, str]]:
    """(heading, chart) for net sales by channel, top SKUs by net sales and orders by status."""
    cs = report.currencies
    by_channel = [
        Group(
            c.currency,
            [Bar(ch.channel, ch.figures.net_sales, amount(ch.figures.net_sales)) for ch in c.by_channel],
        )
        for c in cs
    ]
    top = [
        Group(
            c.currency,
            [
                Bar(s.sku, s.figures.net_sales, amount(s.figures.net_sales))
                for s in sorted(c.by_sku, key=lambda s: (-s.figures.net_sales, s.sku))[:TOP_SKUS]
            ],
        )
        for c in cs
    ]
    by_status = [Group("", [Bar(s, Decimal(n), f"{n:,}") for s, n in statuses(report.orders_by_status)])]
    return [
        (
            "Net sales by channel",
            bar_chart("net-sales-by-channel", "Net sales by channel, per currency", by_channel, NO_ORDERS),
        ),
        (
            f"Top {TOP_SKUS} SKUs",
            bar_chart("top-skus", f"Top {TOP_SKUS} SKUs by net sales, per currency", top, NO_ORDERS),
        ),
        (
            "Orders by status",
            bar_chart(
                "orders-by-status", "Orders placed, by status at the end of the day", by_status, NO_ORDERS
            ),
        ),
    ]


def document(report: DailySales) -> str:
    """The whole page."""
    date, tz = escape(report.date), escape(report.timezone)
    sections = "".join(f"<section><h2>{h}</h2>{chart}</section>" for h, chart in _charts(report))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Daily sales {date} ({tz})</title><style>{STYLE}</style></head><body>"
        f'<header><h1>Daily sales {date}</h1><p class="note">Business day in {tz}. Amounts are per '
        "currency and never added across currencies; the CSV and XLSX files hold every figure.</p></header>"
        f"<section><h2>Summary</h2>{_summary(report)}</section>{sections}</body></html>\n"
    )


def write_daily_sales(report: DailySales, out: Output) -> int:
    """Writes the page; returns the CSV's data row count, so every file of a report says the same."""
    out.write(document(report).encode("utf-8"))
    return sum(1 for _ in daily_sales_rows(report))
