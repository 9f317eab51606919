"""The one place that decides what personal data looks like, so logs and traces never carry it.

Orders hold a customer's email, name and phone and a shipping address; marketplace documents hold
buyers' names, emails and addresses. Code logs identifiers only (order_id, sku, channel, message_id),
and these rules are the defence in depth behind that: the logger's formatter and the tracer run every
record through them (``shared.observability``).

* A value under a personal key (``email``, ``name``, ``phone``, ``customer``, ``shipping_address``,
  ``BuyerInfo``, ``AddressLine1``, ``postalCode``...; any case, camelCase or snake_case) is masked
  whole, however deep it sits in a structure.
* Text (a message, an exception and its traceback, any other string value) has its email addresses
  and phone-number-like digit runs masked, pydantic's ``input_value=...`` (a ValidationError quotes its
  input) and quoted values written after a personal key (``name='Ada'``, ``"email": "..."``).

Names and street addresses in free text cannot be recognised by pattern: they are masked where they
sit under a personal key or in a validation error, so never write them into a message yourself.

Only ``re`` at import, and the patterns are compiled on first use: cold start matters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

MASK = "*****"

# Keys compared in snake_case, lower case: ``BuyerEmail`` -> ``buyer_email``, ``postalCode`` ->
# ``postal_code``, ``AddressLine1`` -> ``address_line1``.
PERSONAL_KEYS = frozenset(
    {
        # people
        "name",
        "first_name",
        "last_name",
        "middle_name",
        "full_name",
        "given_name",
        "family_name",
        "username",
        "user_name",
        "email",
        "phone",
        "phone_number",
        "mobile",
        "date_of_birth",
        "birth_date",
        "dob",
        "tax_id",
        "vat_number",
        "ip",
        "source_ip",
        "customer",
        "recipient",
        "contact",
        # places
        "address",
        "street",
        "line1",
        "line2",
        "line3",
        "city",
        "county",
        "district",
        "postal_code",
        "postcode",
        "zip",
        "zip_code",
        "state_or_region",
        "state_or_province",
        "ship_to",
        "bill_to",
    }
)
PERSONAL_PREFIXES = ("buyer", "customer", "recipient", "address", "shipping_address", "billing_address")
PERSONAL_SUFFIXES = ("email", "phone", "phone_number", "_address", "_postal_code", "_full_name")

# Identifiers, never personal: the phone pattern would take an Amazon order id (113-4829105-7730621)
# or a long SKU for a phone number, so it is not applied to them (emails still are).
IDENTIFIER_KEYS = frozenset(
    {
        "order_id",
        "order_ids",
        "external_id",
        "message_id",
        "source_message_id",
        "update_id",
        "change_id",
        "sku",
        "key_id",
        "request_id",
        "aws_request_id",
    }
)

# What Powertools Logger itself writes: never personal, passed through untouched.
POWERTOOLS_KEYS = frozenset(
    {
        "level",
        "location",
        "timestamp",
        "service",
        "cold_start",
        "function_name",
        "function_memory_size",
        "function_arn",
        "function_request_id",
        "correlation_id",
        "xray_trace_id",
        "sampling_rate",
    }
)


@lru_cache(maxsize=1024)
def _normalised(key: str) -> str:
    return _patterns().camel.sub("_", key).replace("-", "_").lower()


@lru_cache(maxsize=1024)
def is_personal_key(key: str) -> bool:
    normalised = _normalised(key)
    return (
        normalised in PERSONAL_KEYS
        or normalised.startswith(PERSONAL_PREFIXES)
        or normalised.endswith(PERSONAL_SUFFIXES)
    )


class _Patterns:
    def __init__(self) -> None:
        self.camel = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
        # pydantic: "... [type=string_too_long, input_value='Ada Lovelace', input_type=str]"
        self.pydantic_input = re.compile(r"input_value=.*?(?=, input_type=)")
        # name='Ada', "email": "ada@example.com", 'PostalCode': 'NW1 6XE' (the key is checked after)
        self.quoted_after_key = re.compile(
            r"""(?P<key>[A-Za-z_][\w-]*)(?P<sep>["']?\s*[:=]\s*)(?P<value>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')"""
        )
        # (An RFC 5321 local part is at most 64 characters: bounded, the pattern cannot backtrack for long.)
        self.email = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]+(?:\.[\w-]+)+")
        # 9 to 17 digits, with spaces, dots, dashes, slashes or brackets between them and an optional
        # leading + or (: +44 7700 900123, (312) 555-0187, 3125550187. Not inside a longer token, so
        # not a UUID's group, an ARN's account id, a date-time.
        self.phone = re.compile(r"(?<![\w+.:/-])(?:\+|\(\+?)?\d(?:[ ()./-]{0,2}\d){8,16}(?![\w:/-]|\.\d)")


@cache
def _patterns() -> _Patterns:
    return _Patterns()


def _masked_pair(match: re.Match[str]) -> str:
    if not is_personal_key(match["key"]):
        return match[0]
    quote = match["value"][0]
    return f"{match['key']}{match['sep']}{quote}{MASK}{quote}"


def mask_text(text: str, *, phones: bool = True) -> str:
    """``text`` with every recognisable piece of personal data replaced by ``MASK``."""
    patterns = _patterns()
    if "input_value=" in text:
        text = patterns.pydantic_input.sub(f"input_value={MASK}", text)
    text = patterns.quoted_after_key.sub(_masked_pair, text)
    if "@" in text:
        text = patterns.email.sub(MASK, text)
    if phones:
        text = patterns.phone.sub(MASK, text)
    return text


def mask(value: Any, key: str | None = None) -> Any:
    """``value`` (found under ``key``) with its personal data masked; a new structure, never the same one.

    Mappings and sequences are walked, pydantic models and dataclasses read as their fields, numbers,
    booleans and None kept; anything else is masked as its text (what JSON logging would write).
    """
    if key is not None and is_personal_key(key):
        return None if value is None else MASK
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {k: mask(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask(item, key) for item in value]
    fields = _fields(value)
    if fields is not None:
        return mask(fields, key)
    return mask_text(value if isinstance(value, str) else str(value), phones=key not in IDENTIFIER_KEYS)


def _fields(value: Any) -> dict[str, Any] | None:
    """A pydantic model's or a dataclass instance's fields; None for anything else."""
    if isinstance(value, str):
        return None
    if callable(getattr(value, "model_dump", None)):
        fields: dict[str, Any] = value.model_dump(mode="json")
        return fields
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        import dataclasses

        return dataclasses.asdict(value)
    return None


def mask_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A structured log record with its personal data masked; Powertools' own keys are kept as they are."""
    return {key: value if key in POWERTOOLS_KEYS else mask(value, key) for key, value in record.items()}
