"""Stock in DynamoDB: the product item's totals and location levels, the ledger, update claims,
the low-stock flag and backorders' waiting lines (see ``shared.dal.keys`` for the layout).

No business rules here: ``shared.domain.inventory`` decides what to write and what a failed
condition means; this module says how each planned write looks and reads answers back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import cursors, keys
from shared.dal.catalog import product_items
from shared.dal.dynamo import (
    Cancellation,
    from_item,
    is_condition_failure,
    to_item,
    to_values,
    transact,
)
from shared.domain.inventory import (
    ClaimUpdate,
    LocationLevel,
    MoveStock,
    ProductLevels,
    RecordMovement,
    StockFailure,
    StockImage,
    StockPlan,
    StockWrite,
    stock_view,
)
from shared.models.inventory import DEFAULT_LOCATION, Movement, Stock

_BATCH_GET_LIMIT = 100
# The products index: every product item carries listed = PRODUCT (shared.dal.catalog).
_PRODUCTS = ("products", "listed", keys.PRODUCT_LISTED)
_LISTING_READS = 5  # index reads per page of a filtered listing, at most
_ON_HAND_AT = keys.on_hand_at("")
_COUNTED_AT = keys.counted_at("")


@dataclass(frozen=True)
class StockCancelled:
    failures: list[StockFailure]
    contended: bool


@dataclass(frozen=True)
class Waiting:
    """A backordered order in a SKU's waiting line."""

    sku: str
    order_id: str
    created_key: str


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def levels_of(item: Mapping[str, Any]) -> dict[str, LocationLevel]:
    """Every location's level recorded on a product item (the default one included, see keys)."""
    levels: dict[str, LocationLevel] = {}
    for name in item:
        if name.startswith(_ON_HAND_AT):
            location = name[len(_ON_HAND_AT) :]
            levels[location] = level_of(item, location)
    if DEFAULT_LOCATION not in levels and int(item.get("on_hand", 0)):
        levels[DEFAULT_LOCATION] = level_of(item, DEFAULT_LOCATION)
    if levels.get(DEFAULT_LOCATION) == LocationLevel(on_hand=0):
        del levels[DEFAULT_LOCATION]  # recorded as empty when another location was first stocked
    return levels


def level_of(item: Mapping[str, Any], location: str) -> LocationLevel:
    on_hand = item.get(keys.on_hand_at(location))
    if on_hand is None and location == DEFAULT_LOCATION:
        # No location levels yet (or stock recorded before there were locations): it is all here.
        on_hand = item.get("on_hand") or None
    return LocationLevel(
        int(on_hand) if on_hand is not None else None,
        _text(item.get(keys.counted_at(location))),
        _text(item.get(keys.moved_at(location))),
    )


def product_levels(item: Mapping[str, Any] | None, location: str) -> ProductLevels:
    if not item or "price" not in item:
        return ProductLevels(exists=False)
    return ProductLevels(
        exists=True,
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
        level=level_of(item, location),
    )


def stock_image(image: Mapping[str, Any]) -> StockImage:
    """A product item from a stream record (already deserialised)."""
    threshold = image.get("low_stock_threshold")
    return StockImage(
        available=int(image.get("available", 0)),
        threshold=int(threshold) if threshold is not None else None,
        flagged="low_stock" in image,
        levels=levels_of(image),
        on_hand=int(image.get("on_hand", 0)),
        reserved=int(image.get("reserved", 0)),
    )


def stock_from_item(sku: str, item: Mapping[str, Any]) -> Stock:
    threshold = item.get("low_stock_threshold")
    stock = stock_view(
        sku,
        on_hand=int(item.get("on_hand", 0)),
        reserved=int(item.get("reserved", 0)),
        available=int(item.get("available", 0)),
        levels=levels_of(item),
        low_stock_threshold=int(threshold) if threshold is not None else None,
    )
    return stock.model_copy(update={"low_since": _text(item.get("low_since"))})


def _listed(item: Mapping[str, Any], *, low_only: bool, location: str | None) -> Stock | None:
    """A listed product item as the listing shows it, or None when the filters leave it out."""
    if "price" not in item:
        return None
    stock = stock_from_item(str(item["pk"]), item)
    if low_only and not stock.low_stock:
        return None  # recovered a moment ago; the stream clears the flag
    if location is not None:
        here = [level for level in stock.locations if level.location == location]
        if not here:
            return None
        stock = stock.model_copy(update={"locations": here})
    return stock


