"""Domain events the OMS publishes on its EventBridge bus (``oms-events``)."""

from __future__ import annotations

from pydantic import Field

from shared.models.common import Model

EVENT_SOURCE = "oms.inventory"  # the source of every inventory event
STOCK_LOW = "StockLow"  # detail-type


class StockLow(Model):
    """Available stock of a SKU crossed its low-stock threshold downwards (once per crossing)."""

    sku: str
    location: str | None = Field(description="The location whose stock moved; null when orders reserved it")
    available: int
    on_hand: int
    reserved: int
    low_stock_threshold: int
    location_on_hand: int | None = None
    locations: dict[str, int] = Field(default_factory=dict, description="on_hand per location")
    occurred_at: str
    change_id: str = Field(description="Identifies the stock change; the same on a redelivered event")
