"""Configuration read from the environment, once, with clear errors when something is missing.

This module is the one home of every environment variable's name that both runtimes use: ``infra/spec.py``
sets them (CDK with physical names, the local stack with the local ones) and every reader in ``shared/``
and ``functions/`` reads them, each by importing the constant below, never by spelling the name. The
AWS endpoint is never configured here: boto3 reads ``AWS_ENDPOINT_URL`` itself, which is how the local
stack points functions at moto.

Cheap to import (no pydantic, no boto3): the authorizer and the wiring of every function read it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from shared.aws import once
from shared.patterns import CURRENCY_PATTERN

# --- the environment's names ----------------------------------------------------------------
# Tables: the physical name of each (infra/spec.py's ``Table.env_var``).
ORDERS_TABLE_ENV = "OMS_ORDERS_TABLE"
CATALOG_TABLE_ENV = "OMS_CATALOG_TABLE"
CUSTOMERS_TABLE_ENV = "OMS_CUSTOMERS_TABLE"
API_KEYS_TABLE_ENV = "OMS_API_KEYS_TABLE"
CONNECTIONS_TABLE_ENV = "OMS_CONNECTIONS_TABLE"
HOOK_DELIVERIES_TABLE_ENV = "OMS_HOOK_DELIVERIES_TABLE"
REPORTS_TABLE_ENV = "OMS_REPORTS_TABLE"
DAILY_SALES_TABLE_ENV = "OMS_DAILY_SALES_TABLE"
IMPORTS_TABLE_ENV = "OMS_IMPORTS_TABLE"
WEBHOOKS_TABLE_ENV = "OMS_WEBHOOKS_TABLE"
NOTIFICATIONS_TABLE_ENV = "OMS_NOTIFICATIONS_TABLE"  # customer notifications: claims, settings, templates
CUSTOMER_STATS_TABLE_ENV = "OMS_CUSTOMER_STATS_TABLE"  # customer analytics (issue 18)
INVENTORY_STATS_TABLE_ENV = "OMS_INVENTORY_STATS_TABLE"  # issue 18: inventory performance aggregates
# Queues: the URL of each a function sends to (``Queue.env_var``).
MARKETPLACE_QUEUE_URL_ENV = "OMS_MARKETPLACE_QUEUE_URL"
MARKETPLACE_DLQ_URL_ENV = "OMS_MARKETPLACE_DLQ_URL"
STOCK_UPDATES_QUEUE_URL_ENV = "OMS_STOCK_UPDATES_QUEUE_URL"
STOCK_UPDATES_DLQ_URL_ENV = "OMS_STOCK_UPDATES_DLQ_URL"
INVENTORY_EVENTS_FAILURES_URL_ENV = "OMS_INVENTORY_EVENTS_FAILURES_URL"
ORDER_EVENTS_FAILURES_URL_ENV = "OMS_ORDER_EVENTS_FAILURES_URL"
SALES_AGGREGATES_FAILURES_URL_ENV = "OMS_SALES_AGGREGATES_FAILURES_URL"
REPORTS_FAILURES_URL_ENV = "OMS_REPORTS_FAILURES_URL"
SCHEDULE_FAILURES_URL_ENV = "OMS_SCHEDULE_FAILURES_URL"
IMPORT_WORK_QUEUE_URL_ENV = "OMS_IMPORT_WORK_QUEUE_URL"
IMPORT_WORK_DLQ_URL_ENV = "OMS_IMPORT_WORK_DLQ_URL"
WEBHOOKS_QUEUE_URL_ENV = "OMS_WEBHOOKS_QUEUE_URL"
WEBHOOKS_DLQ_URL_ENV = "OMS_WEBHOOKS_DLQ_URL"
NOTIFICATIONS_QUEUE_URL_ENV = "OMS_NOTIFICATIONS_QUEUE_URL"
NOTIFICATIONS_DLQ_URL_ENV = "OMS_NOTIFICATIONS_DLQ_URL"
EVENTS_TAP_URL_ENV = "OMS_EVENTS_TAP_URL"  # the local stack's copy of every published event
# The bus a function publishes on (``Bus.env_var``), the reports bucket (``Bucket.env_var``), the alias of
# the KMS key that seals the connections' secrets (``Key.env_var``).
EVENT_BUS_ENV = "OMS_EVENT_BUS"
REPORTS_BUCKET_ENV = "OMS_REPORTS_BUCKET"
IMPORTS_BUCKET_ENV = "OMS_IMPORTS_BUCKET"
SECRETS_KEY_ENV = "OMS_SECRETS_KEY"
# Notifications (issue 17): the address emails are sent from (CDK context ``senderEmail``; locally
# DEFAULT_SENDER_EMAIL) and the SES configuration set whose bounces and complaints reach the
# notifications function (set by CDK only: the local stack's moto SES has none).
SENDER_EMAIL_ENV = "OMS_SENDER_EMAIL"
SES_CONFIGURATION_SET_ENV = "OMS_SES_CONFIGURATION_SET"
DEFAULT_SENDER_EMAIL = "orders@example.com"  # synth and the local stack; a real deploy names its own
TRACKING_KEY_ENV = "OMS_TRACKING_KEY"  # the HMAC key the tracking links are signed with (its alias)
# The API's public base URL (no trailing slash), for a function whose spec says ``public_url``: the stage's
# invoke URL in CDK, http://127.0.0.1:<api port> on the local stack. Links for people are made from it.
PUBLIC_URL_ENV = "OMS_PUBLIC_URL"
# JSON: {public name: {"url": ..., "redrive_to": url or null}}; written by infra/spec.py for a function
# whose spec lists ``dead_letters``, read by shared/services/dead_letters.py.
DEAD_LETTERS_ENV = "OMS_DEAD_LETTERS"
# The name prefix of the stack's CloudWatch alarms (infra/spec.py ``alarm_prefix``), for a function whose spec
# says ``alarms``: set by CDK only. The local stack has no alarms and leaves it unset.
ALARM_PREFIX_ENV = "OMS_ALARM_PREFIX"
# "true" on the local stack (no API Gateway: no usage keys; its gateway applies the limits itself).
LOCAL_STACK_ENV = "OMS_LOCAL"
FUNCTION_ENV = "OMS_FUNCTION"  # the function's name in infra/spec.py
CURRENCY_ENV = "OMS_CURRENCY"  # the catalog's currency: every catalog price is in it (infra/spec.py sets it)
TIMEZONE_ENV = "OMS_TIMEZONE"  # an IANA zone; what a business day is, for reports and their schedules
# Settings with a default, set by neither runtime unless someone chooses another value.
IDEMPOTENCY_TTL_SECONDS_ENV = "OMS_IDEMPOTENCY_TTL_SECONDS"
MAX_BODY_BYTES_ENV = "OMS_MAX_BODY_BYTES"
PRICE_CACHE_SECONDS_ENV = "OMS_PRICE_CACHE_SECONDS"

DEFAULT_CURRENCY = "USD"
DEFAULT_TIMEZONE = "UTC"


class ConfigError(RuntimeError):
    pass


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is not set")
    return value


def local_stack() -> bool:
    """Whether this process runs on the local stack (``make run``), which alone allows webhooks to
    http://127.0.0.1 (``shared.outbound``)."""
    return os.environ.get(LOCAL_STACK_ENV, "").strip() == "true"


@dataclass(frozen=True)
class Settings:
    currency: str  # the catalog's (ISO 4217): orders without a currency are in it, catalog prices always
    idempotency_ttl_seconds: int
    max_body_bytes: int
    price_cache_seconds: int
    timezone: str = DEFAULT_TIMEZONE  # the business time zone (IANA): what a day is, for reports


@once
def settings() -> Settings:
    return Settings(
        currency=currency(),
        idempotency_ttl_seconds=int(os.environ.get(IDEMPOTENCY_TTL_SECONDS_ENV, str(24 * 3600))),
        max_body_bytes=int(os.environ.get(MAX_BODY_BYTES_ENV, str(256 * 1024))),
        price_cache_seconds=int(os.environ.get(PRICE_CACHE_SECONDS_ENV, "60")),
        timezone=os.environ.get(TIMEZONE_ENV, "").strip() or DEFAULT_TIMEZONE,
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
