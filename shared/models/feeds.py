"""Shapes of the messages connectors put on the marketplace feed queue."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.models.common import StrictModel


class FeedMessage(StrictModel):
    """``{"marketplace": "amazon" | "ebay" | "generic", "order": {...}}``.

    ``order`` is the marketplace's own order document; ``channel`` names the channel of a
    ``generic`` connector's orders (default ``generic``).
    """

    marketplace: Literal["amazon", "ebay", "generic"]
    order: dict[str, Any]
    channel: str | None = Field(default=None, max_length=32)
