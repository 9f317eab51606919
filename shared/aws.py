"""Built once per process (per Lambda execution environment) and reused: boto3 clients, settings, and
each function's collaborators (``functions/<name>/wiring.py``), all through ``once``.

``reset()`` forgets every one of them at once: tests and the local stack call it when they switch AWS
backends, so nothing else needs to know which builder caches what.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import _lru_cache_wrapper, cache
from typing import Any, TypeVar

T = TypeVar("T")

_BUILT: list[_lru_cache_wrapper[Any]] = []


def once(build: Callable[..., T]) -> _lru_cache_wrapper[T]:
    """``build`` cached per arguments (``functools.cache``), and registered so that ``reset()`` forgets it."""
    cached = cache(build)
    _BUILT.append(cached)
    return cached


def reset() -> None:
    """Forget every client, setting and collaborator built through ``once``: the next call builds it anew."""
    for built in _BUILT:
        built.cache_clear()


# A botocore session is not safe to make clients from in two threads at once (tests run handlers in
# threads); every client of this process is made under this lock, once.
_MAKING = threading.Lock()


@once
def session() -> Any:
    """The one boto3 session of this process. Every client comes from it, so the endpoint rules, the
    partitions and the handlers a session loads (about 50 ms of JSON and setup) are loaded once, not once
    per client: a function with a DynamoDB and an SQS client pays for one session, as the floor does."""
    # Imported here so a module that only defines types never pays for boto3.
    import boto3

    return boto3.session.Session()


@once
def client(service: str) -> Any:
    from botocore.config import Config

    # DynamoDB and SQS answer in milliseconds: a call that hangs is better retried soon, and the
    # whole budget (about 3 x 4 s) must fit well inside a function's timeout.
    config = Config(
        connect_timeout=1,
        read_timeout=3,
        retries={"mode": "standard", "max_attempts": 3},
    )
    with _MAKING:
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
    with _MAKING:
        return session().client("s3", config=config)
