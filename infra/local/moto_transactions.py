"""TransactWriteItems on moto at a cost that does not grow with the table.

To roll a cancelled transaction back, moto (5.x, ``DynamoDBBackend.transact_write_items``) deep-copies
every table the transaction names, once per action, before it writes: each transaction costs time in
proportion to the size of its tables. An import of thousands of orders (each one transaction) then
slows down quadratically: 0.2 s an order with a few hundred items in the tables, minutes for 5,000.

``install()`` keeps moto's transaction code and replaces only that copy: the tables are not copied
(moto's "restore" then puts back the same table), and this wrapper saves the items the transaction's
actions name (a deep copy of each, or their absence) and the length of each table's stream, and on a
cancellation puts those items back and drops the stream records the cancelled writes added. That is the
all-or-nothing DynamoDB gives, for the same outcomes and errors, at a cost of the items touched.

Installed by the local stack's embedded endpoint and by the tests' in-process ``mock_aws``.
"""

from __future__ import annotations

import copy
import threading
import warnings
from collections.abc import Callable
from typing import Any

SUPPORTED = "5.2."
_lock = threading.Lock()
_state = {"installed": False}


class _NoTableCopies:
    """moto's ``copy`` module as its DynamoDB backend sees it: ``deepcopy`` of a Table is the table."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _key_of(table: Any, op: dict[str, Any]) -> tuple[Any, Any] | None:
    from moto.dynamodb.models.dynamo_type import DynamoType

    attrs = op.get("Key") or op.get("Item")
    if not attrs or table.hash_key_attr not in attrs:
        return None
    hash_key = DynamoType(attrs[table.hash_key_attr])
    if table.range_key_attr is None:
        return hash_key, None
    if table.range_key_attr not in attrs:
        return None
    return hash_key, DynamoType(attrs[table.range_key_attr])


def _restore(table: Any, hash_key: Any, range_key: Any, item: Any) -> None:
    if range_key is None:
        if item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        return
    if item is None:
        table.items.get(hash_key, {}).pop(range_key, None)
        if hash_key in table.items and not table.items[hash_key]:
            del table.items[hash_key]
    else:
        table.items[hash_key][range_key] = item


def install() -> None:
    """Patch moto's DynamoDB backend once per process (idempotent)."""
    with _lock:
        if _state["installed"]:
            return
        import moto
        from moto.dynamodb import models
        from moto.dynamodb.models.table import Table

        # Written against moto 5.2 (pinned in pyproject.toml): another version may copy or roll back
        # differently, and a patch of internals it no longer has would emulate DynamoDB wrongly. Then the
        # patch stays off (moto's own rollback: right, only slower) and says so.
        if not moto.__version__.startswith(SUPPORTED) or models.copy is not copy:
            warnings.warn(
                f"moto {moto.__version__}: its transactions are left as they are (this patch knows moto "
                f"{SUPPORTED}x); large imports on the local stack will be slow",
                stacklevel=2,
            )
            _state["installed"] = True
            return
        models.copy = _NoTableCopies(Table)  # type: ignore[assignment]
        original: Callable[..., None] = models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            saved: list[tuple[Any, Any, Any, Any]] = []
            streams: dict[int, tuple[Any, int]] = {}
            for action in transact_items[:100]:
                _, op = next(iter(action.items()))
                table = self.tables.get(op.get("TableName")) if isinstance(op, dict) else None
                if table is None:
                    continue
                key = _key_of(table, op)
                if key is not None:
                    hash_key, range_key = key
                    current = (
                        table.get_item(hash_key, range_key)
                        if range_key is not None or not table.has_range_key
                        else None
                    )
                    saved.append((table, hash_key, range_key, copy.deepcopy(current)))
                if table.stream_shard is not None:
                    streams.setdefault(id(table), (table.stream_shard, len(table.stream_shard.items)))
            try:
                original(self, transact_items)
            except Exception:
                for table, hash_key, range_key, item in reversed(saved):
                    _restore(table, hash_key, range_key, item)
                for shard, length in streams.values():
                    del shard.items[length:]
                raise

        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _state["installed"] = True
