"""Where each kind of item lives: the key layout of every table, in one place.

orders table (pk, sk):
  ORDER#{order_id}                 ORDER         the order (with index attributes, see below)
  IDEMPOTENCY#{channel}#{key}      IDEMPOTENCY   an Idempotency-Key claimed by an order (expires)
  EXTERNAL#{channel}#{external_id} EXTERNAL      an external id claimed by an order (forever)
catalog table (pk, sk):
  {sku}                            SKU           product (name, price, status, low_stock_threshold), stock
                                                 totals (on_hand, reserved, available) and, per
                                                 location, on_hand@{location}, counted_at@{location}
                                                 and moved_at@{location} (one item: a reservation
                                                 and a count are atomic). An item without
                                                 on_hand@default has no location levels yet (or was
                                                 written before locations): all its on_hand is at
                                                 the default location; listed = PRODUCT puts
                                                 it in the keys-only products index
  {sku}                            MOVE#{as_of}#{location}#{update_id}
                                                 the ledger: one movement of on-hand stock
  {sku}                            UPDATE#{location}#{update_id}
                                                 a stock update already applied (expires)
  {sku}                            WAIT#{created_key}
                                                 a backordered order waiting for this SKU
  LISTING#{channel}#{listing}      LISTING       a channel listing mapped to a SKU (shared/dal/listings.py)
customers table (pk, sk):
  CUSTOMER#{customer_id}           PROFILE       the customer (shared/dal/customers.py)
  EMAIL#{sha256(email)}            EMAIL         which customer an email belongs to
reports table (pk, sk):
  REPORT#{report_id}               REPORT        a report record (shared/dal/reports.py)
daily-sales table (pk, sk):
  DAY#{date}#{shard}               TOTAL#{currency} | CHANNEL#{channel}#{currency} | SKU#{sku}#{currency}
                                   | STATUS#{status}: a day's counters (shared/dal/sales.py); {sku} escaped;
                                   shard = shard_of(order_id)
  WEEK#{yyyy-Www}#{shard}          TOTAL#... | CHANNEL#... | SKU#...: the ISO week's roll-up (no STATUS)
  MONTH#{yyyy-mm}#{shard}          TOTAL#... | CHANNEL#... | SKU#...: the month's roll-up (no STATUS)
  DAY#{date}                       the same as DAY#{date}#{shard}: counters written before the shards
                                   (read by daily_sales; ``oms recount`` moves them into shard 0)
  ORDER#{order_id}                 APPLIED | APPLIED#{n}  the order's last change applied (expires), one
                                   marker per transaction of a change (shared/dal/sales.py)
imports table (pk, sk):
  IMPORT#{import_id}               RUN           an import run (shared/dal/imports.py), listed = RUN
  IMPORT#{import_id}               CHUNK#{n}     a chunk of an upload's rows, counted once
                                                 (the unfinished run of a file, to resume, is found
                                                 on the by_started index with a filter: no key item
                                                 per checksum; shared/dal/imports.py)
connections table (pk):
  CHANNEL#{channel}                              who owns a channel name: API keys or a connection
notifications table (pk, sk):
  NOTICE#{event_id}#{kind}#{recipient hash}  CLAIM  one email claimed: pending with a lease, or sent (expires)
  SETTINGS                         SETTINGS      per-channel switches and the staff low-stock list
  TEMPLATE#{channel}               {kind}        a channel's own template of one kind
  SUPPRESSED#{sha256(address)}     SUPPRESSED    an address that bounced or complained: never sent to again
customer-stats table (pk, sk), shared/dal/customer_stats.py:
  CUSTOMER#{customer_id}           STATS         counted orders per business day, money per currency, version
  CUSTOMER#{customer_id}           LTV#{currency} lifetime value in a currency (sparse index top_customers:
                                                 top_pk LTV#{currency}#{shard}, top_sk {cents:015d}#{id})
  MONTH#{YYYY-MM}#{shard}          CUSTOMERS     a month's customer counters (one item per shard)
  ORDER#{order_id}                 APPLIED       the order's last change applied (expires)
inventory-stats table (pk, sk): shared/dal/inventory_stats.py
  SKU#{sku}                        MONTH#{yyyy-mm} a SKU's month: sold_{dd} (units sold, set by the nightly
                                                 roll-up), oos_{dd} (1: out of stock that day),
                                                 shipped_{dd}@{location} (units shipped, added once)
  SKU#{sku}                        SHIPPED#{ledger sort key}
                                                 a shipment movement already added (expires)
  STOCKOUT#{day}                   SKU#{sku}     a SKU out of stock that day: sku, day, locations
  OUT                              SKU#{sku}     a SKU out of stock now: since (its first day), seq
api keys table (pk):
  {sha256 of the key}                            role, channel, key_id

Every prefix is added and taken off here and nowhere else: a handler gets an order id from a stream
record's keys with ``order_id_of``, the sales arithmetic names and reads its counters with
``counter_key`` and ``parse_counter``. The stream filters of infra/spec.py name the sort keys below.

SKUs in keys. A SKU may hold any character but control characters (shared.models.common.Sku),
'#' included, and '#' is what separates the parts of a composite key. Where the SKU is a whole
key (the catalog's pk) it is used as it is: nothing splits a pk, and every catalog query names its
SKU's partition exactly (the ledger's MOVE#, UPDATE# and WAIT# sort keys hold no SKU; a page cursor
carries the whole key as JSON and must equal its SKU's pk; StockLow's change_id {sku}#{sequence} is
an opaque id, never split). Where it is one part of a composite key that is split when read (the
daily-sales counter SKU#{sku}#{currency}) it is *escaped* with ``key_part``: '%' becomes %25 and
'#' becomes %23, so no part ever holds a '#', a split on '#' always finds the parts, and a prefix
query (begins_with SKU#{part}#) can never reach another SKU's items. Escaping, not a digest: the
key stays readable and reversible (``from_key_part``), the report reads the SKU back from the key
alone, and the keys written before SKUs could hold '#' or '%' are unchanged by it (no migration).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ORDER_PREFIX = "ORDER#"
ORDER_SK = "ORDER"
SKU_SK = "SKU"
LISTING_SK = "LISTING"
PROFILE_SK = "PROFILE"
EMAIL_SK = "EMAIL"
REPORT_SK = "REPORT"
APPLIED_SK = "APPLIED"
MOVE_PREFIX = "MOVE#"
WAIT_PREFIX = "WAIT#"
LOW_STOCK = "LOW"  # the low_stock index's one partition
PRODUCT_LISTED = "PRODUCT"  # the products index's one partition (attribute ``listed``)
NEEDS_ATTENTION = "OPEN"  # the needs_attention index's one partition (orders with unresolved attention)


def key_part(text: str) -> str:
    """``text`` as one part of a '#'-separated key: '%' and '#' percent-escaped, nothing else."""
    return text.replace("%", "%25").replace("#", "%23")


def from_key_part(part: str) -> str:
    """The text a ``key_part`` was made from."""
    return part.replace("%23", "#").replace("%25", "%")


def order_pk(order_id: str) -> str:
    return f"{ORDER_PREFIX}{order_id}"


def order_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": order_pk(order_id)}, "sk": {"S": ORDER_SK}}


def order_id_of(item_keys: Mapping[str, Any]) -> str | None:
    """The order id of an order item's keys as a stream record (or a deserialised item) holds them,
    ``{"pk": "ORDER#{order_id}", "sk": "ORDER"}``; None for any other item (a claim, an idempotency key)."""
    pk, sk = str(item_keys.get("pk", "")), str(item_keys.get("sk", ""))
    if sk != ORDER_SK or not pk.startswith(ORDER_PREFIX):
        return None
    return pk[len(ORDER_PREFIX) :]


def claim_key(kind: str, channel: str, key: str) -> dict[str, Any]:
    kind = kind.upper()
    return {"pk": {"S": f"{kind}#{channel}#{key}"}, "sk": {"S": kind}}


def sku_key(sku: str) -> dict[str, Any]:
    return {"pk": {"S": sku}, "sk": {"S": SKU_SK}}


def movement_key(sku: str, as_of: str, location: str, update_id: str) -> dict[str, Any]:
    return {"pk": {"S": sku}, "sk": {"S": f"{MOVE_PREFIX}{as_of}#{location}#{update_id}"}}


def update_key(sku: str, location: str, update_id: str) -> dict[str, Any]:
    return {"pk": {"S": sku}, "sk": {"S": f"UPDATE#{location}#{update_id}"}}


def wait_key(sku: str, created_key: str) -> dict[str, Any]:
    return {"pk": {"S": sku}, "sk": {"S": f"{WAIT_PREFIX}{created_key}"}}


def waiting_since(sort_key: str) -> str:
    """The ``created_key`` of a waiting entry's sort key (WAIT#{created_key})."""
    return sort_key.removeprefix(WAIT_PREFIX)


