"""Listing cursors: opaque, round-tripping, and unable to reach another partition."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import pytest

from shared.dal.orders import (
    InvalidCursor,
    OrderQuery,
    OrderStore,
    _checked_key,
    _decode_cursor,
    _decode_raw,
    _encode_cursor,
    _encode_raw,
)

TODAY = date(2024, 2, 15)
WEB_KEY = {
    "pk": "ORDER#o-1",
    "sk": "ORDER",
    "channel": "web",
    "created_key": "2024-01-01T00:00:00.000Z#o-1",
}


def raw_cursor(state: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


class NoCallsClient:
    """A DynamoDB client that must not be reached: a bad cursor is refused before any query."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"DynamoDB {name} called")


def test_cursor_round_trips() -> None:
    cursor = _encode_cursor(WEB_KEY)

    assert cursor is not None
    assert _decode_cursor(cursor, "channel", "web") == WEB_KEY


def test_cursor_is_url_safe_without_padding() -> None:
    cursor = _encode_cursor({**WEB_KEY, "pk": "ORDER#???>>>~~~"})

    assert cursor is not None
    assert "=" not in cursor
    assert "+" not in cursor
    assert "/" not in cursor
    assert _decode_raw(cursor)["key"]["pk"] == "ORDER#???>>>~~~"


def test_no_last_key_means_no_cursor() -> None:
    assert _encode_cursor(None) is None
    assert _encode_cursor({}) is None
    assert _decode_cursor(None, "channel", "web") is None
    assert _decode_cursor("", "channel", "web") is None


def test_raw_state_round_trips() -> None:
    state = {"day": "2024-02-29", "key": None}

    assert _decode_raw(_encode_raw(state)) == state


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!!",
        "not base64 at all",
        "a",
        "bm90IGpzb24",
        "é",
        raw_cursor([1, 2]),
        raw_cursor("key"),
        raw_cursor(None),
    ],
)
def test_garbage_is_an_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        _decode_cursor(cursor, "channel", "web")


def test_checked_key_accepts_a_key_of_the_same_partition() -> None:
    assert _checked_key(WEB_KEY, "channel", "web") is WEB_KEY


@pytest.mark.parametrize(
    "key",
    [
        {**WEB_KEY, "channel": "pos"},  # another channel's partition
        {k: v for k, v in WEB_KEY.items() if k != "channel"},  # no partition value at all
        {**WEB_KEY, "created_key": 5},  # non-string value
        {**WEB_KEY, "sk": {"S": "ORDER"}},  # attribute-value form smuggled in
        {**WEB_KEY, "secret": "x"},  # an attribute no index key has
        None,
        "ORDER#o-1",
        ["channel", "web"],
    ],
)
def test_checked_key_refuses_forged_keys(key: Any) -> None:
    with pytest.raises(InvalidCursor, match="does not belong"):
        _checked_key(key, "channel", "web")


def test_forged_cursor_is_refused_before_querying() -> None:
    store = OrderStore(NoCallsClient(), "orders", "catalog")
    forged = _encode_cursor({**WEB_KEY, "channel": "pos"})

    with pytest.raises(InvalidCursor):
        store.query(OrderQuery(channel="web"), forged, today=TODAY)


def test_channel_cursor_cannot_resume_a_status_listing() -> None:
    store = OrderStore(NoCallsClient(), "orders", "catalog")

    with pytest.raises(InvalidCursor):
        store.query(OrderQuery(status="CONFIRMED"), _encode_cursor(WEB_KEY), today=TODAY)


@pytest.mark.parametrize(
    "state",
    [
        {"day": "2023-12-31", "key": None},  # before the queried range
        {"day": "2024-02-01", "key": None},  # after it
        {"day": "yesterday", "key": None},
        {"key": WEB_KEY},  # an index cursor, not a by-day one
        {"day": "2024-01-15", "key": {**WEB_KEY, "created_day": "2024-01-14"}},  # key of another day
    ],
)
def test_by_day_cursor_must_belong_to_the_query(state: dict[str, Any]) -> None:
    store = OrderStore(NoCallsClient(), "orders", "catalog")
    query = OrderQuery(created_from="2024-01-01", created_to="2024-01-31T23:59:59Z")

    with pytest.raises(InvalidCursor):
        store.query(query, _encode_raw(state), today=TODAY)
