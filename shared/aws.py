"""boto3 clients, created once per process (per Lambda execution environment) and reused."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    # Imported here so a module that only defines types never pays for boto3.
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 4},
    )
    return boto3.session.Session().client(service, config=config)
