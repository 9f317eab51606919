"""Where each kind of item lives: the key layout of every table, in one place.

orders table (pk, sk):
  ORDER#{order_id}                 ORDER         the order (with index attributes, see below)
  IDEMPOTENCY#{channel}#{key}      IDEMPOTENCY   an Idempotency-Key claimed by an order (expires)
  EXTERNAL#{channel}#{external_id} EXTERNAL      an external id claimed by an order (forever)
catalog table (pk, sk):
  {sku}                            SKU           product (name, price, low_stock_threshold), stock
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
reports table: see shared/dal/reports.py; daily-sales table: see shared/dal/sales.py
api keys table (pk):
  {sha256 of the key}                            role, channel, key_id

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

from typing import Any

ORDER_SK = "ORDER"
SKU_SK = "SKU"
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


def order_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": ORDER_SK}}


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
