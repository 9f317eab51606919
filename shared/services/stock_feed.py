"""One warehouse stock message: parse and validate it into a ``StockChange``, or say why it is poison."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import ValidationError

from shared.domain.inventory import StockChange
from shared.domain.moments import utc_text
from shared.models.inventory import StockUpdateMessage
from shared.services.messages import Poison, describe, load

# A count dated in the future would make every real count (and staff change) until then look stale:
# refuse it. A minute covers clocks that are kept in sync.
MAX_CLOCK_SKEW = timedelta(minutes=1)


def parse_stock_message(body: str, *, now: datetime, ref: str = "") -> StockChange | Poison:
    document = load(body)
    if isinstance(document, Poison):
        return document
    try:
        message = StockUpdateMessage.model_validate(document)
    except ValidationError as exc:
        return Poison("stock update: " + describe(exc))
    as_of = utc_text(message.as_of)
    if as_of > utc_text(now + MAX_CLOCK_SKEW):
        return Poison("stock update: as_of is in the future")
    return StockChange(
        sku=message.sku,
        location=message.location,
        kind="count" if message.on_hand is not None else "delta",
        as_of=as_of,
        update_id=message.update_id,
        source=message.source,
        on_hand=message.on_hand,
        delta=message.delta,
        ref=ref,
    )
