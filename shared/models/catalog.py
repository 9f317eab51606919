"""Catalog and stock shapes (staff API)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainValidator, Strict, WithJsonSchema

from shared.models.common import (
    CATALOG_CURRENCY_NOTE,
    INTEGRAL,
    Model,
    Money,
    ProductStatus,
    Sku,
    StrictModel,
)

# Service levels a product may name (the share of replenishment cycles without a stock-out), and the
# defaults of a product that names none. z = NormalDist().inv_cdf(service level).
SERVICE_LEVELS: tuple[Decimal, ...] = tuple(
    Decimal(s) for s in ("0.80", "0.85", "0.90", "0.95", "0.975", "0.99", "0.995")
)
DEFAULT_SERVICE_LEVEL = Decimal("0.95")
DEFAULT_LEAD_TIME_DAYS = 7
MAX_LEAD_TIME_DAYS = 365


_LEVELS = ", ".join(str(level) for level in SERVICE_LEVELS)


def _service_level(value: Any) -> Decimal:
    """A JSON number (0.95) as the exact level it names; anything else, or another level, is refused."""
    if isinstance(value, Decimal):
        level = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        level = Decimal(repr(value))
    else:
        raise ValueError(f"must be a number, one of {_LEVELS}")
    if level not in SERVICE_LEVELS:
        raise ValueError(f"must be one of {_LEVELS}")
    return level


# A JSON number, one of the levels: a string or a bool is refused, as the schema says.
ServiceLevel = Annotated[
    Decimal,
    PlainValidator(_service_level),
    WithJsonSchema(
        {"type": "number", "enum": [float(level) for level in SERVICE_LEVELS], "examples": [0.95]}
    ),
]


class ProductIn(StrictModel):
    name: str = Field(min_length=1, max_length=200, examples=["T-shirt, red, M"])
    price: Money = Field(description=f"The catalog price: {CATALOG_CURRENCY_NOTE}")
    low_stock_threshold: Annotated[int, Field(ge=0, le=10_000_000), INTEGRAL, Strict()] | None = Field(
        default=None,
        description="Warn (a StockLow event) when available stock falls to this or under",
    )
    status: ProductStatus | None = Field(
        default=None,
        description="active, draft or archived; absent: a new product is active, an existing one "
        "keeps its status",
    )
    lead_time_days: Annotated[int, Field(ge=1, le=MAX_LEAD_TIME_DAYS), INTEGRAL, Strict()] | None = Field(
        default=None,
        description=f"Days from ordering stock to having it (reorder suggestions); absent: "
        f"{DEFAULT_LEAD_TIME_DAYS}",
    )
    service_level: ServiceLevel | None = Field(
        default=None,
        description=f"The share of replenishment cycles without a stock-out the reorder point aims at, one "
        f"of {_LEVELS}; absent: {DEFAULT_SERVICE_LEVEL}",
    )


class Product(Model):
    sku: Sku
    name: str
    price: Money = Field(description=f"The catalog price: {CATALOG_CURRENCY_NOTE}")
    low_stock_threshold: int | None = None
    status: ProductStatus = Field(default="active", description="A product recorded without one is active")
    lead_time_days: int = Field(
        default=DEFAULT_LEAD_TIME_DAYS, description="Days from ordering stock to having it"
    )
    service_level: Decimal = Field(
        default=DEFAULT_SERVICE_LEVEL, description=f"The reorder point's service level: one of {_LEVELS}"
    )
    updated_at: str


class ProductPage(Model):
    items: list[Product]
    next_token: str | None = None


class ListingIn(StrictModel):
    """A channel's listing (an eBay item, a WooCommerce product) and the SKU it sells."""

    sku: Sku


class Listing(Model):
    channel: str
    listing: str = Field(
        description="legacyItemId, or legacyItemId/legacyVariationId (eBay); product_id[/variation_id]"
    )
    sku: Sku
    updated_at: str
    updated_by: str
