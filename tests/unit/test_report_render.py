"""Report renderers: CSV, XLSX and HTML files read back and compared with the figures they came from."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest

from shared.models.reports import (
    EXPORT_COLUMNS,
    ChannelSales,
    CurrencySales,
    DailySales,
    ExportRow,
    InventoryReport,
    InventoryRow,
    SalesFigures,
    SkuSales,
)
from shared.reports.render import render, write_export_csv

D = Decimal
CENT = D("0.01")
DATE = "2026-11-23"
TZ = "Europe/Berlin"
# Text from merchants and marketplaces: separators, quotes, newlines, non-ASCII, formulas, markup.
NASTY_CHANNEL = 'shop, "EU"\nBücher'
FORMULA_CHANNEL = "=cmd|' /C calc'!A0"
FORMULA_SKU = "=SUM(A1:A2)"
SCRIPT_SKU = "<script>alert(1)</script>"
NASTY_SKU = 'SKU,"q" x;=1'
HUGE = D("98765432109.87")

DAILY_COLUMNS = [
    "date",
    "currency",
    "section",
    "key",
    "orders",
    "units",
    "gross_sales",
    "discounts",
    "returns",
    "net_sales",
    "shipping",
    "taxes",
    "included_taxes",
    "total_sales",
    "average_order_value",
    "cancelled_orders",
    "returned_units",
]
FIGURES = DAILY_COLUMNS[4:]
ORDER_LEVEL = {"shipping", "taxes", "included_taxes", "total_sales", "average_order_value"}
SKU_FIGURES = [c for c in FIGURES if c not in ORDER_LEVEL]
INVENTORY_COLUMNS = [
    "date",
    "sku",
    "name",
    "location",
    "on_hand",
    "reserved",
    "available",
    "low_stock_threshold",
    "low_stock",
    "units_sold",
    "days_of_cover",
]


def figs(orders: int, gross: str, **kw: Any) -> SalesFigures:
    return SalesFigures(orders=orders, units=kw.pop("units", orders), gross_sales=D(gross), **kw)


def daily_sales() -> DailySales:
    eur_skus = [
        SkuSales(sku=FORMULA_SKU, figures=figs(3, "400.00")),
        SkuSales(sku=SCRIPT_SKU, figures=figs(2, "300.00")),
        SkuSales(sku=NASTY_SKU, figures=figs(2, "200.00")),
        SkuSales(sku="Bücher-1", figures=figs(1, "150.00", returned_units=3, returns=D("450.00"))),
        SkuSales(sku="-5-PACK", figures=figs(1, "100.00")),
        *(SkuSales(sku=f"SKU-{i:02}", figures=figs(1, f"{100 - 10 * i}.00")) for i in range(1, 8)),
    ]
    eur = CurrencySales(
        currency="EUR",
        totals=figs(
            12,
            "1300.50",
            units=20,
            cancelled_orders=1,
            discounts=D("100.00"),
            returned_units=5,
            returns=D("1500.00"),
            shipping=D("20.00"),
            taxes=D("50.00"),
        ),
        by_channel=[
            ChannelSales(channel=FORMULA_CHANNEL, figures=figs(1, "50.00")),
            ChannelSales(
                channel="amazon",
                figures=figs(8, "1000.00", units=12, cancelled_orders=1, discounts=D("100.00")),
            ),
            ChannelSales(channel=NASTY_CHANNEL, figures=figs(3, "250.50")),
        ],
        by_sku=eur_skus,
    )
    usd = CurrencySales(
        currency="USD",
        totals=figs(2, "98765432109.88"),
        by_channel=[ChannelSales(channel="web", figures=figs(2, "98765432109.88"))],
        by_sku=[
            SkuSales(sku="BIG", figures=figs(1, str(HUGE))),
            SkuSales(sku="TINY", figures=figs(1, "0.01")),
        ],
    )
    # Not in lifecycle order on purpose.
    return DailySales(
        date=DATE,
        timezone=TZ,
        currencies=[eur, usd],
        orders_by_status={"SHIPPED": 5, "CANCELLED": 1, "CONFIRMED": 8},
    )


def no_orders() -> DailySales:
    return DailySales(date=DATE, timezone=TZ, currencies=[], orders_by_status={})


def inventory() -> InventoryReport:
    rows = [
        InventoryRow(
            sku=FORMULA_SKU,
            name='Bücher, "Box"\nset',
            location="ALL",
            on_hand=10,
            reserved=4,
            available=6,
            low_stock_threshold=8,
            low_stock=True,
            units_sold=14,
            days_of_cover=D("3.0"),
        ),
        InventoryRow(
            sku=FORMULA_SKU, name='Bücher, "Box"\nset', location="BER-1", on_hand=7, reserved=4, available=3
        ),
        InventoryRow(
            sku=FORMULA_SKU, name='Bücher, "Box"\nset', location="@HAM", on_hand=3, reserved=0, available=3
        ),
        InventoryRow(
            sku="MUG-1",
            name="+1 mug",
            location="ALL",
            on_hand=0,
            reserved=2,
            available=-2,
            low_stock_threshold=None,
            low_stock=False,
            units_sold=None,
            days_of_cover=None,
        ),
    ]
    return InventoryReport(date=DATE, timezone=TZ, sales_from="2026-11-17", sales_to=DATE, rows=rows)


def export_row(i: int) -> ExportRow:
    return ExportRow(
        order_id=f"ord_{i:08}",
        external_id=None if i % 3 else f"-AMZ,{i}",
        channel="amazon" if i % 2 else NASTY_CHANNEL,
        status="CONFIRMED",
        placed_at="2026-11-23T09:00:00Z",
        created_at="2026-11-23T10:00:00Z",
        business_date=DATE,
        customer_id=None if i % 5 else f"cus_{i}",
        currency="EUR",
        line=1 if i % 2 else 2,
        sku=FORMULA_SKU if i % 7 == 0 else f"SKU-{i}",
        quantity=i % 4 + 1,
        unit_price=D("19.99"),
        line_total=D("19.99") * (i % 4 + 1),
        line_discount=D("1.50"),
        taxes_included=i % 3 == 0,
        **(
            {
                "subtotal": D("100.00"),
                "discount_total": D("5.00"),
                "shipping_total": D("4.90"),
                "tax_total": D("19.00"),
                "total": D("99.90"),
            }
            if i % 2
            else {}
        ),
    )


def defused(text: str) -> str:
    """The injection guard as the tests expect it (OWASP)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rendered(report: DailySales | InventoryReport, fmt: Any) -> tuple[int, bytes]:
    out = io.BytesIO()
    count = render(report, fmt, out)
    assert not out.closed
    return count, out.getvalue()


