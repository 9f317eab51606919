"""Catalog and stock shapes (staff API)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict

from shared.models.common import (
    CATALOG_CURRENCY_NOTE,
    INTEGRAL,
    Model,
    Money,
    ProductStatus,
    Sku,
    StrictModel,
)


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


class Product(Model):
    sku: Sku
    name: str
    price: Money = Field(description=f"The catalog price: {CATALOG_CURRENCY_NOTE}")
    low_stock_threshold: int | None = None
    status: ProductStatus = Field(default="active", description="A product recorded without one is active")
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