def listing_key(channel: str, listing: str) -> dict[str, Any]:
    return {"pk": {"S": f"LISTING#{channel}#{listing}"}, "sk": {"S": LISTING_SK}}


def profile_key(customer_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"CUSTOMER#{customer_id}"}, "sk": {"S": PROFILE_SK}}


def email_item_key(email_digest: str) -> dict[str, Any]:
    return {"pk": {"S": f"EMAIL#{email_digest}"}, "sk": {"S": EMAIL_SK}}


def channel_pk(channel: str) -> str:
    return f"CHANNEL#{channel}"


def channel_key(channel: str) -> dict[str, Any]:
    """The connections table's item of a channel: its claim, and its connection if it has one."""
    return {"pk": {"S": channel_pk(channel)}}


def report_pk(report_id: str) -> str:
    return f"REPORT#{report_id}"


def report_key(report_id: str) -> dict[str, Any]:
    return {"pk": {"S": report_pk(report_id)}, "sk": {"S": REPORT_SK}}


# --- analytics shards ------------------------------------------------------------------------------

# A hot aggregate item (every order of a day adds to it) is spread over this many partition keys, each
# ending in #{shard}: DynamoDB's limits (1,000 WCU/s per partition) apply to each. Readers query every shard.
ANALYTICS_SHARDS = 8


