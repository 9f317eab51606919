"""OMS_LOCAL_KEYS parsing for the local stack."""

from __future__ import annotations

import re

import pytest

from infra.local.keys import DEFAULT_KEYS, LocalKey, parse_keys
from shared.models.common import CHANNEL_PATTERN


def test_default_keys() -> None:
    assert parse_keys(DEFAULT_KEYS) == [
        LocalKey("dev-staff-key", "staff", None),
        LocalKey("dev-web-key", "channel", "web"),
        LocalKey("dev-pos-key", "channel", "pos"),
    ]


def test_whitespace_and_empty_entries_are_ignored() -> None:
    assert parse_keys(" a=staff , ,b=channel:shop,") == [
        LocalKey("a", "staff", None),
        LocalKey("b", "channel", "shop"),
    ]
    assert parse_keys("") == []


def test_describe() -> None:
    assert LocalKey("k", "channel", "web").describe() == "k  (channel web)"
    assert LocalKey("k", "staff", None).describe() == "k  (staff)"


@pytest.mark.parametrize(
    "entry",
    ["nokey", "=staff", "k=", "k=admin", "k=channel", "k=channel:", "k=staff:web", "k:staff", "k=Staff"],
)
def test_bad_entries_are_refused_naming_the_entry(entry: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(entry))):
        parse_keys(f"good=staff,{entry}")


@pytest.mark.parametrize("channel", ["Web", "a#b", "web shop"])
def test_channel_names_follow_the_channel_pattern(channel: str) -> None:
    assert re.fullmatch(CHANNEL_PATTERN, channel) is None
    with pytest.raises(ValueError):
        parse_keys(f"k=channel:{channel}")
