"""shared.transfer.formats: the registry and the wrong-format check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import get_args

import pytest

from shared.models.imports import FormatName, Kind
from shared.transfer.files import FileProblem, header_of, rows, sniff
from shared.transfer.formats import FORMATS, check_header, chunks, detect, format_of
from shared.transfer.records import Parsed, ReadOptions

FIXTURES = Path(__file__).parents[1] / "fixtures" / "shopify" / "csv"


def test_every_format_name_has_its_format() -> None:
    assert set(FORMATS) == set(get_args(FormatName))
    for name, fmt in FORMATS.items():
        assert fmt.name == name
        assert fmt.kind in get_args(Kind)
        assert fmt.container in ("csv", "jsonl")
        assert (fmt.container == "csv") == bool(fmt.required_columns())


def test_an_unknown_format_lists_the_known_ones() -> None:
    assert format_of("shopify-orders").kind == "orders"
    with pytest.raises(
        ValueError, match="unknown format 'shopify-order': the formats are shopify-products, "
    ):
        format_of("shopify-order")


@pytest.mark.parametrize(
    ("fixture", "fmt"),
    [
        ("products.csv", "shopify-products"),
        ("inventory.csv", "shopify-inventory"),
        ("customers.csv", "shopify-customers"),
        ("orders.csv", "shopify-orders"),
    ],
)
def test_each_fixture_has_its_formats_columns(fixture: str, fmt: str) -> None:
    check_header(format_of(fmt), header_of(io.BytesIO((FIXTURES / fixture).read_bytes())))


def test_a_products_file_given_as_orders_is_refused_naming_the_missing_columns() -> None:
    header = header_of(io.BytesIO((FIXTURES / "products.csv").read_bytes()))
    with pytest.raises(FileProblem) as refused:
        check_header(format_of("shopify-orders"), header)
    assert str(refused.value) == (
        "the file is not a shopify-orders file: it lacks the columns Created at, Currency, Email, "
        "Financial Status, Fulfillment Status, Lineitem price, Lineitem quantity, Lineitem sku, Name, Total "
        "(it looks like a shopify-products file)"
    )
    assert detect(header) == ["shopify-products"]
    assert detect(["sku", "location", "on_hand"]) == ["oms-stock"]
    assert detect(["whatever"]) == []
    with pytest.raises(FileProblem, match=r"it lacks the column on_hand$"):
        check_header(format_of("oms-stock"), ["sku", "location"])
    check_header(format_of("oms-orders"), [])  # JSON Lines: no header


def test_chunks_never_cut_a_record_and_read_alone_the_same_entries() -> None:
    data = (FIXTURES / "orders.csv").read_bytes()
    fmt = format_of("shopify-orders")
    options = ReadOptions(channel=None, location="default", currency="USD")
    whole = list(fmt.entries(rows(io.BytesIO(data), "csv"), options))
    head = sniff(io.BytesIO(data))
    for size in (1, 2, 3, 100):
        cut = list(chunks(fmt, rows(io.BytesIO(data), "csv"), size))
        assert [c.number for c in cut] == list(range(len(cut)))
        assert cut[0].start == head.data_start
        assert cut[-1].end == len(data)
        again: list[Parsed] = []
        for chunk in cut:
            part = rows(
                io.BytesIO(data[chunk.start : chunk.end]),
                "csv",
                header=head.header,
                first_line=chunk.first_line,
                base_offset=chunk.start,
                encoding=head.encoding,
            )
            again.extend(fmt.entries(part, options))
        assert again == whole
    assert [c.rows for c in chunks(fmt, rows(io.BytesIO(data), "csv"), 1)] == [3, 1, 2, 1]  # per order
    assert [c.rows for c in chunks(fmt, rows(io.BytesIO(data), "csv"), 2)] == [3, 3, 1]


def test_chunks_of_a_products_file_keep_a_products_variants_together() -> None:
    data = (FIXTURES / "products.csv").read_bytes()
    fmt = format_of("shopify-products")
    assert [c.rows for c in chunks(fmt, rows(io.BytesIO(data), "csv"), 1)] == [3, 1, 1, 1]
    stock = format_of("shopify-inventory")
    assert [
        c.rows for c in chunks(stock, rows(io.BytesIO((FIXTURES / "inventory.csv").read_bytes()), "csv"), 5)
    ] == [
        5,
        5,
        2,
    ]
