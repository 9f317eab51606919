"""What the importer asks of each kind's writer: write a batch of entries, idempotently by natural key,
and (a dry run) check a batch against the live data writing nothing.

The importer (``shared.services.imports``) owns the policy (batches, checkpoints, error policy); a writer
owns one kind's items (products, stock, customers: ``shared.services.import_writers``; orders:
``shared.services.order_imports``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal, Protocol

from shared.transfer.records import Entry


@dataclass(frozen=True)
class Provenance:
    import_id: str
    at: datetime  # the import's time (an imported order's created_at); its file time is placed_at


WriteOutcome = Literal["created", "updated", "unchanged", "rejected"]


@dataclass(frozen=True)
class Written:
    entry: Entry
    outcome: WriteOutcome
    errors: tuple[str, ...] = ()  # rejected: why (no personal data)
    money: tuple[tuple[str, Decimal], ...] = ()  # orders: what was written, per currency (the order total)


class KindWriter(Protocol):
    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        """One Written per entry, same order; idempotent by natural key; retries throttling itself
        (shared.retry)."""
        ...


class LiveCheck(Protocol):
    """A dry run's checks against the live data, per batch, writing nothing."""

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        """Entry key -> errors."""
        ...