def shard_of(key: str) -> int:
    """The shard an order's (or a customer's) aggregates go to: stable across runs and machines."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big") % ANALYTICS_SHARDS


# --- the inventory-stats table (issue 18) ----------------------------------------------------------
# The SKU is a part of a pk that is never split (SKU#{sku}: the whole rest is the SKU) and of sort keys
# that are never split either (the item's ``sku`` attribute says which SKU it is).

STOCK_OUT_NOW = "OUT"  # the one partition of the SKUs out of stock now


def stats_sku_pk(sku: str) -> str:
    return f"SKU#{sku}"


def month_key(sku: str, month: str) -> dict[str, Any]:
    """A SKU's figures of one month (``yyyy-mm``)."""
    return {"pk": {"S": stats_sku_pk(sku)}, "sk": {"S": f"MONTH#{month}"}}


def shipped_marker_key(sku: str, ledger_sort_key: str) -> dict[str, Any]:
    """The marker of a shipment movement (the ledger entry's sort key) already added."""
    return {"pk": {"S": stats_sku_pk(sku)}, "sk": {"S": f"SHIPPED#{ledger_sort_key}"}}


def stock_out_pk(day: str) -> str:
    """The partition of the SKUs out of stock on a business day (the analytics export reads it whole)."""
    return f"STOCKOUT#{day}"


def stock_out_key(day: str, sku: str) -> dict[str, Any]:
    """A SKU out of stock on a business day (the export's "SKUs out of stock last week" reads these)."""
    return {"pk": {"S": stock_out_pk(day)}, "sk": {"S": f"SKU#{sku}"}}


def out_now_key(sku: str) -> dict[str, Any]:
    return {"pk": {"S": STOCK_OUT_NOW}, "sk": {"S": f"SKU#{sku}"}}


def sold_attribute(day: str) -> str:
    return f"sold_{day[8:10]}"


def out_attribute(day: str) -> str:
    return f"oos_{day[8:10]}"


def shipped_attribute(day: str, location: str) -> str:
    return f"shipped_{day[8:10]}@{location}"


def day_attribute(month: str, name: str) -> tuple[str, str, str | None] | None:
    """(what, day, location) of a month item's attribute: ("sold" | "oos" | "shipped", the ISO day, the
    location of a shipped figure); None for any other attribute."""
    what, _, rest = name.partition("_")
    if what not in ("sold", "oos", "shipped") or len(rest) < 2 or not rest[:2].isdigit():
        return None
    day = f"{month}-{rest[:2]}"
    if what == "shipped":
        return (what, day, rest[3:]) if rest[2:3] == "@" else None
    return (what, day, None) if len(rest) == 2 else None