def _moved_clauses(move: MoveStock, sets: list[str], conditions: list[str], values: dict[str, Any]) -> None:
    """The newest movement time of the location: recorded, and never moved backwards."""
    if move.moved_at is not None:
        sets.append("#moved = :moved")
        values[":moved"] = move.moved_at
    if move.moved_known:
        if move.expect_moved is None:
            conditions.append("attribute_not_exists(#moved)")
        else:
            conditions.append("#moved = :expected_moved")
            values[":expected_moved"] = move.expect_moved
    elif move.moved_at is not None:  # movements applied without knowing the location: never backwards
        conditions.append("(attribute_not_exists(#moved) OR #moved <= :moved)")


def move_update(table: str, move: MoveStock) -> dict[str, Any]:
    """The Update of the product item a MoveStock plans (used by orders' transactions too)."""
    names = {
        "#level": keys.on_hand_at(move.location),
        "#counted": keys.counted_at(move.location),
        "#moved": keys.moved_at(move.location),
    }
    values: dict[str, Any] = {":change": move.change, ":at": move.at, ":after": move.after}
    sets = ["on_hand = on_hand + :change", "available = available + :change", "stock_updated_at = :at"]
    conditions = [
        "attribute_exists(price)",
        "(attribute_not_exists(#counted) OR #counted < :after)",
    ]
    if move.unreserve:
        # Shipped units leave on_hand and reserved together: available does not move.
        sets[:2] = [
            "on_hand = on_hand + :change",
            "reserved = reserved - :unreserve",
            "available = available + :change + :unreserve",
        ]
        values[":unreserve"] = move.unreserve
        conditions.append("reserved >= :unreserve")
    at_default = move.location == DEFAULT_LOCATION
    # While a product has no on_hand@default, all its on_hand is at the default location (see
    # keys): the first write of any location records that, from on_hand as it was before.
    level_now = "if_not_exists(#level, on_hand)" if at_default else "if_not_exists(#level, :zero)"
    if not at_default:
        names["#default"] = keys.on_hand_at(DEFAULT_LOCATION)
        sets.append("#default = if_not_exists(#default, on_hand)")
    if move.set_level is not None:
        sets += ["#level = :level", "#counted = :counted"]
        values.update({":level": move.set_level, ":counted": move.counted_at})
        if at_default:
            values[":expected"] = move.expect_level or 0
            conditions.append(
                "(#level = :expected OR (attribute_not_exists(#level) AND on_hand = :expected))"
            )
        elif move.expect_level is None:
            conditions.append("attribute_not_exists(#level)")
        else:
            conditions.append("#level = :expected")
            values[":expected"] = move.expect_level
    else:
        sets.append(f"#level = {level_now} + :change")
        if not at_default:
            values[":zero"] = 0
    _moved_clauses(move, sets, conditions, values)
    if move.keep_available:
        # available + change >= 0 and level + change >= 0, as DynamoDB can compare: x >= -change
        values[":floor"] = -move.change
        level_floor = "#level >= :floor"
        if at_default:
            level_floor = "(#level >= :floor OR (attribute_not_exists(#level) AND on_hand >= :floor))"
        conditions += ["available >= :floor", level_floor]
    return {
        "TableName": table,
        "Key": keys.sku_key(move.sku),
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": " AND ".join(conditions),
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_values(values),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def movement_put(table: str, movement: Movement) -> dict[str, Any]:
    """The Put of one ledger entry."""
    return {
        "TableName": table,
        "Item": {
            **keys.movement_key(movement.sku, movement.as_of, movement.location, movement.update_id),
            **to_item(movement.model_dump(exclude_none=True)),
        },
    }


class InventoryStore:
    def __init__(self, client: Any, table_name: str) -> None:
        self._db = client
        self._table = table_name

    # --- stock updates ----------------------------------------------------------------------

    def levels(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ProductLevels]:
        """Each (sku, location)'s product levels, in as few BatchGetItem requests as possible."""
        pairs = sorted(set(wanted))
        skus = sorted({sku for sku, _ in pairs})
        names = {"#pk": "pk", "#price": "price", "#available": "available", "#on_hand": "on_hand"}
        for i, location in enumerate(sorted({loc for _, loc in pairs})):
            names[f"#l{i}"] = keys.on_hand_at(location)
            names[f"#c{i}"] = keys.counted_at(location)
            names[f"#m{i}"] = keys.moved_at(location)
        projection = ", ".join(names)
        items: dict[str, dict[str, Any]] = {}
        for start in range(0, len(skus), _BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._table: {
                    "Keys": [keys.sku_key(sku) for sku in skus[start : start + _BATCH_GET_LIMIT]],
                    "ProjectionExpression": projection,
                    "ExpressionAttributeNames": names,
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._db.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._table, []):
                    item = from_item(raw) or {}
                    items[str(item["pk"])] = item
                request = response.get("UnprocessedKeys") or {}
        return {(sku, location): product_levels(items.get(sku), location) for sku, location in pairs}

    def commit(self, plan: StockPlan) -> StockCancelled | None:
        """The whole plan in one TransactWriteItems; None when it committed.

        No ClientRequestToken: every write is conditional on state the plan read or on an update id
        not yet claimed, so a resent transaction that already committed fails its claims and is
        recognised as applied when planned again.
        """
        cancellation = transact(self._db, plan.writes, self._transact_item)
        return None if cancellation is None else self._cancellation(cancellation)

    def _transact_item(self, write: StockWrite) -> dict[str, Any]:
        if isinstance(write, MoveStock):
            return {"Update": move_update(self._table, write)}
        if isinstance(write, RecordMovement):
            return {"Put": movement_put(self._table, write.movement)}
        # The only write left: ClaimUpdate (StockWrite is closed, and mypy narrows it here).
        return {
            "Put": {
                "TableName": self._table,
                "Item": {
                    **keys.update_key(write.sku, write.location, write.update_id),
                    **to_item({"expires_at": write.expires_at, "fingerprint": write.fingerprint}),
                },
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    @staticmethod
    def _cancellation(cancellation: Cancellation[StockWrite]) -> StockCancelled:
        failures = []
        for write, old in cancellation.failed:
            product = product_levels(old, write.location) if isinstance(write, MoveStock) else None
            fingerprint = (old or {}).get("fingerprint") if isinstance(write, ClaimUpdate) else None
            failures.append(StockFailure(write, product, _text(fingerprint)))
        return StockCancelled(failures=failures, contended=cancellation.contended)

    # --- reads --------------------------------------------------------------------------------

    def movements_after(self, sku: str, location: str, as_of: str) -> int:
        """The units the movements applied at a location after ``as_of`` added up to (the ledger)."""
        total = 0
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :after AND :end",
            "FilterExpression": "#location = :location AND kind <> :count",
            "ExpressionAttributeNames": {"#location": "location"},
            "ExpressionAttributeValues": to_values(
                {
                    ":pk": sku,
                    ":after": f"{keys.MOVE_PREFIX}{as_of}#\uffff",  # after every entry at as_of itself
                    ":end": f"{keys.MOVE_PREFIX}\uffff",
                    ":location": location,
                    ":count": "count",
                }
            ),
            "ProjectionExpression": "change",
            "ConsistentRead": True,
        }
        while True:
            response = self._db.query(**params)
            total += sum(int((from_item(i) or {}).get("change", 0)) for i in response.get("Items", []))
            if not response.get("LastEvaluatedKey"):
                return total
            params["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def stock(self, sku: str) -> Stock | None:
        item = from_item(
            self._db.get_item(TableName=self._table, Key=keys.sku_key(sku), ConsistentRead=True).get("Item")
        )
        if not item or "price" not in item:
            return None
        return stock_from_item(sku, item)

    def movements(self, sku: str, cursor: str | None, limit: int) -> tuple[list[Movement], str | None]:
        """The ledger of one SKU, newest first (by the time each movement happened at its source)."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_values({":pk": sku, ":prefix": keys.MOVE_PREFIX}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        start = cursors.table_key(cursor, pk=sku, sk_prefix=keys.MOVE_PREFIX)
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        response = self._db.query(**params)
        items = [from_item(i) or {} for i in response.get("Items", [])]
        last = from_item(response.get("LastEvaluatedKey"))
        movements = [
            Movement.model_validate({k: v for k, v in i.items() if k not in ("pk", "sk")}) for i in items
        ]
        return movements, cursors.encode({"key": last}) if last else None

    def listing(
        self, cursor: str | None, limit: int, *, low_only: bool = False, location: str | None = None
    ) -> tuple[list[Stock], str | None]:
        """Every product's stock (the keys-only products index, then its items), in SKU order; or only
        the products flagged low (the sparse low_stock index: the flag follows the stream, so it may
        lag a write by a moment, and one that recovered meanwhile is left out); or only those with a
        level recorded at ``location`` (each with that location's level alone).

        Never a Scan. A page reads the index for at most the items still wanted, so the cursor is the
        last key examined; with a filter a page may hold fewer than ``limit`` items (at most
        ``_LISTING_READS`` index reads per page), and the next one goes on from there.
        """
        index, partition, value = ("low_stock", "low_stock", keys.LOW_STOCK) if low_only else _PRODUCTS
        start = cursors.index_key(cursor, partition=partition, value=value)
        found: list[Stock] = []
        for _ in range(_LISTING_READS):
            params: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "KeyConditionExpression": f"{partition} = :value",
                "ExpressionAttributeValues": to_values({":value": value}),
                "Limit": limit - len(found),
            }
            if start:
                params["ExclusiveStartKey"] = to_item(start)
            response = self._db.query(**params)
            items = [from_item(raw) or {} for raw in response.get("Items", [])]
            if not low_only:  # keys only: read the items themselves
                items = product_items(self._db, self._table, [str(item["pk"]) for item in items])
            found.extend(
                stock for item in items if (stock := _listed(item, low_only=low_only, location=location))
            )
            start = from_item(response.get("LastEvaluatedKey"))
            if not start or len(found) >= limit:
                break
        return found, cursors.encode({"key": start}) if start else None

    # --- low-stock flag -------------------------------------------------------------------------

    def flag_low(self, sku: str, since: str) -> bool:
        """Flag the product low if it still is; False when it recovered meanwhile (or is flagged)."""
        return self._conditional_update(
            sku,
            "SET low_stock = :low, low_since = :since",
            "attribute_exists(price) AND available <= low_stock_threshold "
            "AND attribute_not_exists(low_stock)",
            {":low": keys.LOW_STOCK, ":since": since},
        )

    def clear_low(self, sku: str) -> bool:
        return self._conditional_update(
            sku,
            "REMOVE low_stock, low_since",
            "attribute_exists(low_stock) AND "
            "(attribute_not_exists(low_stock_threshold) OR available > low_stock_threshold)",
            None,
        )

    def _conditional_update(
        self, sku: str, update: str, condition: str, values: dict[str, Any] | None
    ) -> bool:
        params: dict[str, Any] = {
            "TableName": self._table,
            "Key": keys.sku_key(sku),
            "UpdateExpression": update,
            "ConditionExpression": condition,
        }
        if values:
            params["ExpressionAttributeValues"] = to_values(values)
        try:
            self._db.update_item(**params)
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    # --- backorders' waiting lines ----------------------------------------------------------------

    def waiting(self, sku: str, limit: int, *, after: str | None = None) -> tuple[list[Waiting], str | None]:
        """One page of the backordered orders waiting for ``sku``, first come first, and where the
        next page starts (None: the line ends here). ``after`` is where this page starts."""
        params: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": "attribute_not_exists(expires_at)",  # done, waiting for TTL
            "ExpressionAttributeValues": to_values({":pk": sku, ":prefix": keys.WAIT_PREFIX}),
            "ScanIndexForward": True,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if after is not None:
            params["ExclusiveStartKey"] = keys.wait_key(sku, after)
        response = self._db.query(**params)
        found = []
        for raw in response.get("Items", []):
            item = from_item(raw) or {}
            created_key = keys.waiting_since(str(item["sk"]))
            found.append(Waiting(sku=sku, order_id=str(item["order_id"]), created_key=created_key))
        last = from_item(response.get("LastEvaluatedKey"))
        return found, keys.waiting_since(str(last["sk"])) if last else None

    def stop_waiting(self, sku: str, created_key: str, now: int) -> None:
        """Take an order out of a SKU's line: marked done at once, removed by TTL (no function may
        delete items of the catalog table)."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.wait_key(sku, created_key),
                UpdateExpression="SET expires_at = :now",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(expires_at)",
                ExpressionAttributeValues=to_values({":now": now}),
            )
        except ClientError as exc:
            if not is_condition_failure(exc):  # already done, or never there
                raise
