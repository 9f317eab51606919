"""The importer's writers of products, stock and customers (orders: ``shared.services.order_imports``),
and their dry-run checks against the live data. Each implements ``KindWriter`` or ``LiveCheck``
(``shared.services.import_writes``).

Every writer reads a batch first (one BatchGetItem per 100 keys) and decides per entry: created, updated,
unchanged or rejected. Only new and changed items are written, each on condition that it is still as read:
an item that changed meanwhile is read and decided again, never overwritten blindly. Throttling (an
error, or unprocessed keys) is retried with ``shared.retry``'s backoff; past that, ``WriteFailed`` stops
the run (it resumes from its last checkpoint when run again). A key twice in one batch (the importer
never sends one) is written in a second round, in order.

Nothing here logs an email, a name or any other cell of a file.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from shared.dal.catalog import ProductState, ProductStore, ProductWrite
from shared.dal.customers import CreateImported, CustomerImportStore, ImportedWrite, UpdateImported
from shared.dal.dynamo import Throttled
from shared.dal.inventory import InventoryStore
from shared.domain.customers import email_key
from shared.domain.inventory import ProductLevels, StockChange
from shared.domain.moments import utc_text
from shared.models.customers import CustomerRecord
from shared.models.imports import CustomerImport, Kind, ProductRecord, StockRecord
from shared.retry import MAX_ATTEMPTS, pause
from shared.services.import_writes import KindWriter, LiveCheck, Provenance, WriteOutcome, Written
from shared.services.stock import Applied, BatchResult, GroupOutcome, Refused, StockService
from shared.transfer.records import Entry

UNKNOWN_SKU = "unknown SKU: import the products first"
TRANSACTION_ITEMS = 100  # TransactWriteItems' limit

T = TypeVar("T")


class WriteFailed(RuntimeError):
    """A batch could not be written (throttled or contended past the retries): the run stops here and
    resumes from its last checkpoint when run again. The message holds no data from the file."""


def _rounds(entries: Sequence[Entry], key: Callable[[Entry], Hashable]) -> list[list[int]]:
    """The entries' positions in rounds where no key is twice (writes of one round go in one request)."""
    rounds: list[list[int]] = []
    seen: list[set[Hashable]] = []
    for position, entry in enumerate(entries):
        k = key(entry)
        for number, keys_of_round in enumerate(seen):
            if k not in keys_of_round:
                keys_of_round.add(k)
                rounds[number].append(position)
                break
        else:
            seen.append({k})
            rounds.append([position])
    return rounds


def _wrong_record(entry: Entry, kind: str) -> Written:
    return Written(entry, "rejected", (f"not a {kind} record",))


# --- products -------------------------------------------------------------------------------------


class ProductStates(Protocol):
    """``shared.dal.catalog.ProductStore``."""

    def states(self, skus: Sequence[str]) -> dict[str, ProductState]: ...

    def write(self, writes: Sequence[ProductWrite], now: str) -> list[str] | None: ...


def _same_product(record: ProductRecord, state: ProductState) -> bool:
    return (
        record.name == state.name
        and record.price == state.price
        and record.status == (state.status or "active")
        and record.low_stock_threshold == state.low_stock_threshold
    )


