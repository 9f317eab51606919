"""Per-channel limits on the local stack, as API Gateway's usage plans apply them in AWS.

Each channel (staff keys: the "staff" channel) has a token bucket of its plan's ``burst_limit`` tokens,
refilled at ``rate_limit`` tokens a second, and, if the plan has a quota, a count of its requests in the
current UTC day. A request takes a token; with none left, or the quota used up, the gateway answers 429
with API Gateway's THROTTLED body and a ``Retry-After``. The limits are the plans' in ``infra/spec.py``;
``OMS_LOCAL_THROTTLE_RATE`` and ``OMS_LOCAL_THROTTLE_BURST`` replace every plan's rate and burst locally
(tests set them low to see a 429 without a flood).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from infra.description import Throttle, UsagePlan
from infra.spec import usage_plan
from shared.domain.auth import STAFF_CHANNEL

RATE_ENV = "OMS_LOCAL_THROTTLE_RATE"
BURST_ENV = "OMS_LOCAL_THROTTLE_BURST"


class TokenBucket:
    """``burst`` tokens at most, ``rate`` more every second. Times are seconds on a monotonic clock."""

    def __init__(self, throttle: Throttle, now: float) -> None:
        self._rate = float(throttle.rate_limit)
        self._capacity = float(throttle.burst_limit)
        self._tokens = self._capacity
        self._at = now

    def take(self, now: float) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there is one (nothing taken)."""
        self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        if self._rate <= 0:
            return math.inf
        return (1 - self._tokens) / self._rate


class ChannelLimits:
    """The gateway's question before it invokes a function: may this channel make one more request?"""

    def __init__(
        self,
        plan_of: Callable[[str | None], UsagePlan] = usage_plan,
        *,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], datetime] = lambda: datetime.now(UTC),
        throttle: Throttle | None = None,
    ) -> None:
        self._plan_of = plan_of
        self._clock = clock
        self._today = today
        self._throttle = throttle  # replaces every plan's throttle (the env override)
        self._buckets: dict[str, TokenBucket] = {}
        self._used: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @staticmethod
    def from_env(env: Mapping[str, str]) -> ChannelLimits:
        rate, burst = env.get(RATE_ENV), env.get(BURST_ENV)
        if rate is None and burst is None:
            return ChannelLimits()
        default = usage_plan(None).throttle
        try:
            throttle = Throttle(
                rate_limit=int(rate) if rate is not None else default.rate_limit,
                burst_limit=int(burst) if burst is not None else default.burst_limit,
            )
        except ValueError as exc:
            raise ValueError(f"${RATE_ENV} and ${BURST_ENV} are whole numbers of requests") from exc
        return ChannelLimits(throttle=throttle)

    def plan(self, channel: str | None) -> UsagePlan:
        plan = self._plan_of(channel)
        return plan if self._throttle is None else replace(plan, throttle=self._throttle)

    def check(self, channel: str | None) -> int | None:
        """``channel``: the caller's, None for staff. None: go on; a number: refused, retry after that many
        whole seconds."""
        plan = self.plan(channel)
        name = channel or STAFF_CHANNEL
        with self._lock:
            today = self._today()
            day = (name, today.date().isoformat())
            if plan.quota_per_day is not None and self._used.get(day, 0) >= plan.quota_per_day:
                midnight = datetime.combine(today.date() + timedelta(days=1), datetime.min.time(), UTC)
                return max(1, math.ceil((midnight - today).total_seconds()))
            now = self._clock()
            bucket = self._buckets.get(name)
            if bucket is None:
                bucket = self._buckets[name] = TokenBucket(plan.throttle, now)
            wait = bucket.take(now)
            if wait > 0:
                return max(1, math.ceil(wait)) if math.isfinite(wait) else 60
            if plan.quota_per_day is not None:
                self._used[day] = self._used.get(day, 0) + 1
        return None
