"""OMS_LOCAL_KEYS parsing for the local stack."""

from __future__ import annotations

import re

import pytest

from infra.local.keys import DEFAULT_KEYS, LocalKey, parse_keys
from shared.models.common import CHANNEL_PATTERN


def test_default_keys() -> None:
    """One key per role, each person's key named for the audit trail (issue 16)."""
    assert parse_keys(DEFAULT_KEYS) == [
        LocalKey("dev-admin-key", "admin", None, "dev-admin"),
        LocalKey("dev-staff-key", "staff", None, "dev-staff"),
        LocalKey("dev-viewer-key", "viewer", None, "dev-viewer"),
        LocalKey("dev-web-key", "channel", "web"),
        LocalKey("dev-pos-key", "channel", "pos"),
    ]
    assert DEFAULT_KEYS == (
        "dev-admin-key=admin:dev-admin,dev-staff-key=staff:dev-staff,dev-viewer-key=viewer:dev-viewer,"
        "dev-web-key=channel:web,dev-pos-key=channel:pos"
    )


def test_whitespace_and_empty_entries_are_ignored() -> None:
    assert parse_keys(" a=staff , ,b=channel:shop,c=viewer:carol ") == [
        LocalKey("a", "staff", None),
        LocalKey("b", "channel", "shop"),
        LocalKey("c", "viewer", None, "carol"),
    ]
    assert parse_keys("") == []


def test_describe_and_the_stored_name() -> None:
    assert LocalKey("k", "channel", "web").describe() == "k  (channel web)"
    assert LocalKey("k", "staff", None).describe() == "k  (staff)"
    assert LocalKey("k", "admin", None, "alice").describe() == "k  (admin alice)"
    assert LocalKey("k", "admin", None, "alice").stored_name == "alice"
    assert LocalKey("k", "staff", None).stored_name == "local-staff"
    assert LocalKey("k", "channel", "web").stored_name == "local-channel"


@pytest.mark.parametrize(
    "entry",
    [
        "nokey",
        "=staff",
        "k=",
        "k=root",
        "k=channel",
        "k=channel:",
        "k=staff:",
        "k=staff:Alice",
        "k=admin:a b",
        "k:staff",
        "k=Staff",
    ],
)
def test_bad_entries_are_refused_naming_the_entry(entry: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(entry))):
        parse_keys(f"good=staff,{entry}")


@pytest.mark.parametrize("channel", ["Web", "a#b", "web shop"])
def test_channel_names_follow_the_channel_pattern(channel: str) -> None:
    assert re.fullmatch(CHANNEL_PATTERN, channel) is None
    with pytest.raises(ValueError):
        parse_keys(f"k=channel:{channel}")
