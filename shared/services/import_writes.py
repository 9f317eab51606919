"""What the importer asks of a kind's writer, and of the live data during a dry run.

The import service (``shared.services.imports``) reads a file into entries (``shared.transfer.records``)
and hands them to one writer per kind, in batches. A writer writes each entry idempotently by its
natural key and says, per entry, what became of it. A dry run writes nothing: it asks the kind's
``LiveCheck`` what the live data would refuse (an order's unknown SKU, for instance).
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
    """The import run writing: its id, and its time (an imported order's ``created_at``; the file's own
    time becomes its ``placed_at``)."""

    import_id: str
    at: datetime


WriteOutcome = Literal["created", "updated", "unchanged", "rejected"]


@dataclass(frozen=True)
class Written:
    """What became of one entry."""

    entry: Entry
    outcome: WriteOutcome
    errors: tuple[str, ...] = ()  # rejected: why (never personal data)
    money: tuple[tuple[str, Decimal], ...] = ()  # orders: what was written, per currency (the order total)


class KindWriter(Protocol):
    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        """One ``Written`` per entry, in the same order. Idempotent by natural key: an entry already
        stored as it is comes back ``unchanged``. Retries throttling itself (``shared.retry``)."""
        ...


class LiveCheck(Protocol):
    """A dry run's checks against the live data, per batch, writing nothing."""

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        """Entry key -> errors, for the entries the live data would refuse (the others are absent)."""
        ...
