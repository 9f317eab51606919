"""Configuration read from the environment, once, with clear errors when something is missing.

Both runtimes set the same variables (see ``infra/spec.py``): CDK with physical names, the local
stack with the local ones. The AWS endpoint is never configured here: boto3 reads
``AWS_ENDPOINT_URL`` itself, which is how the local stack points functions at moto.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache


class ConfigError(RuntimeError):
    pass


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Settings:
    default_currency: str
    idempotency_ttl_seconds: int
    max_body_bytes: int
    price_cache_seconds: int
    feed_channels: frozenset[str] = frozenset()  # channels a generic feed connector may name
    timezone: str = "UTC"  # the business time zone (IANA): what a day is, for reports


@cache
def settings() -> Settings:
    return Settings(
        default_currency=os.environ.get("OMS_DEFAULT_CURRENCY", "USD").upper(),
        idempotency_ttl_seconds=int(os.environ.get("OMS_IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        max_body_bytes=int(os.environ.get("OMS_MAX_BODY_BYTES", str(256 * 1024))),
        price_cache_seconds=int(os.environ.get("OMS_PRICE_CACHE_SECONDS", "60")),
        feed_channels=frozenset(
            c.strip() for c in os.environ.get("OMS_FEED_CHANNELS", "").split(",") if c.strip()
        ),
        timezone=os.environ.get("OMS_TIMEZONE", "").strip() or "UTC",
    )
