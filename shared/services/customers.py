"""Customer records for staff: read, find by email, correct, list orders, erase."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from shared.dal.customers import CustomerChanged, CustomerStore, EmailTaken
from shared.dal.orders import OrderStore
from shared.domain.moments import utc_text
from shared.models.customers import CustomerPatch, CustomerRecord, Erasure
from shared.models.orders import Order

MAX_ATTEMPTS = 4
ERASE_PAGE = 100
# The by_customer index is eventually consistent: an order committed just before the erasure began
# may take a moment to appear in it. The customer's order_count (counted in each order's own write)
# says how many there are; the erasure looks again until it has seen them all.
INDEX_RETRIES = 5
INDEX_PAUSE_S = 0.2


@dataclass(frozen=True)
class EmailInUse:
    """Another customer has this email (409)."""


@dataclass(frozen=True)
class ErasureIncomplete:
    """Some of the customer's orders are not yet in the index: ask again (503); what was done stays."""

    seen: int
    expected: int


class CustomerService:
    def __init__(
        self,
        customers: CustomerStore,
        orders: OrderStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._customers = customers
        self._orders = orders
        self._clock = clock
        self._sleep = sleep

    def get(self, customer_id: str) -> CustomerRecord | None:
        return self._customers.get(customer_id)

    def find_by_email(self, email: str) -> list[CustomerRecord]:
        owner = self._customers.owner_of(email)
        record = self._customers.get(owner) if owner else None
        return [record] if record else []

    def patch(self, customer_id: str, patch: CustomerPatch) -> CustomerRecord | EmailInUse | None:
        """None: no such customer, or erased (an erased person cannot be given details back)."""
        for _ in range(MAX_ATTEMPTS):
            current = self._customers.get(customer_id, consistent=True)
            if current is None or current.erased_at is not None:
                return None
            try:
                self._customers.patch(current, patch, utc_text(self._clock()))
            except EmailTaken:
                return EmailInUse()
            except CustomerChanged:
                continue  # changed since it was read: read again
            return self._customers.get(customer_id, consistent=True)
        raise RuntimeError("the customer kept changing while being corrected")

    def orders(
        self, customer_id: str, cursor: str | None, limit: int
    ) -> tuple[list[Order], str | None] | None:
        if self._customers.get(customer_id) is None:
            return None
        return self._orders.by_customer(customer_id, cursor, limit)

    def erase(self, customer_id: str) -> Erasure | ErasureIncomplete | None:
        """Erase the person: the email stops finding them, every order loses their details and the
        shipping address (lines, totals, dates and ids stay for accounting), then the profile does.
        Idempotent and resumable: asking again finishes an interrupted erasure."""
        record = self._customers.get(customer_id, consistent=True)
        if record is None:
            return None
        if record.erased_at is not None:
            return Erasure(customer_id=customer_id, erased_at=record.erased_at, orders_erased=0)
        now = self._clock()
        try:
            self._customers.start_erasure(record, utc_text(now))
        except CustomerChanged:
            return self.erase(customer_id) if self._customers.get(customer_id, consistent=True) else None
        # From here on no order can join the customer: its count is final.
        final = self._customers.get(customer_id, consistent=True)
        expected = final.order_count if final else record.order_count
        erased, seen = 0, 0
        for attempt in range(INDEX_RETRIES):
            seen, done = self._erase_orders(customer_id, now)
            erased += done
            if seen >= expected:
                break
            if attempt + 1 < INDEX_RETRIES:
                self._sleep(INDEX_PAUSE_S)
        else:
            return ErasureIncomplete(seen=seen, expected=expected)
        self._customers.finish_erasure(customer_id, utc_text(now))
        return Erasure(customer_id=customer_id, erased_at=utc_text(now), orders_erased=erased)

    def _erase_orders(self, customer_id: str, now: datetime) -> tuple[int, int]:
        seen, erased, cursor = 0, 0, None
        while True:
            orders, cursor = self._orders.by_customer(customer_id, cursor, ERASE_PAGE)
            for order in orders:
                seen += 1
                if order.erased_at is None and self._orders.erase_personal_data(
                    order.order_id, customer_id, now
                ):
                    erased += 1
            if cursor is None:
                return seen, erased