# --- CSV ---------------------------------------------------------------------------------------


def parse_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def money_text(value: Decimal | None) -> str:
    return "" if value is None else format(value.quantize(CENT), "f")


def figure_texts(f: SalesFigures) -> list[str]:
    return [
        str(f.orders),
        str(f.units),
        money_text(f.gross_sales),
        money_text(f.discounts),
        money_text(f.returns),
        money_text(f.net_sales),
        money_text(f.shipping),
        money_text(f.taxes),
        money_text(f.included_taxes),
        money_text(f.total_sales),
        money_text(f.average_order_value),
        str(f.cancelled_orders),
        str(f.returned_units),
    ]


def sku_texts(f: SalesFigures) -> list[str]:
    """A SKU row: the order-level columns (shipping, taxes, total sales, AOV) empty."""
    return [
        "" if column in ORDER_LEVEL else text for column, text in zip(FIGURES, figure_texts(f), strict=True)
    ]


def test_daily_sales_csv_holds_every_figure_section_by_section() -> None:
    report = daily_sales()
    count, data = rendered(report, "csv")

    assert not data.startswith(codecs.BOM_UTF8)
    rows = parse_csv(data)
    assert rows[0] == DAILY_COLUMNS
    expected = [[DATE, c.currency, "total", "", *figure_texts(c.totals)] for c in report.currencies]
    expected += [
        [DATE, c.currency, "channel", defused(ch.channel), *figure_texts(ch.figures)]
        for c in report.currencies
        for ch in c.by_channel
    ]
    expected += [
        [DATE, c.currency, "sku", defused(s.sku), *sku_texts(s.figures)]
        for c in report.currencies
        for s in c.by_sku
    ]
    expected += [
        [DATE, "", "status", status, str(n)] + [""] * 12
        for status, n in [("CONFIRMED", 8), ("SHIPPED", 5), ("CANCELLED", 1)]
    ]
    assert rows[1:] == expected
    assert count == len(rows) - 1 == 2 + 4 + 14 + 3

    by_key = {(r[1], r[2], r[3]): dict(zip(DAILY_COLUMNS, r, strict=True)) for r in rows[1:]}
    eur = by_key[("EUR", "total", "")]
    assert (eur["gross_sales"], eur["net_sales"], eur["total_sales"], eur["average_order_value"]) == (
        "1300.50",
        "-299.50",
        "-229.50",  # -299.50 + 20.00 shipping + 50.00 taxes
        "100.04",  # (1300.50 - 100.00) / 12
    )
    assert by_key[("USD", "total", "")]["gross_sales"] == "98765432109.88"
    bucher = by_key[("EUR", "sku", "Bücher-1")]
    assert (bucher["net_sales"], bucher["shipping"], bucher["total_sales"]) == ("-300.00", "", "")
    assert ("EUR", "channel", "'" + FORMULA_CHANNEL) in by_key
    assert ("EUR", "sku", "'-5-PACK") in by_key
    assert ("EUR", "channel", NASTY_CHANNEL) in by_key


