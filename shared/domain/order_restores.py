"""Restoring an order from this OMS's own export (``oms-orders``). Pure.

An exported order is a whole ``Order``: its id, statuses and history, shipments, returns, refunds and
attention, its customer and its times. A restore writes it as it was, with its provenance set to the
import, in one transaction as a live order is (the order, its external-id claim, the reservations its
status holds, its customer link):

* the reservations are the ones the order holds (``shared.domain.channel_orders.reserved_units``: the
  unshipped units of a PENDING_PAYMENT, CONFIRMED or PARTIALLY_SHIPPED order); a BACKORDERED order
  queues again for what it waits for. Nothing else moves stock: the stock file says what is on hand;
* a restored order keeps its status, except that an open order whose reservation the stock here cannot
  hold (``NotEnoughStock``) is restored BACKORDERED, waiting for what it lacks, as a live order is when
  its channel already sold it: never refused, never oversold (``decide_restore(backorder=...)``);
* restoring the order again is ``Unchanged`` when the stored one is the same apart from its provenance;
  a changed one replaces the stored version it was decided over (the stock difference with it), but only
  an order an import wrote and nothing changed since: an order recorded live here, or changed after the
  export was made (its ``updated_at`` is newer), is never taken back to the export's version (``stale``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.domain.channel_orders import Unchanged, reserved_units, waiting_for
from shared.domain.customers import CreateCustomer, CustomerLink, CustomerMoved, TouchCustomer, link_writes
from shared.domain.orders import (
    ClaimKey,
    Contention,
    CreateOrder,
    CustomerRefused,
    Failure,
    KeyClaimed,
    OrderExists,
    OrderPlan,
    ReleaseStock,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    StopWaiting,
    UpdateClaim,
    WaitForStock,
    Write,
    next_version,
)
from shared.models.orders import BackorderLine, HistoryEntry, Order

PROVENANCE = frozenset({"source", "import_id"})


def restore_claim_hash(order: Order) -> str:
    """What a restored order's external-id claim holds: the fingerprint of the channel version it last
    applied, or (an order placed over the API, whose request is not exported) a marker of the restore: the
    same request sent again is then a conflict (409) rather than a replay."""
    return order.channel_hash or f"restored:{order.order_id}"


def same_apart_from_provenance(a: Order, b: Order) -> bool:
    return a.model_dump(exclude=set(PROVENANCE)) == b.model_dump(exclude=set(PROVENANCE))


def decide_restore(
    order: Order,
    stored: Order | None,
    *,
    import_id: str,
    customer: CustomerLink | None = None,
    backorder: Sequence[Shortage] = (),
    at: str | None = None,
) -> OrderPlan | Unchanged:
    """The writes that make ``order`` (as exported) stored as it was.

    ``stored``: the order under the same id as it is now (None: not stored). ``customer``: the customer
    link of a new order (the exported customer, or the one its email belongs to here; None for an order
    whose customer was erased): the order takes its customer_id. A stored order keeps its own link.
    """
    restored = order.model_copy(update={"source": "import", "import_id": import_id})
    if stored is None and backorder and reserved_units(restored):
        restored = _waiting(restored, backorder, at or restored.updated_at, f"import:{import_id}")
    if stored is None:
        if customer is not None:
            restored = restored.model_copy(update={"customer_id": customer.customer_id})
        writes: list[Write] = [CreateOrder(restored), *_stock(None, restored)]
        if customer is not None and restored.customer is not None:
            # A customer already here (imported from the same export, first) keeps its own story: its order
            # count and last order come from the customers file, never counted again by its orders.
            writes += _without_touch(
                link_writes(
                    customer,
                    email=restored.customer.email,
                    name=restored.customer.name,
                    phone=restored.customer.phone,
                    address=restored.shipping_address,
                    channel=restored.channel,
                    at=restored.created_at,
                )
            )
        if restored.external_id is not None:
            writes.append(
                ClaimKey(
                    "external",
                    restored.channel,
                    restored.external_id,
                    restored.order_id,
                    restore_claim_hash(restored),
                    version=restored.channel_version,
                )
            )
        return OrderPlan(order=restored, writes=tuple(writes))

    if (stored.channel, stored.external_id) != (order.channel, order.external_id):
        raise ValueError("a restore replaces the order under its own channel and external id only")
    restored = restored.model_copy(update={"customer_id": stored.customer_id})
    if same_apart_from_provenance(restored, stored) or _restored_waiting(restored, stored):
        return Unchanged("replay", order.order_id)
    if stored.source != "import" or stored.updated_at > order.updated_at:
        return Unchanged("stale", order.order_id)  # recorded live here, or changed since the export
    restored = next_version(stored, restored)
    writes = [ReplaceOrder(restored, stored.status, stored.updated_at), *_stock(stored, restored)]
    if restored.external_id is not None and restore_claim_hash(restored) != restore_claim_hash(stored):
        writes.append(
            UpdateClaim(
                channel=restored.channel,
                external_id=restored.external_id,
                order_id=restored.order_id,
                content_hash=restore_claim_hash(restored),
                version=restored.channel_version,
                expected_hash=None,  # the claim names this order: that is the condition
            )
        )
    return OrderPlan(order=restored, writes=tuple(writes))


def _without_touch(writes: Sequence[Write]) -> list[Write]:
    return [w for w in writes if not isinstance(w, TouchCustomer)]


def _waiting(order: Order, shortages: Sequence[Shortage], at: str, actor: str) -> Order:
    """An open order the stock here cannot hold: BACKORDERED, waiting for its units left to ship (the
    backorder filler confirms it, or takes it back to PARTIALLY_SHIPPED, when stock arrives)."""
    short = ", ".join(s.sku for s in shortages)
    entry = HistoryEntry(
        status="BACKORDERED",
        at=at,
        actor=actor,
        reason=f"restored; waiting for stock of {short}",
    )
    return order.model_copy(
        update={
            "status": "BACKORDERED",
            "backorder": [
                BackorderLine(sku=s.sku, requested=s.requested, available=s.available) for s in shortages
            ],
            "history": [*order.history, entry],
        }
    )


def _restored_waiting(order: Order, stored: Order) -> bool:
    """``stored`` is ``order`` as an earlier restore of it made it: waiting for the stock it lacked."""
    if (
        stored.status != "BACKORDERED"
        or order.status == "BACKORDERED"
        or not stored.backorder
        or not stored.history
    ):
        return False
    shortages = [Shortage(b.sku, b.requested, b.available) for b in stored.backorder]
    last = stored.history[-1]
    return same_apart_from_provenance(_waiting(order, shortages, last.at, last.actor), stored)


def _stock(before: Order | None, after: Order) -> list[Write]:
    """The reservations and waiting lines ``after`` holds, as a difference with ``before``."""
    held, holds = reserved_units(before), reserved_units(after)
    writes: list[Write] = []
    for sku in sorted(set(held) | set(holds)):
        change = holds.get(sku, 0) - held.get(sku, 0)
        if change > 0:
            writes.append(ReserveStock(sku, change))
        elif change < 0:
            writes.append(ReleaseStock(sku, -change))
    waited, waits = waiting_for(before), waiting_for(after)
    writes += [WaitForStock(sku, after.order_id, after.created_at) for sku in sorted(waits - waited)]
    if before is not None:
        writes += [StopWaiting(sku, before.order_id, before.created_at) for sku in sorted(waited - waits)]
    return writes


# --- what a refused restore means ---------------------------------------------------------------


@dataclass(frozen=True)
class StoredMeanwhile:
    """The order (or its claim) was stored or changed since it was read: read it and decide again."""


@dataclass(frozen=True)
class ExternalIdTaken:
    """Another order of this stack holds the channel's order id (recorded live, say)."""

    order_id: str


