"""Field types shared by the API and message models: money, SKUs, problems (RFC 9457)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    Strict,
    WithJsonSchema,
)

from shared.patterns import (  # noqa: F401 - re-exported for the models and routes
    CHANNEL_NAME_PATTERN,
    CHANNEL_PATTERN,
    CURRENCY_PATTERN,
    MONEY_PATTERN,
    SKU_MAX_LENGTH,
    SKU_PATTERN,
    TOKEN_PATTERN,
    described,
    pattern_phrase,
)

_MONEY_RE = re.compile(MONEY_PATTERN)
# Said wherever a price is documented (OpenAPI): the catalog's currency is the deployment's OMS_CURRENCY.
CATALOG_CURRENCY_NOTE = "in the catalog currency (OMS_CURRENCY: USD unless the deployment chose another)"


def _money_from_string(value: Any) -> Decimal:
    """Money arrives as a decimal string ("19.99"). A JSON number is refused: it is a float."""
    if isinstance(value, Decimal):
        return value
    if not isinstance(value, str):
        raise ValueError('money must be a decimal string such as "19.99", not a number')
    if not _MONEY_RE.fullmatch(value):
        raise ValueError('money must be a non-negative decimal string with at most 2 decimals, e.g. "19.99"')
    return Decimal(value)  # the pattern admits only digits with an optional point: always a Decimal


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


def _integral(value: Any) -> Any:
    """3.0 is the integer 3 in JSON (and JSON Schema's ``integer``): pass it on as 3; 3.5 stays a float."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


INTEGRAL = BeforeValidator(_integral)
WholeNumber = Annotated[int, INTEGRAL, Strict()]

# A product's status (Shopify's): imported with the product; a product recorded without one is active.
ProductStatus = Literal["active", "draft", "archived"]
"""An integer read from JSON: a number without a fraction, 3 or 3.0 (as JSON Schema counts integers).

Strict otherwise: "3", true and 3.5 are refused. Bounds go on the field, ``n: WholeNumber = Field(ge=1)``;
an optional one takes them before the validator, or its schema loses them:
``n: Annotated[int, Field(ge=0), INTEGRAL, Strict()] | None = None``.
"""


_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: Any) -> Any:
    """A date is sent as text, YYYY-MM-DD: not a number (pydantic would read 0 as 1970-01-01)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE_RE.fullmatch(value):
        raise ValueError("must be a date like 2026-01-31")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text)]
"""A calendar date as JSON Schema's ``format: date`` says: the text 2026-01-31, and a real day."""


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
    field: str = Field(description="Where the problem is, e.g. body.lines.0.quantity or query.limit")
    message: str = Field(description="What is wrong, for a person: e.g. must be a date like 2026-01-31")
    type: str | None = Field(default=None, description="A machine-readable kind, e.g. missing, too_long")


class Shortage(Model):
    """One SKU an order could not reserve."""

    sku: Sku
    requested: int
    available: int


class Problem(Model):
    """RFC 9457 problem details, served as application/problem+json.

    ``errors`` (422: each invalid field) and ``shortages`` (409 out-of-stock: each short SKU) are this
    API's extensions; other members may be added (RFC 9457 section 3.2), so clients ignore the ones
    they do not know.
    """

    type: str = Field(
        default="about:blank",
        description="What kind of problem: urn:oms:problem:{kind}, e.g. urn:oms:problem:out-of-stock",
    )
    title: str = Field(description="A short summary of the kind of problem")
    status: int = Field(ge=100, le=599, description="The HTTP status code")
    detail: str | None = Field(default=None, description="What happened this time, for a person")
    instance: str | None = Field(default=None, description="The path that was called")
    errors: list[FieldError] | None = Field(default=None, description="422: every invalid field")
    shortages: list[Shortage] | None = Field(
        default=None, description="409 out-of-stock: each SKU there was not enough of; nothing was reserved"
    )
    request_id: str | None = Field(default=None, description="5xx: quote it when you report the problem")

    model_config = ConfigDict(extra="allow")
