"""Per-channel limits on the running local stack: a burst over the limit from one channel key gets 429
(API Gateway's THROTTLED problem and a Retry-After) while another channel's key, and staff's, still get
200. The stack runs with low limits ($OMS_LOCAL_THROTTLE_RATE/_BURST) so that a small burst is enough."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from infra.local.throttle import BURST_ENV, RATE_ENV
from shared.problems import GATEWAY_PROBLEMS
from tests.e2e.conftest import POS, ROOT, STAFF, WEB, Stack, start_stack

BURST = 5


@pytest.fixture(scope="module")
def throttled_stack() -> Iterator[Stack]:
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    yield from start_stack({RATE_ENV: "1", BURST_ENV: str(BURST)})


def test_one_channel_over_its_limit_gets_429_and_the_others_go_on(throttled_stack: Stack) -> None:
    url = f"{throttled_stack.api}/orders?limit=1"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.get(url, headers=WEB, timeout=30), range(3 * BURST)))

    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) == {200, 429}
    # a bucket of BURST, and at most a token or two back while the burst is served
    assert BURST <= statuses.count(200) <= BURST + 4, statuses
    throttled = next(a for a in answers if a.status_code == 429)
    assert throttled.headers["Content-Type"] == "application/problem+json"
    assert throttled.json() == json.loads(GATEWAY_PROBLEMS["THROTTLED"].body())
    assert int(throttled.headers["Retry-After"]) >= 1

    # another channel, and staff, each have their own budget
    assert requests.get(url, headers=POS, timeout=30).status_code == 200
    assert requests.get(url, headers=STAFF, timeout=30).status_code == 200
    # the routes without the authorizer are not limited per channel
    assert all(
        requests.get(f"{throttled_stack.api}/health", timeout=30).status_code == 200 for _ in range(BURST + 2)
    )
