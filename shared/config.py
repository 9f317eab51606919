"""Configuration read from the environment, once, with clear errors when something is missing.

Both runtimes set the same variables (see ``infra/spec.py``): CDK with physical names, the local
stack with the local ones. The AWS endpoint is never configured here: boto3 reads
``AWS_ENDPOINT_URL`` itself, which is how the local stack points functions at moto.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from shared.aws import once
from shared.patterns import CURRENCY_PATTERN

CURRENCY_ENV = "OMS_CURRENCY"  # the catalog's currency: every catalog price is in it (infra/spec.py sets it)
DEFAULT_CURRENCY = "USD"


class ConfigError(RuntimeError):
    pass


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


@dataclass(frozen=True)
class Settings:
    currency: str  # the catalog's (ISO 4217): orders without a currency are in it, catalog prices always
    idempotency_ttl_seconds: int
    max_body_bytes: int
    price_cache_seconds: int
    timezone: str = "UTC"  # the business time zone (IANA): what a day is, for reports


@once
def settings() -> Settings:
    return Settings(
        currency=currency(),
        idempotency_ttl_seconds=int(os.environ.get("OMS_IDEMPOTENCY_TTL_SECONDS", str(24 * 3600))),
        max_body_bytes=int(os.environ.get("OMS_MAX_BODY_BYTES", str(256 * 1024))),
        price_cache_seconds=int(os.environ.get("OMS_PRICE_CACHE_SECONDS", "60")),
        timezone=os.environ.get("OMS_TIMEZONE", "").strip() or "UTC",
    )


def currency() -> str:
    """``OMS_CURRENCY``: three capital letters (ISO 4217); ``DEFAULT_CURRENCY`` when unset."""
    value = os.environ.get(CURRENCY_ENV, "").strip() or DEFAULT_CURRENCY
    return check_currency(value, f"environment variable {CURRENCY_ENV}")


def check_currency(value: str, where: str) -> str:
    """``value`` upper-cased, if it is an ISO 4217 code (three letters); a ConfigError naming ``where``
    otherwise. The CDK context value ``currency`` and ``make run``'s $OMS_CURRENCY are checked here too."""
    code = value.strip().upper()
    if not re.fullmatch(CURRENCY_PATTERN, code):
        raise ConfigError(f"{where} is {code!r}: not an ISO 4217 code such as USD")
    return code
