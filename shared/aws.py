"""Built once per process (per Lambda execution environment) and reused: boto3 clients, settings, and
each function's collaborators (``functions/<name>/wiring.py``), all through ``once``.

``reset()`` forgets every one of them at once: tests call it when they switch AWS backends, and a
SnapStart environment after each restore (``shared.snapstart``), so nothing else needs to know which
builder caches what.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

# One lock for every build: re-entrant, since a builder calls others (a service, its stores, their
# client, the session). Builds are rare (once per environment), so one lock costs nothing, and it makes
# each builder build once even when handlers run in threads (as tests run them; a botocore session is not
# safe to make clients from in two threads at once), and a reset() wait for a build under way.
_BUILDING = threading.RLock()
_BUILT: list[Once[Any, Any]] = []


class Once(Generic[P, T]):
    """A builder whose result is kept per arguments until ``reset()`` (see ``once``)."""

    def __init__(self, build: Callable[P, T]) -> None:
        self._build = build
        self._made: dict[Any, T] = {}
        self.__name__ = getattr(build, "__name__", "once")
        self.__doc__ = build.__doc__
        self.__wrapped__ = build

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> T:
        key = (args, tuple(sorted(kwargs.items())))
        try:
            return self._made[key]
        except KeyError:
            pass
        with _BUILDING:  # checked again: another thread may have built it meanwhile
            if key not in self._made:
                self._made[key] = self._build(*args, **kwargs)
            return self._made[key]

    def cache_clear(self) -> None:
        with _BUILDING:
            self._made.clear()


def once(build: Callable[P, T]) -> Once[P, T]:
    """``build``, built once per arguments and kept, and registered so that ``reset()`` forgets it."""
    built = Once(build)
    _BUILT.append(built)
    return built


def reset() -> None:
    """Forget every client, setting and collaborator built through ``once``: the next call builds it anew."""
    with _BUILDING:
        for built in _BUILT:
            built.cache_clear()


@once
def session() -> Any:
    """The one boto3 session of this process. Every client comes from it, so the endpoint rules, the
    partitions and the handlers a session loads (about 50 ms of JSON and setup) are loaded once, not once
    per client: a function with a DynamoDB and an SQS client pays for one session, as the floor does."""
    # Imported here so a module that only defines types never pays for boto3.
    import boto3

    return boto3.session.Session()


# Connections a client keeps: the trends' reads run on 16 threads (functions/api/wiring.py READ_WORKERS),
# each needing its own; botocore's default of 10 would open and drop the rest on every request.
MAX_POOL_CONNECTIONS = 16


@once
def client(service: str) -> Any:
    from botocore.config import Config

    # DynamoDB and SQS answer in milliseconds: a call that hangs is better retried soon, and the
    # whole budget (about 3 x 4 s) must fit well inside a function's timeout.
    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
        max_pool_connections=MAX_POOL_CONNECTIONS,
    )
    return session().client(service, config=config)


@once
def s3_client() -> Any:
    """S3, for report files: parts of several MiB take longer than a DynamoDB call, and download links
    are signed with SigV4 (X-Amz-Expires: the link's lifetime is in the link)."""
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        connect_timeout=2,
        read_timeout=30,
        retries={"mode": "standard", "max_attempts": 5},
    )
    return session().client("s3", config=config)