@dataclass(frozen=True)
class NotEnoughStock:
    """The stock cannot hold the order's reservation: (sku, units needed, units available)."""

    shortages: tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class UnknownSkus:
    skus: frozenset[str]


RestoreOutcome = StoredMeanwhile | ExternalIdTaken | CustomerMoved | UnknownSkus | NotEnoughStock | Contention


def interpret_restore(  # noqa: PLR0911
    failures: Sequence[Failure], *, order_id: str, contended: bool
) -> RestoreOutcome:
    """What a refused restore means, most decisive first: the order itself moved on; its external id
    held by another order; the customer link; then the stock."""
    for f in failures:
        if isinstance(f, KeyClaimed) and f.claim.order_id != order_id:
            return ExternalIdTaken(f.claim.order_id)
    if any(
        isinstance(f, OrderExists | KeyClaimed) or isinstance(f.write, ReplaceOrder | UpdateClaim)
        for f in failures
    ):
        return StoredMeanwhile()
    for f in failures:
        if isinstance(f, CustomerRefused):
            return CustomerMoved(f.owner)
        if isinstance(f.write, CreateCustomer):
            return CustomerMoved(None)  # the exported customer's id is taken here under another email
    refused = [f for f in failures if isinstance(f, StockRefused)]
    unknown = frozenset(f.write.sku for f in refused if f.price is None)
    if unknown:
        return UnknownSkus(unknown)
    if refused:
        return NotEnoughStock(tuple((f.write.sku, f.write.quantity, f.available) for f in refused))
    if contended:
        return Contention()
    kinds = sorted({type(f.write).__name__ for f in failures})
    raise ValueError(f"a restore failed for no reason the domain knows (failed writes: {', '.join(kinds)})")