# --- the daily-sales table ------------------------------------------------------------------------


def day_pk(day: str) -> str:
    """The unsharded partition of a day's counters, as written before the shards (read, never written)."""
    return f"DAY#{day}"


def period_pk(kind: str, label: str, shard: int) -> str:
    """The partition of one shard of a day's (DAY), an ISO week's (WEEK) or a month's (MONTH) counters."""
    return f"{kind}#{label}#{shard}"


def applied_key(order_id: str, part: int = 1) -> dict[str, Any]:
    """The marker of the last change of an order the daily-sales counters have applied: APPLIED for the
    change's first transaction, APPLIED#{n} for its n-th (a change too large for one)."""
    sk = APPLIED_SK if part == 1 else f"{APPLIED_SK}#{part}"
    return {"pk": {"S": order_pk(order_id)}, "sk": {"S": sk}}


CounterKind = Literal["TOTAL", "CHANNEL", "SKU", "STATUS"]


@dataclass(frozen=True)
class Counter:
    """What a day's counter item counts (its sort key, read back): ``name`` is the channel, the SKU or
    the status; "" for the total. ``currency`` is "" for a status (a count of orders, in no currency)."""

    kind: CounterKind
    name: str = ""
    currency: str = ""


def counter_key(counter: Counter) -> str:
    """The sort key of a counter: TOTAL#{currency}, CHANNEL#{channel}#{currency}, SKU#{sku}#{currency}
    ({sku} escaped with ``key_part``) or STATUS#{status}. Channels, currencies and statuses hold no '#'."""
    if counter.kind == "TOTAL":
        return f"TOTAL#{counter.currency}"
    if counter.kind == "STATUS":
        return f"STATUS#{counter.name}"
    name = key_part(counter.name) if counter.kind == "SKU" else counter.name
    return f"{counter.kind}#{name}#{counter.currency}"


def parse_counter(sort_key: str) -> Counter | None:
    """The counter a sort key names (``counter_key`` read back); None for a key of no known kind."""
    kind, _, rest = sort_key.partition("#")
    if kind == "TOTAL":
        return Counter("TOTAL", currency=rest)
    if kind == "STATUS":
        return Counter("STATUS", name=rest)
    name, _, currency = rest.rpartition("#")
    if kind == "CHANNEL":
        return Counter("CHANNEL", name, currency)
    if kind == "SKU":
        return Counter("SKU", from_key_part(name), currency)
    return None


# --- the customer-stats table (issue 18: customer behaviour; shared/dal/customer_stats.py) ------------

CUSTOMER_PREFIX = "CUSTOMER#"
CUSTOMER_STATS_SK = "STATS"
LTV_PREFIX = "LTV#"
MONTH_PREFIX = "MONTH#"
CUSTOMERS_SK = "CUSTOMERS"
LTV_DIGITS = 15  # lifetime value in cents, zero-padded: sorts as the number up to 10^13 (in any currency)


def customer_stats_key(customer_id: str) -> dict[str, Any]:
    """CUSTOMER#{id} STATS: a customer's counted orders per business day and money per currency."""
    return {"pk": {"S": f"{CUSTOMER_PREFIX}{customer_id}"}, "sk": {"S": CUSTOMER_STATS_SK}}


def customer_ltv_key(customer_id: str, currency: str) -> dict[str, Any]:
    """CUSTOMER#{id} LTV#{currency}: the customer's lifetime value in one currency (the top index's item)."""
    return {"pk": {"S": f"{CUSTOMER_PREFIX}{customer_id}"}, "sk": {"S": f"{LTV_PREFIX}{currency}"}}


def customer_month_pk(month: str, shard: int) -> str:
    return f"{MONTH_PREFIX}{month}#{shard}"


def customer_month_key(month: str, shard: int) -> dict[str, Any]:
    """MONTH#{YYYY-MM}#{shard} CUSTOMERS: one shard's customer counters of a business month."""
    return {"pk": {"S": customer_month_pk(month, shard)}, "sk": {"S": CUSTOMERS_SK}}


