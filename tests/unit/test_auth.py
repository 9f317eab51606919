"""Who may see what: the Principal."""

from __future__ import annotations

import re

import pytest

from shared.domain.auth import STAFF_CHANNEL, Principal
from shared.models.common import CHANNEL_PATTERN

STAFF = Principal(role="staff", key_id="abc123")
WEB = Principal(role="channel", key_id="def456", channel="web")


@pytest.mark.parametrize("channel", ["web", "pos", "staff", "anything"])
def test_staff_sees_every_channel(channel: str) -> None:
    assert STAFF.is_staff
    assert STAFF.can_see(channel)


def test_a_channel_sees_only_its_own_orders() -> None:
    assert not WEB.is_staff
    assert WEB.can_see("web")
    assert not WEB.can_see("pos")
    assert not WEB.can_see("staff")
    assert not WEB.can_see("Web")


def test_a_channel_principal_without_a_channel_sees_nothing() -> None:
    assert not Principal(role="channel", key_id="x").can_see("staff")


def test_order_channel_is_the_callers_channel_or_staff() -> None:
    assert WEB.order_channel == "web"
    assert STAFF.order_channel == STAFF_CHANNEL == "staff"


def test_actor_names_role_and_key() -> None:
    assert STAFF.actor == "staff:abc123"
    assert WEB.actor == "channel:def456"


def test_the_reserved_staff_channel_is_not_a_valid_channel_name() -> None:
    assert re.fullmatch(CHANNEL_PATTERN, STAFF_CHANNEL) is None
