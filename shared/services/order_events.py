"""Order events: a change of an order item (one record of the orders table's stream) becomes the events
it means, published on the bus. The glue between the pure decision and EventBridge.

Exactly once per change, as far as EventBridge allows. The events come from the stream, never from a
second write beside the order's own: a change that committed is in the stream, and one that did not is
not. Delivering them is at least once, with a deduplication id:

* all the events of one record go in one PutEvents request, and a record that raised is retried (by
  the mapping) on its own, from that record, after every record before it is done;
* PutEvents has no idempotency: an entry that went through before its record failed (PutEvents takes
  entries one by one), or a retry after a timeout that had in fact delivered, is published again.
  So is an event whose PutEvents timed out after EventBridge had taken it (the SDK retries it). This
  environment remembers the ids it published and does not send them twice, which covers the mapping's
  retry when it lands here again; another environment (or a restart) cannot know, so consumers
  deduplicate on ``event_id``, which is the same for every copy of one change.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from shared.dal.events import EventPublisher, PublishFailed
from shared.domain.order_events import OrderEventDetail, detail_type, order_events
from shared.models.orders import order_from_item

REMEMBERED_IDS = 10_000  # event ids this environment remembers having published


class OrderEvents:
    def __init__(self, publisher: EventPublisher, *, remember: int = REMEMBERED_IDS) -> None:
        self._publisher = publisher
        self._published: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def order_changed(
        self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
    ) -> list[OrderEventDetail]:
        """Publish what the change from ``old`` to ``new`` (stream images, deserialised; None: absent)
        means; returns the events it published now. Raises ``PublishFailed`` when EventBridge did not
        take them all (the ones it took are remembered, so a retry here sends only the others)."""
        before = order_from_item(dict(old)) if old else None
        after = order_from_item(dict(new)) if new else None
        pending = [e for e in order_events(before, after) if e.event_id not in self._published]
        if not pending:
            return []
        try:
            self._publisher.publish_many([(detail_type(e), e.model_dump(mode="json")) for e in pending])
        except PublishFailed as exc:
            self._remember_ids(pending[i].event_id for i in exc.published)
            raise
        self._remember_ids(e.event_id for e in pending)
        return pending

    def _remember_ids(self, event_ids: Iterable[str]) -> None:
        for event_id in event_ids:
            self._published[event_id] = None
            self._published.move_to_end(event_id)
        while len(self._published) > self._remember:
            self._published.popitem(last=False)
