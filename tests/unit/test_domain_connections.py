"""Connecting a channel: created, rotated (the previous secret kept 24 hours), unchanged, refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.domain.connections import (
    ROTATION_GRACE,
    Connection,
    PlatformMismatch,
    SealedSecret,
    check_connection_channel,
    connect,
    fingerprint,
    new_salt,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def seal(secret: str) -> SealedSecret:
    salt = new_salt()
    return SealedSecret(b"sealed:" + secret.encode(), salt, fingerprint(secret, salt), NOW)


def created(secret: str = "first-secret") -> Connection:
    result = connect(None, "shop-us", "shopify", secret, NOW, seal)
    assert not isinstance(result, PlatformMismatch)
    connection, change = result
    assert change == "created"
    return connection


def test_a_new_connection_has_one_secret() -> None:
    connection = created()
    assert (connection.channel, connection.platform, connection.version) == ("shop-us", "shopify", 1)
    assert [s.ciphertext for s in connection.active_secrets(NOW)] == [b"sealed:first-secret"]
    assert connection.rotated_at is None and connection.previous_expires_at(NOW) is None


def test_the_same_secret_again_changes_nothing() -> None:
    connection = created()
    assert connect(connection, "shop-us", "shopify", "first-secret", NOW + timedelta(hours=1), seal) == (
        connection,
        "unchanged",
    )


def test_a_new_secret_keeps_the_previous_one_for_24_hours() -> None:
    later = NOW + timedelta(hours=2)
    result = connect(created(), "shop-us", "shopify", "second-secret", later, seal)
    assert not isinstance(result, PlatformMismatch)
    rotated, change = result
    assert change == "rotated"
    assert (rotated.version, rotated.rotated_at) == (2, later)
    assert [s.ciphertext for s in rotated.secrets] == [b"sealed:second-secret", b"sealed:first-secret"]
    assert rotated.previous_expires_at(later) == later + ROTATION_GRACE == later + timedelta(hours=24)
    assert len(rotated.active_secrets(later + timedelta(hours=23, minutes=59))) == 2
    assert [s.ciphertext for s in rotated.active_secrets(later + ROTATION_GRACE)] == [b"sealed:second-secret"]


def test_a_later_rotation_ends_the_one_before_at_once() -> None:
    first = connect(created(), "shop-us", "shopify", "second-secret", NOW, seal)
    assert not isinstance(first, PlatformMismatch)
    second = connect(first[0], "shop-us", "shopify", "third-secret", NOW + timedelta(hours=1), seal)
    assert not isinstance(second, PlatformMismatch)
    assert [s.ciphertext for s in second[0].secrets] == [b"sealed:third-secret", b"sealed:second-secret"]


def test_the_fingerprint_tells_the_same_secret_and_only_it() -> None:
    secret = seal("first-secret")
    assert secret.is_secret("first-secret")
    assert not secret.is_secret("first-secreT")
    assert secret.fingerprint != seal("first-secret").fingerprint  # salted: equal secrets look different


def test_another_platform_on_a_connected_channel_is_refused() -> None:
    assert connect(created(), "shop-us", "woocommerce", "x-secret-1", NOW, seal) == PlatformMismatch(
        "shopify"
    )


@pytest.mark.parametrize("channel", ["amazon", "ebay", "generic", "staff", "Shop", "a" * 33, ""])
def test_marketplace_and_invalid_channels_take_no_connection(channel: str) -> None:
    with pytest.raises(ValueError):
        check_connection_channel(channel)


def test_a_store_channel_is_fine() -> None:
    assert check_connection_channel("shop-us") == "shop-us"
