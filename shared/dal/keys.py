"""Where each kind of item lives: the key layout of every table, in one place.

orders table (pk, sk):
  ORDER#{order_id}                 ORDER         the order (with index attributes, see below)
  IDEMPOTENCY#{channel}#{key}      IDEMPOTENCY   an Idempotency-Key claimed by an order (expires)
  EXTERNAL#{channel}#{external_id} EXTERNAL      an external id claimed by an order (forever)
catalog table (pk, sk):
  {sku}                            SKU           product (name, price) and stock totals
api keys table (pk):
  {sha256 of the key}                            role, channel, key_id
"""

from __future__ import annotations

from typing import Any

ORDER_SK = "ORDER"
SKU_SK = "SKU"


def order_key(order_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": ORDER_SK}}


def claim_key(kind: str, channel: str, key: str) -> dict[str, Any]:
    kind = kind.upper()
    return {"pk": {"S": f"{kind}#{channel}#{key}"}, "sk": {"S": kind}}


def sku_key(sku: str) -> dict[str, Any]:
    return {"pk": {"S": sku}, "sk": {"S": SKU_SK}}


def created_key(created_at: str, order_id: str) -> str:
    """Sort key of every order index: time first, so queries read newest first; id breaks ties."""
    return f"{created_at}#{order_id}"