def test_csv_is_rfc4180_with_minimal_quoting() -> None:
    _, data = rendered(daily_sales(), "csv")
    rows = parse_csv(data)

    assert data.endswith(b"\r\n")
    assert data.count(b"\r\n") == len(rows)  # the embedded newlines are bare \n inside quotes
    assert data.startswith(b"date,currency,section,key,orders,units,gross_sales,discounts,returns,net_sales,")
    assert (
        b"\r\n2026-11-23,EUR,total,,12,20,1300.50,100.00,1500.00,-299.50,20.00,50.00,0.00,-229.50,100.04,1,5\r\n"
        in data
    )
    assert '2026-11-23,EUR,channel,"shop, ""EU""\nBücher",3,3,250.50,'.encode() in data
    assert b"\r\n2026-11-23,,status,CONFIRMED,8,,,,,,,,,,,,\r\n" in data


def test_no_orders_csv_is_the_header_alone() -> None:
    count, data = rendered(no_orders(), "csv")

    assert count == 0
    assert data == (",".join(DAILY_COLUMNS) + "\r\n").encode()


def test_inventory_csv() -> None:
    report = inventory()
    count, data = rendered(report, "csv")

    rows = parse_csv(data)
    assert rows[0] == INVENTORY_COLUMNS
    assert count == len(rows) - 1 == 4
    assert rows[1] == [
        DATE,
        "'=SUM(A1:A2)",
        'Bücher, "Box"\nset',
        "ALL",
        "10",
        "4",
        "6",
        "8",
        "true",
        "14",
        "3.0",
    ]
    assert rows[2] == [DATE, "'=SUM(A1:A2)", 'Bücher, "Box"\nset', "BER-1", "7", "4", "3", "", "", "", ""]
    assert rows[3][3] == "'@HAM"
    assert rows[4] == [DATE, "MUG-1", "'+1 mug", "ALL", "0", "2", "-2", "", "false", "", ""]


def test_export_csv_columns_and_values() -> None:
    out = io.BytesIO()
    assert write_export_csv((export_row(i) for i in range(1, 8)), out) == 7

    rows = parse_csv(out.getvalue())
    assert rows[0] == list(EXPORT_COLUMNS)
    assert rows[3] == [
        "ord_00000003",
        "'-AMZ,3",
        "amazon",
        "CONFIRMED",
        "2026-11-23T09:00:00Z",
        "2026-11-23T10:00:00Z",
        DATE,
        "",
        "EUR",
        "1",
        "SKU-3",
        "4",
        "19.99",
        "79.96",
        "1.50",
        "true",
        "100.00",
        "5.00",
        "4.90",
        "19.00",
        "99.90",
    ]
    # a second line: the order's amounts are on its first line only
    assert rows[2][9:] == ["2", "SKU-2", "3", "19.99", "59.97", "1.50", "false", "", "", "", "", ""]
    assert rows[2][2] == NASTY_CHANNEL
    assert rows[7][10] == "'=SUM(A1:A2)"
    assert len(rows) == 8


