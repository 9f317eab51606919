"""EventBridge: domain events on the system's bus."""

from __future__ import annotations

import json
from typing import Any


class PublishFailed(RuntimeError):
    """EventBridge refused the event (throttled, say): the caller retries."""


class EventPublisher:
    def __init__(self, client: Any, bus_name: str, source: str) -> None:
        self._events = client
        self._bus = bus_name
        self._source = source

    def publish(self, detail_type: str, detail: dict[str, Any], *, resources: tuple[str, ...] = ()) -> str:
        """Put one event; returns its EventBridge id. Raises when EventBridge did not take it."""
        response = self._events.put_events(
            Entries=[
                {
                    "EventBusName": self._bus,
                    "Source": self._source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":"), default=str),
                    "Resources": list(resources),
                }
            ]
        )
        entry = (response.get("Entries") or [{}])[0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise PublishFailed(f"{detail_type} not published: {entry.get('ErrorCode', 'unknown error')}")
        return str(entry["EventId"])
