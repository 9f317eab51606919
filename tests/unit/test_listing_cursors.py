"""GET /products and GET /inventory cursors: refused before any query when they are not this query's."""

from __future__ import annotations

from typing import Any

import pytest

from shared.dal import cursors
from shared.dal.catalog import CatalogStore
from shared.dal.inventory import InventoryStore
from shared.dal.keys import LOW_STOCK, PRODUCT_LISTED


class NoCallsClient:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"DynamoDB {name} called")


BY_SKU = cursors.encode({"key": {"pk": "MUG", "sk": "SKU", "listed": PRODUCT_LISTED}})
BY_NAME = cursors.encode(
    {"key": {"pk": "MUG", "sk": "SKU", "listed": PRODUCT_LISTED, "name_key": "mug white"}}
)
LOW = cursors.encode({"key": {"pk": "MUG", "sk": "SKU", "low_stock": LOW_STOCK}})


@pytest.mark.parametrize(
    ("cursor", "prefix"),
    [
        (BY_NAME, None),  # a name cursor on the SKU listing
        (BY_SKU, "mug"),  # a SKU cursor on a name listing
        (BY_NAME, "tote"),  # another prefix's cursor
        (LOW, None),
        (cursors.encode({"key": {"pk": "MUG", "sk": "SKU", "listed": "REPORT"}}), None),  # another partition
        (cursors.encode({"key": {"pk": {"S": "MUG"}, "sk": "SKU", "listed": PRODUCT_LISTED}}), None),
        ("garbage!", None),
    ],
)
def test_a_products_cursor_resumes_only_its_own_query(cursor: str, prefix: str | None) -> None:
    with pytest.raises(cursors.InvalidCursor):
        CatalogStore(NoCallsClient(), "catalog").products(cursor, 10, name_prefix=prefix)


@pytest.mark.parametrize(
    ("cursor", "low_only"), [(LOW, False), (BY_SKU, True), (BY_NAME, False), ("x", True)]
)
def test_an_inventory_cursor_resumes_only_its_own_query(cursor: str, low_only: bool) -> None:
    with pytest.raises(cursors.InvalidCursor):
        InventoryStore(NoCallsClient(), "catalog").listing(cursor, 10, low_only=low_only)
