"""Field types shared by the API and message models: money, SKUs, problems (RFC 9457)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"
_MONEY_RE = re.compile(MONEY_PATTERN)
# A SKU as the platforms allow it (Shopify variants, Amazon SellerSKU, eBay): any text of 1 to 100
# characters but control characters (C0, DEL, C1), not starting or ending with whitespace. See ``Sku``.
SKU_MAX_LENGTH = 100
SKU_PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
# "staff" is the channel of orders staff enter (shared.domain.auth): no channel key may take it.
CHANNEL_PATTERN = r"^(?!staff$)[a-z0-9][a-z0-9_-]{0,31}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
# Said wherever a price is documented (OpenAPI): the catalog's currency is the deployment's OMS_CURRENCY.
CATALOG_CURRENCY_NOTE = "in the catalog currency (OMS_CURRENCY, set in infra/spec.py; USD unless changed)"


def _money_from_string(value: Any) -> Decimal:
    """Money arrives as a decimal string ("19.99"). A JSON number is refused: it is a float."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "19.99", not a number')
    if not _MONEY_RE.fullmatch(value):
        raise ValueError('money must be a non-negative decimal string with at most 2 decimals, e.g. "19.99"')
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already rules this out
        raise ValueError("not a decimal amount") from exc


Money = Annotated[
    Decimal,
    BeforeValidator(_money_from_string),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["19.99"]}),
]

Sku = Annotated[
    str,
    Field(
        min_length=1,
        max_length=SKU_MAX_LENGTH,
        pattern=SKU_PATTERN,
        description="1 to 100 characters: any but control characters, no whitespace at either end",
        examples=["TSHIRT-RED-M", "KIT:RED+BLUE"],
    ),
]
"""The one definition of a SKU, wherever one is read: bodies, messages, path parameters, stored items.

Marketplaces and shops let sellers choose SKUs freely (``KIT:RED+BLUE``, ``TEE/RED/M``, ``A#1``,
``MUG WHITE 11oz``), so nothing but what cannot be a label is refused: control characters (C0,
DEL, C1) and whitespace at either end. Input models strip the strings they read (``StrictModel``),
so a SKU with an outer space could be created through a path, yet never be named in an order, a
stock message or a report: it is refused everywhere instead. Lone surrogates (a ``%ED%A0%80`` in a
path) are not text and pydantic refuses them too. Where a SKU sits inside a key with ``#``
separators it is escaped (``shared.dal.keys.key_part``).
"""
Currency = Annotated[str, Field(pattern=CURRENCY_PATTERN, examples=["USD"])]

_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _normalise_email(value: str) -> str:
    value = value.strip()
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value):
        raise ValueError("not a valid email address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


# No email-validator dependency: it is not in the Powertools layer, and a syntactic check is all
# an order intake can honestly do. The domain part is lower-cased; the local part is kept as sent.
Email = Annotated[
    str,
    AfterValidator(_normalise_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 254}),
]


class Model(BaseModel):
    """Every model of the project.

    ``defer_build``: a model's validator is built on its first use, not at import. A Lambda
    environment then builds only the models the requests it serves need (pydantic's documented
    start-up optimisation); an orders-only environment never builds the catalog's.
    """

    model_config = ConfigDict(defer_build=True)


class StrictModel(Model):
    """Input models refuse unknown fields, so a typo is a 422 rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldError(Model):
    field: str = Field(description="Where the problem is, e.g. body.lines.0.quantity")
    message: str
    type: str | None = None


class Problem(Model):
    """RFC 9457 problem details, served as application/problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None

    model_config = ConfigDict(extra="allow")
