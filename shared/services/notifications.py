"""Emails for the events on the bus, exactly once per event and recipient, never lost.

For each event: what it means (``shared.domain.notifications.notice_of``), whether its channel sends
that kind (staff's switches, else the channel's default: off for marketplaces and connected stores),
who receives it (the order's customer, read from the orders table: an erased order gets nothing; or the
staff list for low stock), whether the address is suppressed (it bounced or complained), then:

1. claim ``(event id, kind, recipient hash)`` as pending with a lease (``LEASE_S``);
2. render the channel's template (or the default) and send it through SES;
3. mark the claim sent, on condition that the lease is still ours.

A delivery that finds the claim sent does nothing. One that finds it pending within its lease raises
``TryLater``: the record fails and comes back after the queue's visibility timeout, by when the lease
has expired, and a claim still pending then (its holder crashed, before or after sending) is sent again.
So an email is never lost; a crash between the send and the mark costs one duplicate email, at most.

Logs name order ids, kinds, event ids and address hashes: never an address, a name or an email's text.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from shared.dal.notifications import AlreadySent, Claimed, ClaimResult, Leased
from shared.domain.notifications import (
    STAFF_CHANNEL,
    CustomerNotice,
    Kind,
    StaffNotice,
    address_hash,
    channel_sends,
    claim_key,
    notice_of,
)
from shared.models.events import (
    ORDER_CREATED,
    ORDER_SHIPPED,
    ORDER_STATUS_CHANGED,
    STOCK_LOW,
    OrderCreated,
    OrderShipped,
    OrderStatusChanged,
    StockLow,
)
from shared.models.notifications import NotificationSettings
from shared.models.orders import Order
from shared.notifications.templates import Email, Source, Values, render
from shared.notifications.values import order_values, stock_values
from shared.observability import logger

# A claim's lease: longer than the notifications function's timeout (an invocation never outlives the
# lease it took), shorter than its queue's visibility timeout (a redelivery finds it expired).
LEASE_S = 60
CLAIM_TTL_S = 30 * 24 * 3600  # past the queue's retention (14 days): no event can come back after it
CONNECTIONS_CACHE_S = 300

Outcome = Literal["sent", "already_sent", "muted", "erased", "no_order", "suppressed", "resent"]

_DETAILS: Mapping[str, Any] = {
    ORDER_CREATED: OrderCreated,
    ORDER_STATUS_CHANGED: OrderStatusChanged,
    ORDER_SHIPPED: OrderShipped,
    STOCK_LOW: StockLow,
}


class TryLater(Exception):
    """Another delivery holds the lease of an email this event means: fail the record, to be delivered
    again after the visibility timeout."""


class NotificationStoreLike(Protocol):
    def claim(self, claim: str, *, now_epoch: int, lease_s: int, expires_at: int) -> ClaimResult: ...
    def mark_sent(self, claim: str, lease: str, *, message_id: str, now: datetime) -> bool: ...
    def suppressed(self, address_hash: str) -> bool: ...
    def suppress(
        self, address_hash: str, *, reason: Literal["bounce", "complaint"], now: datetime
    ) -> None: ...
    def settings(self) -> NotificationSettings: ...
    def template(self, channel: str, kind: str) -> Source | None: ...


class OrderReader(Protocol):
    def get(self, order_id: str, *, consistent: bool = False) -> Order | None: ...


class ConnectionReader(Protocol):
    def platform_of(self, channel: str) -> str | None: ...


class Mailer(Protocol):
    def send(self, to: str, email: Email) -> str: ...


@dataclass
class _Cached:
    value: bool
    until: float


@dataclass
class Notifier:
    store: NotificationStoreLike
    orders: OrderReader
    connections: ConnectionReader
    mailer: Mailer
    tracking_link: Callable[[str], str]  # order id -> the signed link to its tracking page
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    monotonic: Callable[[], float] = time.monotonic
    _connected: dict[str, _Cached] = field(default_factory=dict)

    # --- events from the bus -----------------------------------------------------------------

    def event(self, detail_type: str, detail: Mapping[str, Any]) -> list[Outcome]:
        """Send what one event means. Raises TryLater (after the others are sent) when another delivery
        holds a lease; a failed send raises as it is (the claim stays pending: resent after its lease)."""
        model = _DETAILS.get(detail_type)
        if model is None:
            return []
        notice = notice_of(detail_type, model.model_validate(dict(detail)).model_dump(mode="json"))
        if notice is None:
            return []
        if isinstance(notice, StaffNotice):
            return self._staff(notice)
        return [self._customer(notice)]

    def _connected_channel(self, channel: str) -> bool:
        cached = self._connected.get(channel)
        now = self.monotonic()
        if cached is None or cached.until <= now:
            cached = _Cached(self.connections.platform_of(channel) is not None, now + CONNECTIONS_CACHE_S)
            self._connected[channel] = cached
        return cached.value

    def _customer(self, notice: CustomerNotice) -> Outcome:
        settings = self.store.settings()
        switches = settings.channels
        explicit = switches.get(notice.channel, {}).get(notice.kind)
        connected = False if explicit is not None else self._connected_channel(notice.channel)
        log = {"order_id": notice.order_id, "kind": notice.kind, "event_id": notice.event_id}
        if not channel_sends(switches, notice.channel, notice.kind, connected=connected):
            logger.info("notification muted for its channel", extra={**log, "channel": notice.channel})
            return "muted"
        order = self.orders.get(notice.order_id, consistent=True)  # the change the event reports
        if order is None:
            logger.warning("notification for an unknown order: nothing sent", extra={**log})
            return "no_order"
        if order.erased_at is not None or order.customer is None:
            logger.info("notification not sent: the customer was erased", extra={**log})
            return "erased"
        override = self.store.template(notice.channel, notice.kind)
        values = order_values(order, notice, self.tracking_link(order.order_id))
        return self._send(
            notice.event_id, notice.kind, order.customer.email, values, override, notice.channel, log
        )

    def _staff(self, notice: StaffNotice) -> list[Outcome]:
        addresses = self.store.settings().staff_emails
        override = self.store.template(STAFF_CHANNEL, notice.kind) if addresses else None
        outcomes: list[Outcome] = []
        busy = False
        failed: Exception | None = None
        # Every address is tried, whatever one of them meets: an address SES refuses (unverified in the
        # sandbox, say) must not keep the alert from the ones after it. A failure is raised at the end, so
        # the event comes back (the addresses already sent are skipped) and, after its receives, waits in
        # the dead-letter queue to be redriven: never lost.
        for address in addresses:
            try:
                outcomes.append(
                    self._send(
                        notice.event_id,
                        notice.kind,
                        address,
                        stock_values(notice),
                        override,
                        STAFF_CHANNEL,
                        {"sku": notice.sku, "kind": notice.kind, "event_id": notice.event_id},
                    )
                )
            except TryLater:
                busy = True
            except Exception as exc:  # raised below, once every address was tried
                failed = failed or exc
        if failed is not None:
            raise failed
        if busy:
            raise TryLater(notice.event_id)
        return outcomes

    def _send(
        self,
        event_id: str,
        kind: Kind,
        address: str,
        values: Values,
        override: Source | None,
        channel: str,
        log: Mapping[str, object],
    ) -> Outcome:
        recipient = address_hash(address)
        log = {**log, "recipient": recipient[:16]}
        if self.store.suppressed(recipient):
            logger.info("notification not sent: the address is suppressed", extra={**log})
            return "suppressed"
        now = self.clock()
        epoch = int(now.timestamp())
        claim = claim_key(event_id, kind, recipient)
        result = self.store.claim(claim, now_epoch=epoch, lease_s=LEASE_S, expires_at=epoch + CLAIM_TTL_S)
        if isinstance(result, AlreadySent):
            logger.info("notification already sent", extra={**log})
            return "already_sent"
        if isinstance(result, Leased):
            logger.info(
                "notification claimed by another delivery: retried later",
                extra={**log, "lease_until": result.lease_until},
            )
            raise TryLater(claim)
        assert isinstance(result, Claimed)
        email, fallback = render(kind, values, override)
        if fallback is not None:
            logger.warning(
                "template override not used: the default was sent",
                extra={**log, "channel": channel, "reason": fallback},
            )
        message_id = self.mailer.send(address, email)
        if not self.store.mark_sent(claim, result.lease, message_id=message_id, now=self.clock()):
            logger.warning(
                "notification sent after its lease expired", extra={**log, "message_id": message_id}
            )
        logger.info("notification sent", extra={**log, "message_id": message_id, "resent": result.resent})
        return "resent" if result.resent else "sent"

    # --- SES feedback (through SNS) ----------------------------------------------------------

    def feedback(self, message: Mapping[str, Any]) -> int:
        """A bounce or complaint from SES (its event publishing or notification JSON): each permanently
        bounced or complaining address goes on the suppression list (its hash only). The number of
        addresses suppressed; a transient bounce or a delivery suppresses none."""
        kind = message.get("eventType") or message.get("notificationType")
        if kind == "Bounce":
            bounce = message.get("bounce") or {}
            if bounce.get("bounceType") != "Permanent":
                return 0
            recipients = [r.get("emailAddress") for r in bounce.get("bouncedRecipients", [])]
            reason: Literal["bounce", "complaint"] = "bounce"
        elif kind == "Complaint":
            recipients = [
                r.get("emailAddress")
                for r in (message.get("complaint") or {}).get("complainedRecipients", [])
            ]
            reason = "complaint"
        else:
            return 0
        now = self.clock()
        hashes = [address_hash(str(r)) for r in recipients if r]
        for hashed in hashes:
            self.store.suppress(hashed, reason=reason, now=now)
        logger.info("addresses suppressed", reason=reason, recipients=[h[:16] for h in hashes])
        return len(hashes)
