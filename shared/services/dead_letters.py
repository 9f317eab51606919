"""Dead letters: list them, redrive them to their source queue, delete them. One implementation for the API
(``/dead-letters`` routes) and the ``oms`` command (``infra/cli.py``).

SQS has no get-by-id. A message is found by receiving in rounds of 10 (one ReceiveMessage each) and
holding what was received (a visibility timeout of ``Limits.hold_s``, longer than the search may take, so
nothing comes round twice) until every id asked for was met or the queue is exhausted (a long-polled empty
answer), within ``Limits.rounds`` rounds and ``Limits.seconds`` seconds. What was held and not acted on is
released (visible again at once) when the search ends, and an id not met is answered in ``not_found``. A
queue of N messages costs up to N/10 receives and N/10 releases; past the bound the answer says
``complete: false`` and another call goes on (what was acted on is gone from the queue).

Redrive is send, THEN delete: the body and the producer's message attributes (with the reason history,
``shared/domain/dead_letters.py``) go to the source queue, and only then is the dead letter deleted by its
receipt handle. A crash in between leaves the message in both queues: at least once, never lost. The
consumers are idempotent (an order's external id, a stock update's update id), so the second copy
changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shared.dal.dead_letters import QueueStore, Received
from shared.domain.dead_letters import (
    first_seen,
    masked_attributes,
    masked_body,
    previous_reasons,
    reason_of,
    redrive_attributes,
)
from shared.masking import mask_text
from shared.models.dead_letters import (
    DeadLetterListing,
    DeadLetterOutcome,
    DeadLetterQueueConfig,
    DeadLetterQueues,
    DeadLetterQueueView,
    DeadLetterView,
)
from shared.observability import logger

# A peek shows at most one ReceiveMessage's worth: with a visibility timeout of 0 every receive may return
# the same messages again, so more rounds would not reach further into a deep queue. Up to PEEK_ROUNDS
# receives gather them (short of 10 when SQS answers from a subset of its servers).
DEFAULT_PEEK = 10
MAX_PEEK = 10
PEEK_ROUNDS = 3


@dataclass(frozen=True)
class Limits:
    """How far one search goes. ``hold_s`` must outlast ``seconds``: a held message that became visible
    again during the search would be received twice (it is recognised by its id, at a round's cost)."""

    rounds: int = 40  # ReceiveMessage calls (10 messages each): 400 messages
    # Checked before each round: the last round's actions and the release come on top, and the API
    # function has 10 s in all.
    seconds: float = 5.0
    hold_s: int = 30  # the visibility timeout of what is held; a crashed search frees it by then
    wait_s: int = 1  # long polling: an empty answer means an empty queue, not a missed server

    def __post_init__(self) -> None:
        if self.hold_s <= self.seconds:
            raise ValueError("hold_s must be longer than seconds")


API_LIMITS = Limits()
CLI_LIMITS = Limits(rounds=2000, seconds=240, hold_s=600)


@dataclass(frozen=True)
class UnknownQueue:
    name: str


@dataclass(frozen=True)
class NotRedrivable:
    name: str


def configured_queues(text: str) -> dict[str, DeadLetterQueueConfig]:
    """The queues a function handles, from ``DEAD_LETTERS_ENV`` (written by ``infra/spec.py``)."""
    return {name: DeadLetterQueueConfig.model_validate(c) for name, c in json.loads(text).items()}


class DeadLetterService:
    def __init__(
        self,
        queues: Mapping[str, DeadLetterQueueConfig],
        store: QueueStore,
        limits: Limits = API_LIMITS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queues = dict(queues)
        self._store = store
        self._limits = limits
        self._clock = clock

    def names(self) -> list[str]:
        return list(self._queues)

    def overview(self) -> DeadLetterQueues:
        items = []
        for name, config in self._queues.items():
            depth = self._store.depth(config.url)
            items.append(
                DeadLetterQueueView(
                    queue=name,
                    redrivable=config.redrive_to is not None,
                    approximate_depth=depth.available,
                    approximate_in_flight=depth.in_flight,
                )
            )
        return DeadLetterQueues(items=items)

    def listing(self, name: str, limit: int = DEFAULT_PEEK) -> DeadLetterListing | UnknownQueue:
        """Up to ``limit`` messages, peeked: received with a visibility timeout of 0, so each stays
        visible and receivable by anyone at once; none is hidden, none deleted."""
        config = self._queues.get(name)
        if config is None:
            return UnknownQueue(name)
        seen: dict[str, Received] = {}
        for _ in range(PEEK_ROUNDS):
            batch = self._store.receive(config.url, visibility_timeout_s=0, wait_s=self._limits.wait_s)
            new = [m for m in batch if m.message_id not in seen]
            if not new:
                break
            seen.update((m.message_id, m) for m in new)
            if len(seen) >= limit:
                break
        has_source = config.redrive_to is not None
        return DeadLetterListing(
            queue=name,
            redrivable=has_source,
            approximate_depth=self._store.depth(config.url).available,
            messages=[view(m, has_source=has_source) for m in list(seen.values())[:limit]],
        )

    def redrive(
        self, name: str, ids: frozenset[str] | None
    ) -> DeadLetterOutcome | UnknownQueue | NotRedrivable:
        """Each message asked for (``ids``; None: every one) sent to the source queue, then deleted here."""
        config = self._queues.get(name)
        if config is None:
            return UnknownQueue(name)
        target = config.redrive_to
        if target is None:
            return NotRedrivable(name)
        sent: set[str] = set()

        def redrive_one(message: Received) -> None:
            reason = reason_of(message.attributes, message.body, has_source=True)
            copy = redrive_attributes(message.raw_attributes, message.attributes, reason)
            sent.add(self._store.send(target, message.body, copy))
            self._store.delete(config.url, message)  # only once the copy is on the source queue
            logger.info("dead letter redriven", queue=name, message_id=message.message_id)

        def ours(message: Received) -> bool:
            """A copy this run redrove that failed again and came back: left for the next run."""
            return message.message_id in sent or message.attributes.get("oms_source_message_id") in sent

        return self._search(name, config.url, ids, "redrive", redrive_one, ours)

    def delete(self, name: str, ids: frozenset[str] | None) -> DeadLetterOutcome | UnknownQueue:
        config = self._queues.get(name)
        if config is None:
            return UnknownQueue(name)
        url = config.url

        def delete_one(message: Received) -> None:
            self._store.delete(url, message)
            logger.info("dead letter deleted", queue=name, message_id=message.message_id)

        return self._search(name, url, ids, "delete", delete_one, lambda _: False)

    def _search(
        self,
        name: str,
        url: str,
        ids: frozenset[str] | None,
        action: str,
        act: Callable[[Received], None],
        skip: Callable[[Received], bool],
    ) -> DeadLetterOutcome:
        limits = self._limits
        done: dict[str, None] = {}
        held: dict[str, Received] = {}
        searched = rounds = 0
        complete = False
        started = self._clock()
        try:
            while True:
                if ids is not None and ids.issubset(done):
                    complete = True  # every id found: no need to read further
                    break
                if rounds >= limits.rounds or self._clock() - started >= limits.seconds:
                    break
                batch = self._store.receive(url, visibility_timeout_s=limits.hold_s, wait_s=limits.wait_s)
                rounds += 1
                if not batch:
                    complete = True  # exhausted
                    break
                for message in batch:
                    if message.message_id in done or message.message_id in held:
                        continue  # received again (a held one whose timeout ended): already counted
                    searched += 1
                    if (ids is None or message.message_id in ids) and not skip(message):
                        act(message)
                        done[message.message_id] = None
                    else:
                        held[message.message_id] = message
        finally:
            self._store.release(url, held.values())
        return DeadLetterOutcome(
            queue=name,
            action="redrive" if action == "redrive" else "delete",
            done=list(done),
            not_found=sorted(ids.difference(done)) if ids is not None else [],
            searched=searched,
            complete=complete,
        )


def view(message: Received, *, has_source: bool) -> DeadLetterView:
    """What staff see of a dead letter: personal data masked in the body and the attributes."""
    reason = reason_of(message.attributes, message.body, has_source=has_source)
    return DeadLetterView(
        message_id=message.message_id,
        reason=mask_text(reason) if reason else None,
        previous_reasons=[mask_text(r) for r in previous_reasons(message.attributes)],
        receive_count=message.receive_count,
        first_seen_at=first_seen(message.sent_at_ms),
        attributes=masked_attributes(message.attributes),
        body=masked_body(message.body),
    )