class ProductWriter:
    """Products by SKU: name, price, status and low-stock threshold; stock attributes are never written
    (a new product's totals start at zero, as ``PUT /products`` does).

    DynamoDB actions (catalog table): BatchGetItem (consistent), TransactWriteItems (UpdateItem on a
    condition, up to 100 SKUs per transaction).
    """

    def __init__(
        self,
        store: ProductStates,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._clock = clock
        self._sleep = sleep

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        done: dict[int, Written] = {}
        for number, entry in enumerate(entries):
            if not isinstance(entry.record, ProductRecord):
                done[number] = _wrong_record(entry, "product")
        valid = [i for i in range(len(entries)) if i not in done]
        for chunk in _rounds([entries[i] for i in valid], lambda e: e.key):
            self._write_round(entries, [valid[i] for i in chunk], done)
        return [done[i] for i in range(len(entries))]

    def _write_round(self, entries: Sequence[Entry], positions: list[int], done: dict[int, Written]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            records = {i: _product(entries[i]) for i in positions}
            try:
                states = self._store.states([r.sku for r in records.values()])
            except Throttled:
                pause(attempt, self._sleep)
                continue
            writes: list[ProductWrite] = []
            decided: dict[int, Written] = {}
            for i, record in records.items():
                state = states.get(record.sku)
                if state is not None and _same_product(record, state):
                    decided[i] = Written(entries[i], "unchanged")
                    continue
                decided[i] = Written(entries[i], "created" if state is None else "updated")
                writes.append(
                    ProductWrite(
                        record.sku,
                        record.name,
                        record.price,
                        record.status,
                        record.low_stock_threshold,
                        expected=state,
                    )
                )
            try:
                failed = self._store.write(writes, utc_text(self._clock())) if writes else None
            except Throttled:
                pause(attempt, self._sleep)
                continue
            if failed is None:
                done.update(decided)
                return
            pause(attempt, self._sleep)  # changed meanwhile (or contended): read and decide again
        raise WriteFailed("products kept changing or being throttled: run the import again to resume")


def _product(entry: Entry) -> ProductRecord:
    assert isinstance(entry.record, ProductRecord)  # checked by the caller
    return entry.record


class ProductCheck:
    """Nothing in the live data can refuse a product (it is created or updated): no reads."""

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        return {}


# --- stock ----------------------------------------------------------------------------------------


class StockLevels(Protocol):
    """``shared.dal.inventory.InventoryStore``."""

    def levels(self, wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], ProductLevels]: ...


class StockApplier(Protocol):
    """``shared.services.stock.StockService``."""

    def apply_batch(
        self, changes: Sequence[StockChange], *, keep_going: Callable[[], bool] = ...
    ) -> list[GroupOutcome]: ...


def count_update_id(import_id: str, sku: str, location: str) -> str:
    """The update id of an import's count of one SKU at one location: a redelivery is one count."""
    digest = hashlib.sha256(f"{sku}\x00{location}".encode()).hexdigest()[:24]
    return f"import-{import_id}-{digest}"


def _stock(entry: Entry) -> StockRecord:
    assert isinstance(entry.record, StockRecord)  # checked by the caller
    return entry.record


class StockWriter:
    """Units on hand at a location, as counts through the stock service (the ledger records each one,
    source ``import``). A location already at that count is unchanged: nothing is written.

    DynamoDB actions (catalog table), those of ``StockService.apply_batch``: BatchGetItem (the levels),
    TransactWriteItems (UpdateItem of the product item, PutItem of the movement and of the update claim),
    Query (the movements after a count, when newer ones were applied).
    """

    def __init__(
        self,
        levels: StockLevels,
        stock: StockApplier,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._levels = levels
        self._stock = stock
        self._clock = clock
        self._sleep = sleep

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        done: dict[int, Written] = {}
        for number, entry in enumerate(entries):
            if not isinstance(entry.record, StockRecord):
                done[number] = _wrong_record(entry, "stock")
        valid = [i for i in range(len(entries)) if i not in done]
        for chunk in _rounds([entries[i] for i in valid], lambda e: (_stock(e).sku, _stock(e).location)):
            self._write_round(entries, [valid[i] for i in chunk], provenance, done)
        return [done[i] for i in range(len(entries))]

    def _write_round(
        self, entries: Sequence[Entry], positions: list[int], provenance: Provenance, done: dict[int, Written]
    ) -> None:
        todo = list(positions)
        for attempt in range(MAX_ATTEMPTS):
            records = {i: _stock(entries[i]) for i in todo}
            try:
                levels = self._levels.levels([(r.sku, r.location) for r in records.values()])
            except Throttled:
                pause(attempt, self._sleep)
                continue
            changes: dict[tuple[str, str], tuple[int, ProductLevels]] = {}
            as_of = utc_text(self._clock())
            batch: list[StockChange] = []
            for i, record in records.items():
                product = levels[(record.sku, record.location)]
                if not product.exists:
                    done[i] = Written(entries[i], "rejected", (UNKNOWN_SKU,))
                elif product.level.on_hand == record.on_hand:
                    done[i] = Written(entries[i], "unchanged")
                else:
                    changes[(record.sku, record.location)] = (i, product)
                    batch.append(
                        StockChange(
                            sku=record.sku,
                            location=record.location,
                            kind="count",
                            as_of=as_of,
                            update_id=count_update_id(provenance.import_id, record.sku, record.location),
                            source="import",
                            on_hand=record.on_hand,
                            actor=f"import:{provenance.import_id}",
                        )
                    )
            todo = []
            for outcome in self._stock.apply_batch(batch) if batch else []:
                i, product = changes[(outcome.sku, outcome.location)]
                written = _stock_written(entries[i], product, outcome.result)
                if written is None:
                    todo.append(i)
                else:
                    done[i] = written
            if not todo:
                return
            pause(attempt, self._sleep)
        raise WriteFailed("stock kept changing or being throttled: run the import again to resume")


def _stock_written(entry: Entry, product: ProductLevels, result: BatchResult) -> Written | None:
    """What a count came to; None: not now (contended or throttled past the service's retries)."""
    if isinstance(result, Applied):
        if result.plan.applied:
            return Written(entry, "created" if product.level.on_hand is None else "updated")
        if all(skipped.replay for skipped in result.plan.skipped):
            return Written(entry, "unchanged")  # counted by this import already (a resumed batch)
        return Written(entry, "rejected", tuple(skipped.reason for skipped in result.plan.skipped))
    if isinstance(result, Refused):
        # A count (no fingerprint, no delta) is refused only when its SKU is unknown: the product was
        # deleted between the read and the write.
        return Written(entry, "rejected", (UNKNOWN_SKU,))
    return None  # Failed, NotStarted


class StockCheck:
    """An unknown SKU is refused. DynamoDB actions: BatchGetItem (catalog)."""

    def __init__(self, levels: StockLevels) -> None:
        self._levels = levels

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        records = [(e.key, e.record) for e in entries if isinstance(e.record, StockRecord)]
        levels = self._levels.levels([(r.sku, r.location) for _, r in records])
        return {key: (UNKNOWN_SKU,) for key, r in records if not levels[(r.sku, r.location)].exists}


# --- customers ------------------------------------------------------------------------------------


class CustomerStates(Protocol):
    """``shared.dal.customers.CustomerImportStore``."""

    def owners(self, email_keys: Sequence[str]) -> dict[str, str]: ...

    def profiles(self, customer_ids: Sequence[str]) -> dict[str, CustomerRecord]: ...

    def write(self, writes: Sequence[ImportedWrite]) -> list[str] | None: ...


def _customer(entry: Entry) -> CustomerImport:
    assert isinstance(entry.record, CustomerImport)  # checked by the caller
    return entry.record


def customer_fields(record: CustomerImport) -> dict[str, Any]:
    """The fields a file gives (an empty one is not given: an import never erases what is known)."""
    fields: dict[str, Any] = {}
    if record.name:
        fields["name"] = record.name
    if record.phone:
        fields["phone"] = record.phone
    if record.addresses:
        fields["addresses"] = [a.model_dump(mode="python", exclude_none=True) for a in record.addresses]
    if record.accepts_email_marketing is not None:
        fields["accepts_email_marketing"] = record.accepts_email_marketing
    for name in HISTORY:
        if getattr(record, name) is not None:
            fields[name] = getattr(record, name)
    return fields


# What this OMS's own export says of a customer's past (shared.models.imports.CustomerImport).
HISTORY = ("first_channel", "order_count", "created_at", "last_order_at")


def _differences(record: CustomerImport, profile: CustomerRecord) -> dict[str, Any]:
    current: dict[str, Any] = {
        "name": profile.name,
        "phone": profile.phone,
        "addresses": [a.model_dump(mode="python", exclude_none=True) for a in profile.addresses],
        "accepts_email_marketing": profile.accepts_email_marketing,
        **{name: getattr(profile, name) for name in HISTORY},
    }
    return {name: value for name, value in customer_fields(record).items() if current[name] != value}


Decision = tuple[WriteOutcome, ImportedWrite | None, tuple[str, ...]]  # outcome, the write, errors


def decide_customer(
    record: CustomerImport,
    owners: Mapping[str, str],
    profiles: Mapping[str, CustomerRecord],
    *,
    new_id: Callable[[], str],
    now: str,
) -> Decision:
    """Create, update, leave alone or refuse one customer, from what was read."""
    key = email_key(record.email)
    owner = owners.get(key)
    if owner is None:
        if record.customer_id is not None and record.customer_id in profiles:
            return "rejected", None, ("customer_id: another customer (with another email) has this id",)
        fields = {"email": record.email, **customer_fields(record)}
        return "created", CreateImported(key, record.customer_id or new_id(), fields, now), ()
    if record.customer_id is not None and record.customer_id != owner:
        return "rejected", None, ("Email: belongs to another customer than customer_id",)
    profile = profiles.get(owner)
    if profile is None or profile.erased_at is not None:
        return "rejected", None, ("Email: its customer is being erased; import it again later",)
    changes = _differences(record, profile)
    if not changes:
        return "unchanged", None, ()
    return "updated", UpdateImported(key, owner, changes, profile.updated_at, now), ()


def _read(
    store: CustomerStates, records: Sequence[CustomerImport]
) -> tuple[dict[str, str], dict[str, CustomerRecord]]:
    owners = store.owners(sorted({email_key(r.email) for r in records}))
    wanted = set(owners.values()) | {r.customer_id for r in records if r.customer_id}
    return owners, store.profiles(sorted(wanted))


def _items(write: ImportedWrite | None) -> int:
    return 2 if isinstance(write, CreateImported) else 1


class CustomerWriter:
    """Customers by email (normalised): a new one claims its email and is created in one transaction (an
    oms-customers record keeps its ``customer_id``); a known one gets only the fields that differ, on
    condition it is as read; an empty cell leaves the field as it is.

    DynamoDB actions (customers table): BatchGetItem (consistent: the EMAIL# claims, then the profiles),
    TransactWriteItems (PutItem of a claim and a profile on a condition, UpdateItem of a profile on a
    condition; up to 100 items per transaction).
    """

    def __init__(
        self,
        store: CustomerStates,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._store = store
        self._clock = clock
        self._new_id = new_id
        self._sleep = sleep

    def write(self, entries: Sequence[Entry], provenance: Provenance) -> list[Written]:
        done: dict[int, Written] = {}
        for number, entry in enumerate(entries):
            if not isinstance(entry.record, CustomerImport):
                done[number] = _wrong_record(entry, "customer")
        valid = [i for i in range(len(entries)) if i not in done]
        for chunk in _rounds([entries[i] for i in valid], lambda e: email_key(_customer(e).email)):
            self._write_round(entries, [valid[i] for i in chunk], done)
        return [done[i] for i in range(len(entries))]

    def _write_round(self, entries: Sequence[Entry], positions: list[int], done: dict[int, Written]) -> None:
        todo = list(positions)
        for attempt in range(MAX_ATTEMPTS):
            try:
                owners, profiles = _read(self._store, [_customer(entries[i]) for i in todo])
            except Throttled:
                pause(attempt, self._sleep)
                continue
            now = utc_text(self._clock())
            groups: list[list[tuple[int, Decision]]] = [[]]
            size = 0
            for i in todo:
                decision = decide_customer(
                    _customer(entries[i]), owners, profiles, new_id=self._new_id, now=now
                )
                outcome, write, errors = decision
                if write is None:
                    done[i] = Written(entries[i], outcome, errors)
                    continue
                if size + _items(write) > TRANSACTION_ITEMS:
                    groups.append([])
                    size = 0
                groups[-1].append((i, decision))
                size += _items(write)
            todo = []
            for group in groups:
                if not group:
                    continue
                writes = [write for _, (_, write, _) in group if write is not None]
                try:
                    failed = self._store.write(writes)
                except Throttled:
                    failed = []
                if failed is None:
                    for i, (outcome, _, _) in group:
                        done[i] = Written(entries[i], outcome)
                else:
                    todo += [i for i, _ in group]  # nothing of the group was written: decide again
            if not todo:
                return
            pause(attempt, self._sleep)
        raise WriteFailed("customers kept changing or being throttled: run the import again to resume")


class CustomerCheck:
    """What the writer would refuse (an email that belongs to another customer_id, a customer being
    erased), writing nothing. DynamoDB actions: BatchGetItem (customers)."""

    def __init__(self, store: CustomerStates) -> None:
        self._store = store

    def check(self, entries: Sequence[Entry]) -> dict[str, tuple[str, ...]]:
        records = [(e.key, e.record) for e in entries if isinstance(e.record, CustomerImport)]
        owners, profiles = _read(self._store, [r for _, r in records])
        found: dict[str, tuple[str, ...]] = {}
        for key, record in records:
            outcome, _, errors = decide_customer(record, owners, profiles, new_id=lambda: "", now="")
            if outcome == "rejected":
                found[key] = errors
        return found


# --- the writers of this module, built for one environment ----------------------------------------


def standard_writers(
    dynamodb: Any,
    *,
    catalog_table: str,
    customers_table: str,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[dict[Kind, KindWriter], dict[Kind, LiveCheck]]:
    """The products, stock and customers writers and their live checks (the orders ones are added by
    the caller: ``shared.services.order_imports``). One DynamoDB client, the tables' names."""
    inventory = InventoryStore(dynamodb, catalog_table)
    customers = CustomerImportStore(dynamodb, customers_table)
    writers: dict[Kind, KindWriter] = {
        "products": ProductWriter(ProductStore(dynamodb, catalog_table), clock=clock),
        "stock": StockWriter(inventory, StockService(inventory, clock=clock), clock=clock),
        "customers": CustomerWriter(customers, clock=clock),
    }
    checks: dict[Kind, LiveCheck] = {
        "products": ProductCheck(),
        "stock": StockCheck(inventory),
        "customers": CustomerCheck(customers),
    }
    return writers, checks
