"""shared.transfer.formats: the registry and the wrong-format check."""

from __future__ import annotations

import io
from pathlib import Path
from typing import get_args

import pytest

from shared.models.imports import FormatName, Kind
from shared.transfer.files import FileProblem, header_of
from shared.transfer.formats import FORMATS, check_header, format_of

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
        "Financial Status, Fulfillment Status, Lineitem price, Lineitem quantity, Lineitem sku, Name, Total"
    )
    with pytest.raises(FileProblem, match=r"it lacks the column on_hand$"):
        check_header(format_of("oms-stock"), ["sku", "location"])
    check_header(format_of("oms-orders"), [])  # JSON Lines: no header
