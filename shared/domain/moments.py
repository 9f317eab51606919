"""The one text form of a stored moment: UTC with microseconds and a Z (``2026-11-23T23:30:00.000000Z``).

Every stored timestamp (orders, history, shipments, stock counts and movements, reports, customers,
platform times) is written by ``utc_text``, so all of them sort as strings in time order. One
precision for all: mixed ones do not (``.123Z`` sorts after ``.123456Z``). Microseconds, because a
warehouse's ``as_of`` carries them and a movement is dated one microsecond after a count it follows.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_text(moment: datetime) -> str:
    """``moment`` as sortable UTC text with microseconds and a Z; a naive moment is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
