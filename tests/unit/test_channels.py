"""Who owns a channel, who prices its orders, and the catalog's currency: pure rules and configuration."""

from __future__ import annotations

import pytest

from infra import spec
from shared.config import ConfigError, settings
from shared.dal.api_keys import ChannelInUse
from shared.domain.auth import Principal
from shared.domain.channels import (
    FEED_CHANNELS,
    FEED_OWNED_CHANNELS,
    ChannelOwned,
    check_key_channel,
    feed_owner,
    prices_of,
)
from shared.domain.connections import check_connection_channel
from shared.services.feeds import MarketplaceFeed


@pytest.mark.parametrize("channel", sorted(FEED_OWNED_CHANNELS))
def test_a_feed_channel_is_neither_a_keys_nor_a_connections(channel: str) -> None:
    assert feed_owner(channel) is not None
    with pytest.raises(ChannelOwned, match="belongs to the marketplace feed"):
        check_key_channel(channel)
    with pytest.raises(ValueError, match="belongs to the marketplace feed"):
        check_connection_channel(channel)


@pytest.mark.parametrize("channel", ["web", "pos", "shop-us", "shopify-eu"])
def test_other_channels_are_free(channel: str) -> None:
    assert feed_owner(channel) is None
    assert check_key_channel(channel) == channel
    assert check_connection_channel(channel) == channel


def test_a_bad_name_is_still_a_bad_name() -> None:
    with pytest.raises(ValueError, match="must be a channel name"):
        check_key_channel("Shop Us")


def test_a_connection_taken_channel_is_refused_as_the_feeds_are() -> None:
    """infra.keys catches ChannelOwned: a connection's channel and the feed's, one message shape."""
    refused = ChannelInUse("shop-us")
    assert isinstance(refused, ChannelOwned)
    assert str(refused) == "channel 'shop-us' belongs to a platform connection"


def test_the_feed_reads_the_same_fact() -> None:
    assert MarketplaceFeed.__init__.__defaults__ == (FEED_CHANNELS,)


@pytest.mark.parametrize(
    ("principal", "prices"),
    [
        (Principal("channel", "k", "web"), "catalog"),
        (Principal("channel", "k", "wholesale"), "catalog"),
        (Principal("channel", "k", "pos"), "own"),
        (Principal("staff", "k"), "own"),
        (Principal("channel", "k", "amazon"), "own"),  # marketplaces send what the customer paid
    ],
)
def test_who_prices_an_order(principal: Principal, prices: str) -> None:
    assert prices_of(principal) == prices


def test_every_function_gets_the_catalog_currency_from_the_spec() -> None:
    for fn in spec.FUNCTIONS:
        assert spec.base_environment(fn)["OMS_CURRENCY"] == spec.CURRENCY == "USD"


def test_oms_currency_is_the_settings_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    settings.cache_clear()
    try:
        monkeypatch.delenv("OMS_CURRENCY", raising=False)
        assert settings().currency == "USD"
        settings.cache_clear()
        monkeypatch.setenv("OMS_CURRENCY", "eur")
        assert settings().currency == "EUR"
        settings.cache_clear()
        monkeypatch.setenv("OMS_CURRENCY", "euro")
        with pytest.raises(ConfigError, match="OMS_CURRENCY is 'EURO': not an ISO 4217 code"):
            settings()
    finally:
        settings.cache_clear()
