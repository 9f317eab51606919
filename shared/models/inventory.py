"""Inventory shapes: stock per SKU and location, warehouse stock messages, the movement ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, Strict, model_validator

from shared.models.common import INTEGRAL, TOKEN_PATTERN, Model, Sku, StrictModel, WholeNumber, described

DEFAULT_LOCATION = "default"
LOCATION_PATTERN = described(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
    "must be a location name: up to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
)
MAX_UNITS = 10_000_000
NOT_ZERO: dict[str, Any] = {"not": {"const": 0}}  # a movement of no units is refused: JSON Schema says so

Location = Annotated[
    str, Field(pattern=LOCATION_PATTERN, description="A warehouse or store location", examples=["wms-eu-1"])
]
UpdateId = Annotated[str, Field(min_length=1, max_length=128, pattern=TOKEN_PATTERN)]
MovementKind = Literal["count", "delta", "adjustment", "shipment", "return"]


class StockUpdateMessage(StrictModel):
    """One message on ``oms-stock-updates``: an absolute count or a movement, at the source's time."""

    sku: Sku
    location: Location = DEFAULT_LOCATION
    on_hand: Annotated[int, Field(ge=0, le=MAX_UNITS), INTEGRAL, Strict()] | None = Field(
        default=None, description="A count"
    )
    delta: (
        Annotated[int, Field(ge=-MAX_UNITS, le=MAX_UNITS, json_schema_extra=NOT_ZERO), INTEGRAL, Strict()]
        | None
    ) = Field(default=None, description="A movement (+ in, - out); not 0")
    as_of: datetime = Field(description="ISO-8601 time of the count or movement at the source")
    update_id: UpdateId = Field(description="Unique per update: a redelivered update is applied once")
    source: str = Field(min_length=1, max_length=64, pattern=TOKEN_PATTERN, examples=["wms-eu-1"])

    @model_validator(mode="after")
    def _count_or_movement(self) -> StockUpdateMessage:
        if (self.on_hand is None) == (self.delta is None):
            raise ValueError("send exactly one of on_hand (a count) and delta (a movement)")
        if self.delta == 0:
            raise ValueError("delta must not be 0")
        return self


class StockCountIn(StrictModel):
    on_hand: WholeNumber = Field(ge=0, le=MAX_UNITS, description="The counted units on hand")
    location: Location = DEFAULT_LOCATION


class AdjustmentIn(StrictModel):
    delta: WholeNumber = Field(
        ge=-MAX_UNITS, le=MAX_UNITS, description="Units in (+) or out (-); not 0", json_schema_extra=NOT_ZERO
    )
    reason: str = Field(min_length=1, max_length=200, examples=["damaged"])
    location: Location = DEFAULT_LOCATION

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustmentIn:
        if self.delta == 0:
            raise ValueError("delta must not be 0")
        return self


class LocationStock(Model):
    location: str
    on_hand: int
    reserved: int = Field(description="Open orders' reservations allocated to this location")
    available: int
    last_count_at: str | None = Field(default=None, description="as_of of the last count applied here")


class Stock(Model):
    sku: Sku
    on_hand: int
    reserved: int = Field(description="Units held by open orders")
    available: int = Field(description="on_hand - reserved; negative when a count found fewer units")
    low_stock_threshold: int | None = None
    low_stock: bool = Field(default=False, description="available is at or under low_stock_threshold")
    low_since: str | None = Field(default=None, description="When the product was last flagged low")
    locations: list[LocationStock] = Field(default_factory=list)


class Movement(Model):
    """One change of on-hand stock, with where it came from."""

    sku: Sku
    location: str
    kind: MovementKind
    change: int = Field(description="The change of on-hand units this movement made")
    on_hand: int | None = Field(default=None, description="Counts: the counted level")
    as_of: str = Field(description="When it happened at the source")
    recorded_at: str = Field(description="When the OMS applied it")
    source: str
    update_id: str
    reason: str | None = None
    actor: str | None = Field(default=None, description="Adjustments and staff counts: the API key id")


class MovementPage(Model):
    items: list[Movement]
    next_token: str | None = None


class InventoryPage(Model):
    """A page of every product's stock (or the low ones, or those at one location), in SKU order."""

    items: list[Stock]
    next_token: str | None = None
