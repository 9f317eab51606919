"""Catalog and stock shapes (staff API)."""

from __future__ import annotations

from pydantic import Field

from shared.models.common import Model, Money, Sku, StrictModel


class ProductIn(StrictModel):
    name: str = Field(min_length=1, max_length=200, examples=["T-shirt, red, M"])
    price: Money


class Product(Model):
    sku: Sku
    name: str
    price: Money
    updated_at: str


class StockIn(StrictModel):
    on_hand: int = Field(ge=0, le=10_000_000, strict=True, description="The counted units on hand")


class Stock(Model):
    sku: Sku
    on_hand: int
    reserved: int
    available: int = Field(description="on_hand - reserved")
