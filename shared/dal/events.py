"""EventBridge: domain events on the system's bus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

MAX_ENTRIES = 10  # PutEvents takes at most ten entries per request


class PublishFailed(RuntimeError):
    """EventBridge refused the event (throttled, say): the caller retries.

    ``published`` holds the positions of the entries EventBridge did take (PutEvents is not atomic:
    some entries of one request may go through while others fail)."""

    def __init__(self, message: str, published: Sequence[int] = ()) -> None:
        super().__init__(message)
        self.published = tuple(published)


class EventPublisher:
    def __init__(self, client: Any, bus_name: str, source: str) -> None:
        self._events = client
        self._bus = bus_name
        self._source = source

    def _entry(
        self, detail_type: str, detail: dict[str, Any], resources: Sequence[str] = ()
    ) -> dict[str, Any]:
        return {
            "EventBusName": self._bus,
            "Source": self._source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, separators=(",", ":"), default=str),
            "Resources": list(resources),
        }

    def publish(self, detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()) -> str:
        """Put one event; returns its EventBridge id. Raises when EventBridge did not take it."""
        response = self._events.put_events(Entries=[self._entry(detail_type, detail, resources)])
        entry = (response.get("Entries") or [{}])[0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise PublishFailed(f"{detail_type} not published: {entry.get('ErrorCode', 'unknown error')}")
        return str(entry["EventId"])

    def publish_many(self, events: Sequence[tuple[str, dict[str, Any]]]) -> list[str]:
        """Put ``(detail_type, detail)`` events in one PutEvents request (one per ten: PutEvents' limit);
        returns their EventBridge ids, in order. Raises ``PublishFailed`` when any entry was not taken,
        naming in ``published`` the ones that were (a later request is not sent once one failed)."""
        ids: list[str] = []
        for start in range(0, len(events), MAX_ENTRIES):
            chunk = events[start : start + MAX_ENTRIES]
            response = self._events.put_events(Entries=[self._entry(t, d) for t, d in chunk])
            entries = list(response.get("Entries") or [])
            taken = [i for i, entry in enumerate(entries[: len(chunk)]) if "EventId" in entry]
            if len(taken) < len(chunk) or response.get("FailedEntryCount"):
                errors = sorted(
                    {str(e.get("ErrorCode", "unknown error")) for e in entries if "EventId" not in e}
                )
                failed = [chunk[i][0] for i in range(len(chunk)) if i not in taken]
                raise PublishFailed(
                    f"{len(failed)} of {len(events)} events not published ({', '.join(failed)}): "
                    f"{', '.join(errors) or 'unknown error'}",
                    published=[*range(start), *(start + i for i in taken)],
                )
            ids += [str(entry["EventId"]) for entry in entries]
        return ids