def ltv_pk(currency: str, shard: int) -> str:
    """The top_customers index's partition of a currency's shard (shard: ``shard_of(customer_id)``)."""
    return f"{LTV_PREFIX}{currency}#{shard}"


def ltv_sk(value_cents: int, customer_id: str) -> str:
    """The top_customers index's sort key: the value in cents, zero-padded, then the customer id."""
    return f"{value_cents:0{LTV_DIGITS}d}#{customer_id}"


# --- the imports table ----------------------------------------------------------------------------

IMPORT_PREFIX = "IMPORT#"
RUN_SK = "RUN"
RUNS_LISTED = "RUN"  # the by_started index's one partition


def import_key(import_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{IMPORT_PREFIX}{import_id}"}, "sk": {"S": RUN_SK}}


def import_chunk_key(import_id: str, chunk: int) -> dict[str, Any]:
    return {"pk": {"S": f"{IMPORT_PREFIX}{import_id}"}, "sk": {"S": f"CHUNK#{chunk:06d}"}}


# The imports bucket (infra/spec.py's IMPORTS_BUCKET; both runtimes notify the import work queue of uploads).
IMPORT_UPLOADS_PREFIX = "uploads/"  # uploads/{import_id}/{file_name}: an upload here starts its run
IMPORT_PLANS_PREFIX = "plans/"  # plans/{import_id}.json: what a planner planned (its worker's, no one else's)
IMPORT_ERRORS_PREFIX = "errors/"  # errors/{import_id}.{csv|jsonl}: the rows refused, with _errors


def import_upload_key(import_id: str, file_name: str) -> str:
    return f"{IMPORT_UPLOADS_PREFIX}{import_id}/{file_name}"


def import_error_key(import_id: str, container: str, chunk: int | None = None) -> str:
    """errors/{id}.{ext}: the rows an upload's check refused; errors/{id}-chunk-{n}.{ext}: rows one chunk's
    writes refused that the check could not foresee (skip-rows)."""
    suffix = "" if chunk is None else f"-chunk-{chunk:06d}"
    return f"{IMPORT_ERRORS_PREFIX}{import_id}{suffix}.{container}"


def import_plan_key(import_id: str) -> str:
    """plans/{id}.json: an upload's plan as its planner made it (the upload's ETag; per kind, the first lines
    of the entries the check refused, which the run's chunks skip), read back by a redelivered plan
    (``shared.services.import_jobs``). The imports function's alone."""
    return f"{IMPORT_PLANS_PREFIX}{import_id}.json"


def on_hand_at(location: str) -> str:
    """The attribute of the product item holding one location's on-hand units."""
    return f"on_hand@{location}"


def moved_at(location: str) -> str:
    """The attribute of the product item holding the as_of of the newest movement applied at a location."""
    return f"moved_at@{location}"


def counted_at(location: str) -> str:
    """The attribute of the product item holding the as_of of the last count applied at a location."""
    return f"counted_at@{location}"


def created_key(created_at: str, order_id: str) -> str:
    """Sort key of every order index: time first, so queries read newest first; id breaks ties."""
    return f"{created_at}#{order_id}"


NOTICE_PREFIX = "NOTICE#"
NOTICE_SK = "CLAIM"
NOTIFICATION_SETTINGS = "SETTINGS"
TEMPLATE_PREFIX = "TEMPLATE#"
SUPPRESSED_PREFIX = "SUPPRESSED#"
SUPPRESSED_SK = "SUPPRESSED"


def notice_key(claim: str) -> dict[str, Any]:
    """The notifications table's key of one email's claim (``shared.domain.notifications.claim_key``)."""
    return {"pk": {"S": f"{NOTICE_PREFIX}{claim}"}, "sk": {"S": NOTICE_SK}}


def notification_settings_key() -> dict[str, Any]:
    return {"pk": {"S": NOTIFICATION_SETTINGS}, "sk": {"S": NOTIFICATION_SETTINGS}}


def template_key(channel: str, kind: str) -> dict[str, Any]:
    return {"pk": {"S": f"{TEMPLATE_PREFIX}{channel}"}, "sk": {"S": kind}}


def suppressed_key(address_hash: str) -> dict[str, Any]:
    return {"pk": {"S": f"{SUPPRESSED_PREFIX}{address_hash}"}, "sk": {"S": SUPPRESSED_SK}}
