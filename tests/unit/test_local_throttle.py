"""The local gateway's per-channel limits: token buckets and quotas on an injected clock (no sleeps)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from infra import spec
from infra.description import Function, Route, Throttle, UsagePlan
from infra.local.gateway import Gateway
from infra.local.throttle import BURST_ENV, RATE_ENV, ChannelLimits, TokenBucket
from shared.problems import GATEWAY_PROBLEMS
from shared.security_headers import API_HEADERS
from tests.unit.test_local_gateway import ALLOW, OK, FakePool


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(Throttle(rate_limit=2, burst_limit=3), now=0.0)

    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(0.5)  # one token comes every 1/rate seconds
    assert bucket.take(0.25) == pytest.approx(0.25)  # a refused request takes nothing
    assert bucket.take(0.5) == 0.0
    assert bucket.take(0.5) > 0
    # idle for long: never more than the burst
    assert [bucket.take(100.0) for _ in range(4)][:3] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) > 0


def limits(throttle: Throttle, quota: int | None = None, **kwargs: Any) -> ChannelLimits:
    plan = UsagePlan(id="Test", throttle=throttle, quota_per_day=quota)
    return ChannelLimits(lambda channel: plan, **kwargs)


def test_each_channel_has_its_own_bucket_and_staff_one_of_theirs() -> None:
    clock = Clock()
    channel_limits = limits(Throttle(rate_limit=1, burst_limit=2), clock=clock)

    assert [channel_limits.check("web") for _ in range(2)] == [None, None]
    assert channel_limits.check("web") == 1  # Retry-After: whole seconds, at least 1
    assert channel_limits.check("pos") is None  # another channel is not slowed down
    assert channel_limits.check(None) is None  # nor staff
    clock.now += 1
    assert channel_limits.check("web") is None
    assert channel_limits.check("web") == 1


def test_a_quota_refuses_until_utc_midnight_and_a_new_day_starts_over() -> None:
    clock, day = Clock(), [datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC)]
    channel_limits = limits(
        Throttle(rate_limit=100, burst_limit=100), quota=2, clock=clock, today=lambda: day[0]
    )

    assert [channel_limits.check("web") for _ in range(2)] == [None, None]
    assert channel_limits.check("web") == 30  # seconds to midnight UTC
    assert channel_limits.check("pos") is None
    day[0] = datetime(2026, 12, 7, 0, 0, 1, tzinfo=UTC)
    assert channel_limits.check("web") is None


def test_the_plans_come_from_the_spec_and_the_env_replaces_their_rate_and_burst() -> None:
    assert ChannelLimits().plan("web") == spec.CHANNELS_PLAN
    assert ChannelLimits().plan(None) == spec.STAFF_PLAN
    assert ChannelLimits.from_env({}).plan("web") == spec.CHANNELS_PLAN

    overridden = ChannelLimits.from_env({RATE_ENV: "1", BURST_ENV: "3"})
    assert overridden.plan("web").throttle == Throttle(rate_limit=1, burst_limit=3)
    assert overridden.plan(None).throttle == Throttle(rate_limit=1, burst_limit=3)
    only_burst = ChannelLimits.from_env({BURST_ENV: "7"}).plan("web").throttle
    assert only_burst == Throttle(rate_limit=spec.STAFF_PLAN.throttle.rate_limit, burst_limit=7)
    with pytest.raises(ValueError, match=RATE_ENV):
        ChannelLimits.from_env({RATE_ENV: "fast"})


def test_the_defaults_leave_room_for_the_local_test_runs() -> None:
    # The e2e tests send 32 concurrent orders under one key, and a schemathesis run goes as fast as
    # the local stack answers (well under 50 a second on a laptop) under one channel key.
    for plan in spec.USAGE_PLANS:
        assert plan.throttle.burst_limit >= 64
        assert plan.throttle.rate_limit >= 50
        assert plan.quota_per_day is None


API = Function(
    name="api",
    description="test",
    routes=(Route("GET", "/health", authorized=False), Route("GET", "/orders")),
)
AUTH = Function(name="authorizer", description="test")


def gateway(throttle: Throttle, authorizer: FakePool, api: FakePool) -> Gateway:
    pools = {"api": api, "authorizer": authorizer}
    return Gateway(pools, (API, AUTH), "authorizer", limits(throttle, clock=Clock()))  # type: ignore[arg-type]


def test_the_gateway_answers_429_problem_json_with_retry_after_without_calling_the_function() -> None:
    authorizer, api = FakePool(ALLOW), FakePool(OK)
    gw = gateway(Throttle(rate_limit=1, burst_limit=2), authorizer, api)
    headers = {"X-Api-Key": "k"}

    assert [gw.handle("GET", "/orders", headers, b"", "127.0.0.1")[0] for _ in range(2)] == [200, 200]
    status, out_headers, body = gw.handle("GET", "/orders", headers, b"", "127.0.0.1")

    assert status == 429
    assert out_headers == {"Content-Type": "application/problem+json", **API_HEADERS, "Retry-After": "1"}
    assert json.loads(body) == json.loads(GATEWAY_PROBLEMS["THROTTLED"].body())
    assert len(api.events) == 2  # the throttled request never reached the function
    assert len(authorizer.events) == 3  # API Gateway throttles after the authorizer named the caller
    # /health has no authorizer, hence no channel: never throttled per channel
    assert gw.handle("GET", "/health", {}, b"", "127.0.0.1")[0] == 200


def test_the_gateway_throttles_per_channel_from_the_authorizer_context() -> None:
    web, pos = FakePool(ALLOW), FakePool({**ALLOW, "context": {**ALLOW["context"], "channel": "pos"}})
    staff = FakePool({**ALLOW, "context": {"role": "staff", "channel": "", "key_id": "s"}})
    seen: list[str | None] = []

    def plan_of(channel: str | None) -> UsagePlan:
        seen.append(channel)
        return UsagePlan(id="Test", throttle=Throttle(rate_limit=1, burst_limit=1))

    channel_limits, api = ChannelLimits(plan_of, clock=Clock()), FakePool(OK)

    def call(authorizer: FakePool) -> int:
        pools = {"api": api, "authorizer": authorizer}
        gw = Gateway(pools, (API, AUTH), "authorizer", channel_limits)  # type: ignore[arg-type]
        return gw.handle("GET", "/orders", {"X-Api-Key": "k"}, b"", "127.0.0.1")[0]

    assert [call(web), call(web), call(pos), call(staff), call(staff)] == [200, 429, 200, 200, 429]
    assert seen == ["web", "web", "pos", None, None]  # staff's "" channel is staff's own budget


# --- the plans in the spec ----------------------------------------------------------------------


def test_each_channel_is_on_the_channels_plan_unless_named_and_staff_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert spec.usage_plan("web") is spec.CHANNELS_PLAN
    assert spec.usage_plan(None) is spec.STAFF_PLAN
    bulk = UsagePlan(id="Bulk", throttle=Throttle(rate_limit=80, burst_limit=160), quota_per_day=1_000_000)
    monkeypatch.setitem(spec.CHANNEL_PLANS, "amazon-eu", bulk)

    assert spec.usage_plan("amazon-eu") is bulk
    assert spec.usage_plan("web") is spec.CHANNELS_PLAN
    assert ChannelLimits().plan("amazon-eu") == bulk  # the local gateway follows the same override


def test_every_named_plan_is_deployed_and_plan_ids_are_unique() -> None:
    assert all(plan in spec.USAGE_PLANS for plan in spec.CHANNEL_PLANS.values())
    assert len({plan.id for plan in spec.USAGE_PLANS}) == len(spec.USAGE_PLANS)
    assert len({plan.output for plan in spec.USAGE_PLANS}) == len(spec.USAGE_PLANS)
    assert spec.CHANNELS_PLAN.output == "ChannelsUsagePlanId"
