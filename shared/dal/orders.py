"""Orders in DynamoDB: one TransactWriteItems per plan, reads by key and by index.

No business rules here: the domain decides what to write and what a failed condition means;
this module only says how each planned write looks in DynamoDB and reads the answer back.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from shared.dal import keys
from shared.dal.cursors import InvalidCursor
from shared.dal.cursors import decode as _decode_raw
from shared.dal.cursors import encode as _encode_raw
from shared.dal.customers import customer_write, email_owner
from shared.dal.dynamo import (
    Cancellation,
    batch_get,
    error_code,
    from_item,
    is_condition_failure,
    to_item,
    to_values,
    transact,
)
from shared.dal.inventory import move_update, movement_put, product_levels
from shared.domain.customers import CheckEmail, ClaimEmail, CreateCustomer, TouchCustomer
from shared.domain.inventory import MoveStock, RecordMovement
from shared.domain.moments import utc_text
from shared.domain.orders import (
    Cancelled,
    Claim,
    ClaimKey,
    CreateOrder,
    CustomerRefused,
    Failure,
    KeyClaimed,
    MoveRefused,
    OrderExists,
    OrderPlan,
    Refused,
    ReleaseStock,
    ReplaceOrder,
    ReserveStock,
    StockRefused,
    StopWaiting,
    UpdateClaim,
    WaitForStock,
    Write,
)
from shared.models.orders import Order, order_from_item
from shared.reports.days import parse_utc

BATCH_GET_LIMIT = 100  # keys per BatchGetItem


class MissingOrder(LookupError):
    """A claimed key names an order that is not stored: the claim and its order commit together, so
    this is a broken store, never an outcome a caller can answer."""


@dataclass(frozen=True)
class OrderQuery:
    channel: str | None = None
    status: str | None = None
    created_from: str | None = None  # ISO-8601 UTC, inclusive
    created_to: str | None = None  # ISO-8601 UTC, inclusive
    limit: int = 50
    attention: bool = False  # only orders with something unresolved for staff


# Without a channel or status, staff listings walk the by_day index backwards one day at a time:
# DEFAULT_LISTING_DAYS bounds the walk when no created_from is given, MAX_DAY_QUERIES_PER_PAGE the
# queries one page may spend (a page may then hold fewer items than asked, with a next_token).
DEFAULT_LISTING_DAYS = 31
MAX_DAY_QUERIES_PER_PAGE = 31


def placed_time(order: Order) -> str:
    """When the order was placed (``created_at`` without a channel time), as a sortable UTC timestamp
    like ``created_at``: the ``by_placed_day`` index's key."""
    if order.placed_at:
        try:
            return utc_text(parse_utc(order.placed_at))
        except ValueError:
            pass  # not ISO-8601 (the feed validates it): the OMS's own time still files the order
    return order.created_at


def order_item(order: Order) -> dict[str, Any]:
    values = order.model_dump(mode="python", exclude_none=True)
    if order.version == 1:
        # Not stored until the first change: an item without it is version 1 (so is an order recorded
        # before versions existed), and a new order's item stays as small as it was.
        del values["version"]
    placed = placed_time(order)
    values.update(
        pk=keys.order_pk(order.order_id),
        sk=keys.ORDER_SK,
        created_key=keys.created_key(order.created_at, order.order_id),
        created_day=order.created_at[:10],
        placed_key=keys.created_key(placed, order.order_id),
        placed_day=placed[:10],
        channel_status=f"{order.channel}#{order.status}",
        # Sparse: only an order with something unresolved is in the needs_attention index.
        needs_attention=keys.NEEDS_ATTENTION if any(a.resolved_at is None for a in order.attention) else None,
    )
    return to_item(values)