class Recorder(io.BytesIO):
    """Records the size of every write and keeps only a line count."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []
        self.lines = 0

    def write(self, b: Any) -> int:
        self.sizes.append(len(b))
        self.lines += bytes(b).count(b"\r\n")
        return len(b)


def test_export_csv_streams() -> None:
    out = Recorder()
    total = 50_000
    seen_while_running: list[int] = []

    def rows() -> Iterator[ExportRow]:
        for i in range(total):
            if i == total // 2:
                seen_while_running.append(len(out.sizes))
            yield export_row(i)

    assert write_export_csv(rows(), out) == total
    assert seen_while_running[0] > 10  # halfway through, many blocks had already gone out
    assert max(out.sizes) <= 64 * 1024
    assert out.lines == total + 1


# --- XLSX --------------------------------------------------------------------------------------


def cell_values(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def assert_row(actual: list[Any], expected: list[Any]) -> None:
    assert len(actual) == len(expected), (actual, expected)
    for got, want in zip(actual, expected, strict=True):
        if isinstance(want, Decimal):
            assert isinstance(got, int | float) and not isinstance(got, bool), (got, want)
            assert D(str(got)).quantize(CENT) == want.quantize(CENT), (actual, expected)
        else:
            assert got == want and type(got) is type(want), (got, want, actual)


def figure_values(f: SalesFigures) -> list[Any]:
    return [
        f.orders,
        f.units,
        f.gross_sales,
        f.discounts,
        f.returns,
        f.net_sales,
        f.shipping,
        f.taxes,
        f.included_taxes,
        f.total_sales,
        f.average_order_value,
        f.cancelled_orders,
        f.returned_units,
    ]


def sku_values(f: SalesFigures) -> list[Any]:
    values = dict(zip(FIGURES, figure_values(f), strict=True))
    return [values[c] for c in SKU_FIGURES]


def test_daily_sales_xlsx() -> None:
    report = daily_sales()
    count, data = rendered(report, "xlsx")

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Summary", "By channel", "By SKU", "By status"]
    expected: dict[str, list[list[Any]]] = {
        "Summary": [["date", "currency", *FIGURES]]
        + [[DATE, c.currency, *figure_values(c.totals)] for c in report.currencies],
        "By channel": [["date", "currency", "channel", *FIGURES]]
        + [
            [DATE, c.currency, defused(ch.channel), *figure_values(ch.figures)]
            for c in report.currencies
            for ch in c.by_channel
        ],
        "By SKU": [["date", "currency", "sku", *SKU_FIGURES]]
        + [
            [DATE, c.currency, defused(s.sku), *sku_values(s.figures)]
            for c in report.currencies
            for s in c.by_sku
        ],
        "By status": [
            ["date", "status", "orders"],
            [DATE, "CONFIRMED", 8],
            [DATE, "SHIPPED", 5],
            [DATE, "CANCELLED", 1],
        ],
    }
    for name, rows in expected.items():
        ws = wb[name]
        actual = cell_values(ws)
        assert len(actual) == len(rows), name
        for got, want in zip(actual, rows, strict=True):
            assert_row(got, want)
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}{len(rows)}"
        assert all(c.font.b for c in ws[1])
    assert count == 2 + 4 + 14 + 3  # every sheet's data rows: the CSV's count

    summary = wb["Summary"]
    assert summary["H2"].value == pytest.approx(-299.5)  # net sales, negative
    assert summary["H2"].number_format == "#,##0.00"
    assert summary["L2"].value == pytest.approx(-229.5)  # total sales
    assert summary["M2"].value == pytest.approx(100.04)  # average order value
    assert summary["C3"].value == 2 and summary["C3"].number_format == "#,##0"
    assert D(str(summary["E3"].value)).quantize(CENT) == D("98765432109.88")
    assert wb["By SKU"]["C2"].value == "'=SUM(A1:A2)" and wb["By SKU"]["C2"].data_type == "s"
    assert wb["By channel"]["C4"].value == NASTY_CHANNEL
    assert wb.properties.title == f"Daily sales {DATE} ({TZ})"
    assert not wb.properties.creator


def test_no_orders_xlsx_has_every_sheet_with_headers_only() -> None:
    count, data = rendered(no_orders(), "xlsx")

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert count == 0
    assert wb.sheetnames == ["Summary", "By channel", "By SKU", "By status"]
    assert cell_values(wb["By status"]) == [["date", "status", "orders"]]


def test_inventory_xlsx() -> None:
    report = inventory()
    count, data = rendered(report, "xlsx")

    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Inventory"]
    ws = wb["Inventory"]
    rows = cell_values(ws)
    assert rows[0] == INVENTORY_COLUMNS
    for got, r in zip(rows[1:], report.rows, strict=True):
        want = [
            DATE,
            defused(r.sku),
            defused(r.name),
            defused(r.location),
            r.on_hand,
            r.reserved,
            r.available,
            r.low_stock_threshold,
            r.low_stock,
            r.units_sold,
            r.days_of_cover,
        ]
        assert_row(got, want)
    assert count == len(rows) - 1 == 4
    assert rows[1][1] == "'=SUM(A1:A2)" and rows[1][8] is True and rows[1][10] == 3.0
    assert rows[4][2] == "'+1 mug" and rows[4][6] == -2
    assert ws["K2"].number_format == "#,##0.0"
    assert ws.column_dimensions["C"].width > len("name")


# --- HTML --------------------------------------------------------------------------------------


class Page(HTMLParser):
    """The page's tags, charts (with their bars and texts) and empty-chart notes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.charts: dict[str, dict[str, Any]] = {}
        self.empty: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self._chart: dict[str, Any] | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "svg":
            self._chart = {"attrs": a, "rects": [], "texts": []}
            self.charts[str(a["data-chart"])] = self._chart
        elif tag == "rect" and self._chart is not None:
            self._chart["rects"].append(a)
        elif tag == "p" and "data-chart-empty" in a:
            self.empty.append(str(a["data-chart-empty"]))
        self._in_title = tag == "title" and self._chart is None

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._chart is not None:
            self._chart["texts"].append(data)
        if self._in_title:
            self.title += data


