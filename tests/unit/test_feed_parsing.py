"""Classifying feed messages: what is poison (never retried) and what a reason may say."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.dal.queues import attribute_text
from shared.services.feeds import MarketplaceFeed, Poison

GENERIC = json.loads(
    json.loads(Path("events/marketplace_feed/generic.json").read_text())["Records"][0]["body"]
)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "",
        "1" * 5_000,  # an integer past Python's digit limit: ValueError
    ],
)
def test_bodies_that_are_not_usable_json_are_poison(body: str) -> None:
    result = MarketplaceFeed.parse(body)
    assert isinstance(result, Poison)
    assert result.reason == "body is not JSON"


def test_nesting_no_parser_should_follow_is_poison_saying_so() -> None:
    """Checked before parsing (shared/json_depth.py): never a RecursionError, a crash and a retry."""
    result = MarketplaceFeed.parse("[" * 100_000)
    assert result == Poison("body is nested too deeply (more than 64 levels)")


def test_an_unknown_field_is_named_by_its_place_not_by_the_senders_text() -> None:
    sender_text = "jane.doe@example.com"
    body = json.dumps({"marketplace": "generic", "order": GENERIC["order"], sender_text: 1})
    result = MarketplaceFeed.parse(body)
    assert isinstance(result, Poison)
    assert "unknown field" in result.reason
    assert sender_text not in result.reason


@pytest.mark.parametrize(
    ("message", "allowed"),
    [
        ({**GENERIC, "channel": "web"}, frozenset({"etsy"})),
        ({**GENERIC, "marketplace": "amazon", "channel": "etsy"}, frozenset({"etsy"})),
    ],
)
def test_a_channel_outside_the_allowlist_or_on_a_marketplace_message_is_poison(
    message: dict[str, object], allowed: frozenset[str]
) -> None:
    result = MarketplaceFeed.parse(json.dumps(message), allowed)
    assert isinstance(result, Poison)
    assert "channel" in result.reason


def test_an_allowed_channel_is_the_orders_channel() -> None:
    parsed = MarketplaceFeed.parse(json.dumps({**GENERIC, "channel": "etsy"}), frozenset({"etsy"}))
    assert not isinstance(parsed, Poison)
    assert parsed[1].channel == "etsy"


def test_dlq_attributes_are_printable_ascii_and_bounded() -> None:
    assert attribute_text("bad \x00 field \u00e9\n") == "bad ? field ??"
    assert len(attribute_text("x" * 5000)) == 1024
    assert attribute_text("") == "-"