class OrderStore:
    def __init__(
        self,
        client: Any,
        table_name: str,
        catalog_table_name: str,
        customers_table_name: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._db = client
        self._sleep = sleep
        self._table = table_name
        self._catalog = catalog_table_name
        self._customers = customers_table_name

    @property
    def links_customers(self) -> bool:
        """Whether orders placed through this store are linked to customers (the function that
        places them may use the customers table)."""
        return self._customers is not None

    # --- writes ---------------------------------------------------------------------------

    def commit(
        self, plan: OrderPlan, *, now: datetime, attempt: int = 0, token: bool = True
    ) -> Cancelled | None:
        """Commit the whole plan in one TransactWriteItems; None when it committed.

        The request token makes the SDK's own retries (after a timeout, say) idempotent on DynamoDB
        for ten minutes: a resent request that already committed succeeds instead of failing its
        conditions. Each attempt of the service is a different plan, hence a different token. A plan
        that may be tried again later with other contents under the same order id (a backorder's
        confirmation) goes without one: its conditions already make it happen once.
        """
        seed = f"{plan.order.order_id}#{attempt}"
        cancellation = transact(
            self._db,
            plan.writes,
            lambda write: self._transact_item(write, now),
            token=hashlib.sha256(seed.encode()).hexdigest()[:36] if token else None,
        )
        return None if cancellation is None else _cancelled(cancellation)

    def _transact_item(self, write: Write, now: datetime) -> dict[str, Any]:
        if isinstance(write, ClaimEmail | CheckEmail | CreateCustomer | TouchCustomer):
            if self._customers is None:
                raise TypeError("this store was built without the customers table")
            return customer_write(self._customers, write)
        if isinstance(write, MoveStock):
            return {"Update": move_update(self._catalog, write)}
        if isinstance(write, RecordMovement):
            return {"Put": movement_put(self._catalog, write.movement)}
        if isinstance(write, ReserveStock | WaitForStock | ReleaseStock | StopWaiting):
            return self._catalog_item(write, now)
        return self._order_item(write, now)

    def _order_item(
        self, write: CreateOrder | ClaimKey | ReplaceOrder | UpdateClaim, now: datetime
    ) -> dict[str, Any]:
        if isinstance(write, UpdateClaim):
            # The claim follows the channel version applied: a resend of it is then known from the
            # claim alone (one request), and only the version that was read may be replaced.
            values: dict[str, Any] = {":h": write.content_hash, ":order": write.order_id}
            condition = "order_id = :order"
            if write.expected_hash is not None:
                condition += " AND request_hash = :expected"
                values[":expected"] = write.expected_hash
            sets = "request_hash = :h"
            if write.version is not None:
                sets += ", version = :v"
                values[":v"] = write.version
            return {
                "Update": {
                    "TableName": self._table,
                    "Key": keys.claim_key("external", write.channel, write.external_id),
                    "UpdateExpression": f"SET {sets}",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_values(values),
                }
            }
        if isinstance(write, CreateOrder):
            return {
                "Put": {
                    "TableName": self._table,
                    "Item": order_item(write.order),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    # Tells "this very plan already committed" apart from a real conflict.
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        if isinstance(write, ClaimKey):
            key = keys.claim_key(write.kind, write.channel, write.key)
            record = {
                "order_id": write.order_id,
                "request_hash": write.request_hash,
                "expires_at": write.expires_at,
                "version": write.version,
            }
            put: dict[str, Any] = {
                "TableName": self._table,
                "Item": {**key, **to_item(record)},
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
            if write.expires_at is not None:
                # TTL deletion lags by up to two days: an expired claim is free to take again.
                put["ConditionExpression"] += " OR expires_at < :now"
                put["ExpressionAttributeValues"] = to_values({":now": int(now.timestamp())})
            return {"Put": put}
        replace: ReplaceOrder = write  # the last kind left: mypy checks none is forgotten
        return {
            "Put": {
                "TableName": self._table,
                "Item": order_item(replace.order),
                "ConditionExpression": "#status = :status AND updated_at = :read",
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": to_values(
                    {":status": replace.expected_status, ":read": replace.expected_updated_at}
                ),
                # The order as it is now: which status a refused change met.
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _catalog_item(
        self, write: ReserveStock | WaitForStock | ReleaseStock | StopWaiting, now: datetime
    ) -> dict[str, Any]:
        if isinstance(write, ReserveStock):
            condition = "attribute_exists(price) AND available >= :q"
            values: dict[str, Any] = {":q": write.quantity, ":now": utc_text(now)}
            if write.expected_price is not None:
                condition += " AND price = :price"
                values[":price"] = write.expected_price
            return {
                "Update": {
                    "TableName": self._catalog,
                    "Key": keys.sku_key(write.sku),
                    "UpdateExpression": "SET reserved = reserved + :q, available = available - :q, "
                    "stock_updated_at = :now",
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": to_values(values),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        if isinstance(write, WaitForStock):
            created_key = keys.created_key(write.created_at, write.order_id)
            return {
                "Put": {
                    "TableName": self._catalog,
                    "Item": {
                        **keys.wait_key(write.sku, created_key),
                        **to_item({"order_id": write.order_id, "created_at": write.created_at}),
                    },
                }
            }
        if isinstance(write, ReleaseStock):
            return {
                "Update": {
                    "TableName": self._catalog,
                    "Key": keys.sku_key(write.sku),
                    "UpdateExpression": "SET reserved = reserved - :q, available = available + :q, "
                    "stock_updated_at = :now",
                    "ConditionExpression": "reserved >= :q",
                    "ExpressionAttributeValues": to_values({":q": write.quantity, ":now": utc_text(now)}),
                }
            }
        stop: StopWaiting = write  # the last kind left: mypy checks none is forgotten
        created_key = keys.created_key(stop.created_at, stop.order_id)
        return {
            "Update": {
                "TableName": self._catalog,
                "Key": keys.wait_key(stop.sku, created_key),
                # Marked done, removed by TTL (no function deletes catalog items).
                "UpdateExpression": "SET expires_at = if_not_exists(expires_at, :now)",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": to_values({":now": int(now.timestamp())}),
            }
        }

    # --- reads ----------------------------------------------------------------------------

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None:
        response = self._db.get_item(
            TableName=self._table, Key=keys.order_key(order_id), ConsistentRead=consistent
        )
        item = from_item(response.get("Item"))
        return order_from_item(item) if item else None

    def claimed(self, order_id: str) -> Order:
        """The order a claim names, read consistently: it exists, since a claim and its order commit
        together (``MissingOrder`` says the store is broken)."""
        order = self.get(order_id, consistent=True)
        if order is None:
            raise MissingOrder(order_id)
        return order

    def get_by_external_id(self, channel: str, external_id: str) -> Order | None:
        """The order a channel's external id was claimed by (two reads: the claim, then the order)."""
        claim = from_item(
            self._db.get_item(
                TableName=self._table, Key=keys.claim_key("external", channel, external_id)
            ).get("Item")
        )
        return self.get(str(claim["order_id"])) if claim else None

    def ids_by_external_id(self, external_id: str, limit: int) -> list[str]:
        """The ids of at most ``limit`` orders whose external id is ``external_id``, on any channel (one
        Query of the keys-only by_external_id index, eventually consistent)."""
        response = self._db.query(
            TableName=self._table,
            IndexName="by_external_id",
            KeyConditionExpression="external_id = :e",
            ExpressionAttributeValues=to_values({":e": external_id}),
            Limit=limit,
        )
        ids = (keys.order_id_of(item) for item in (from_item(i) or {} for i in response.get("Items", [])))
        return [order_id for order_id in ids if order_id is not None]

    def get_many(self, order_ids: Iterable[str]) -> dict[str, Order]:
        """The stored orders among ``order_ids``, by id (one BatchGetItem per 100, eventually consistent)."""
        found: dict[str, Order] = {}
        for item in self._batch_get([keys.order_key(order_id) for order_id in sorted(set(order_ids))]):
            order = order_from_item(item)
            found[order.order_id] = order
        return found

    def external_claims(self, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Claim]:
        """The external-id claims among (channel, external id) pairs: which order holds each, and the
        version it last applied (one BatchGetItem per 100, eventually consistent)."""
        pairs = sorted(set(wanted))
        by_pk = {keys.claim_key("external", c, e)["pk"]["S"]: (c, e) for c, e in pairs}
        found: dict[tuple[str, str], Claim] = {}
        for item in self._batch_get([keys.claim_key("external", c, e) for c, e in pairs]):
            found[by_pk[str(item["pk"])]] = Claim(
                str(item["order_id"]), _text(item.get("request_hash")), _text(item.get("version"))
            )
        return found

    def _batch_get(self, wanted: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """One BatchGetItem per 100 keys, throttling retried with backoff and bounded (``Throttled``)."""
        yield from batch_get(self._db, self._table, wanted, sleep=self._sleep)

    def by_customer(self, customer_id: str, cursor: str | None, limit: int) -> tuple[list[Order], str | None]:
        """A customer's orders, newest first, from the by_customer index."""
        start = _decode_cursor(cursor, "customer_id", customer_id)
        items, last = self._query_page("by_customer", "customer_id", customer_id, OrderQuery(), limit, start)
        return [order_from_item(i) for i in items], _encode_cursor(last)

    def erase_personal_data(self, order_id: str, customer_id: str, now: datetime) -> bool:
        """Remove the customer's details and the shipping address from one order; lines, totals,
        dates and ids stay. updated_at moves, so a status change computed from the order as it was
        (with the details) fails its condition and is made again from this one. False: the order
        was already erased."""
        try:
            self._db.update_item(
                TableName=self._table,
                Key=keys.order_key(order_id),
                UpdateExpression="REMOVE customer, shipping_address SET erased_at = :now, updated_at = :now, "
                "version = if_not_exists(version, :one) + :one",
                ConditionExpression="customer_id = :id AND attribute_not_exists(erased_at)",
                ExpressionAttributeValues=to_values({":now": utc_text(now), ":id": customer_id, ":one": 1}),
            )
        except ClientError as exc:
            if is_condition_failure(exc):
                return False
            raise
        return True

    def query(self, query: OrderQuery, cursor: str | None, *, today: date) -> tuple[list[Order], str | None]:
        """Newest first, one page; never a Scan. The cursor is opaque to callers. ``today``: the newest
        day a listing without ``created_to`` walks back from."""
        if query.channel or query.status or query.attention:
            index, attribute, value = _index_for(query)
            start = _decode_cursor(cursor, attribute, value)
            items, last = self._query_page(index, attribute, value, query, query.limit, start)
            return [order_from_item(i) for i in items], _encode_cursor(last)
        return self._query_by_day(query, cursor, today)

    def _query_by_day(
        self, query: OrderQuery, cursor: str | None, today: date
    ) -> tuple[list[Order], str | None]:
        newest = _day(query.created_to) if query.created_to else today
        oldest = (
            _day(query.created_from)
            if query.created_from
            else newest - timedelta(days=DEFAULT_LISTING_DAYS - 1)
        )
        day, start = newest, None
        if cursor:
            state = _decode_raw(cursor)
            day = _day(str(state.get("day", "")))
            if not oldest <= day <= newest:
                raise InvalidCursor("next_token does not belong to this query")
            start = (
                _checked_key(state.get("key"), "created_day", day.isoformat()) if state.get("key") else None
            )
        found: list[dict[str, Any]] = []
        queries = 0
        while day >= oldest and len(found) < query.limit and queries < MAX_DAY_QUERIES_PER_PAGE:
            items, last = self._query_page(
                "by_day", "created_day", day.isoformat(), query, query.limit - len(found), start
            )
            queries += 1
            found += items
            start = last
            if last is None:
                day -= timedelta(days=1)
        orders = [order_from_item(i) for i in found]
        if day < oldest:
            return orders, None
        return orders, _encode_raw({"day": day.isoformat(), "key": start})

    def _query_page(
        self,
        index: str,
        attribute: str,
        value: str,
        query: OrderQuery,
        limit: int,
        start: dict[str, Any] | None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": value}
        if query.created_from and query.created_to:
            condition += " AND created_key BETWEEN :from AND :to"
            values.update({":from": query.created_from, ":to": query.created_to + "\uffff"})
        elif query.created_from:
            condition += " AND created_key >= :from"
            values[":from"] = query.created_from
        elif query.created_to:
            condition += " AND created_key <= :to"
            values[":to"] = query.created_to + "\uffff"
        params: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": attribute},
            "ExpressionAttributeValues": to_values(values),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            params["ExclusiveStartKey"] = to_item(start)
        try:
            response = self._db.query(**params)
        except ClientError as exc:
            if start and error_code(exc) == "ValidationException":  # a start key DynamoDB refuses
                raise InvalidCursor("next_token does not belong to this query") from exc
            raise
        items = [from_item(i) or {} for i in response.get("Items", [])]
        last = from_item(response.get("LastEvaluatedKey"))
        return items, last


def _index_for(query: OrderQuery) -> tuple[str, str, str]:
    if query.attention:
        return "needs_attention", "needs_attention", keys.NEEDS_ATTENTION
    if query.channel and query.status:
        return "by_channel_status", "channel_status", f"{query.channel}#{query.status}"
    if query.channel:
        return "by_channel", "channel", query.channel
    return "by_status", "status", str(query.status)


def _encode_cursor(last: dict[str, Any] | None) -> str | None:
    return _encode_raw({"key": last}) if last else None


def _decode_cursor(cursor: str | None, attribute: str, value: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    return _checked_key(_decode_raw(cursor).get("key"), attribute, value)


def _checked_key(key: Any, attribute: str, value: str) -> dict[str, Any]:
    """A cursor may only resume the query it came from: a forged one cannot reach another partition,
    and only a whole index key (table key, index key) is ever sent to DynamoDB."""
    if (
        not isinstance(key, dict)
        or set(key) != {"pk", "sk", "created_key", attribute}
        or not all(isinstance(v, str) for v in key.values())
        or key.get(attribute) != value
    ):
        raise InvalidCursor("next_token does not belong to this query")
    return key


def _day(timestamp: str) -> date:
    try:
        return date.fromisoformat(timestamp[:10])
    except ValueError as exc:
        raise InvalidCursor("not a date") from exc


def _cancelled(cancellation: Cancellation[Write]) -> Cancelled:
    return Cancelled([_failure(write, item) for write, item in cancellation.failed], cancellation.contended)


def _failure(write: Write, item: dict[str, Any] | None) -> Failure:  # noqa: PLR0911
    """A refused write and the item it met (ALL_OLD), as the domain's failure: what the item says,
    never its attribute names."""
    if isinstance(write, ReserveStock):
        if not item or "price" not in item:
            return StockRefused(write, price=None, available=int((item or {}).get("available", 0)))
        return StockRefused(write, price=Decimal(str(item["price"])), available=int(item.get("available", 0)))
    if isinstance(write, MoveStock):
        return MoveRefused(write, product_levels(item, write.location))
    if isinstance(write, ClaimEmail | CheckEmail):
        return CustomerRefused(write, email_owner(item))
    if isinstance(write, TouchCustomer):
        return CustomerRefused(write)  # the customer was erased (or is being): a new one takes the email
    if isinstance(write, CreateOrder) and item:
        return OrderExists(write, str(item["order_id"]))
    if isinstance(write, ClaimKey) and item:
        return KeyClaimed(
            write,
            Claim(str(item["order_id"]), _text(item.get("request_hash")), _text(item.get("version"))),
        )
    return Refused(write)


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None