def page(report: DailySales) -> tuple[int, str, Page]:
    count, data = rendered(report, "html")
    doc = data.decode("utf-8")
    parser = Page()
    parser.feed(doc)
    parser.close()
    return count, doc, parser


def widths(chart: dict[str, Any]) -> list[Decimal]:
    return [D(r["width"]) for r in chart["rects"]]


def test_html_page_is_self_contained_and_escaped() -> None:
    count, doc, p = page(daily_sales())

    assert count == 2 + 4 + 14 + 3
    assert doc.startswith("<!DOCTYPE html>")
    assert "http://" not in doc and "https://" not in doc
    assert "<script" not in doc and "script" not in {t for t, _ in p.tags}
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in doc
    assert not any(k in a for _, a in p.tags for k in ("src", "href"))
    csp = [
        a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp == ["default-src 'none'; style-src 'unsafe-inline'"]
    assert DATE in p.title and TZ in p.title
    text = "".join(p.text)
    for shown in (
        "1,300.50",
        "-299.50",
        "-229.50",
        "100.04",
        "98,765,432,109.88",
        "49,382,716,054.94",
        "Bücher",
    ):
        assert shown in text, shown


def test_html_charts_have_one_bar_per_data_point() -> None:
    _, _, p = page(daily_sales())

    assert set(p.charts) == {"net-sales-by-channel", "top-skus", "orders-by-status"}
    for chart in p.charts.values():
        assert chart["attrs"]["role"] == "img" and chart["attrs"]["aria-label"]
    # Net sales by channel: EUR's three channels (amazon's 1000.00 less 100.00 of discounts) and USD's
    # one, each currency on its own scale.
    net = p.charts["net-sales-by-channel"]
    assert widths(net) == [D("20.0"), D("360.0"), D("100.2"), D("360.0")]
    assert [r["data-value"] for r in net["rects"]] == ["50.00", "900.00", "250.50", "98765432109.88"]
    # Top SKUs by net sales: EUR's ten highest of twelve (Bücher-1, net -300.00, is not), USD's two.
    top = p.charts["top-skus"]
    assert len(top["rects"]) == 10 + 2
    texts = "".join(top["texts"])
    assert SCRIPT_SKU in texts and "SKU-06" in texts
    assert "SKU-07" not in texts and "Bücher-1" not in texts
    assert widths(top)[:2] == [D("360.0"), D("270.0")]
    assert widths(top)[-2:] == [D("360.0"), D("0.0")]
    # Orders by status: lifecycle order, counts comparable on one scale.
    status = p.charts["orders-by-status"]
    assert [r["data-value"] for r in status["rects"]] == ["8", "5", "1"]
    assert widths(status) == [D("360.0"), D("225.0"), D("45.0")]
    assert p.empty == []


def test_html_for_a_day_without_orders() -> None:
    count, doc, p = page(no_orders())

    assert count == 0
    assert p.charts == {}
    assert sorted(p.empty) == ["net-sales-by-channel", "orders-by-status", "top-skus"]
    assert "No orders on this day." in doc


# --- dispatch ----------------------------------------------------------------------------------


def test_formats_a_report_type_does_not_have_are_refused() -> None:
    with pytest.raises(ValueError, match="html"):
        render(inventory(), "html", io.BytesIO())
    with pytest.raises(ValueError):
        render(daily_sales(), "pdf", io.BytesIO())  # type: ignore[arg-type]
