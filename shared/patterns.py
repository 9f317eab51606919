"""The API's regular expressions, each with the words a person is told when a value does not match it.

No pydantic here: the authorizer and ``shared.config`` check channel names and currencies with these
patterns without loading the models (``shared.models.common`` re-exports them for the models).
"""

from __future__ import annotations

_PATTERN_PHRASES: dict[str, str] = {}


def described(pattern: str, phrase: str) -> str:
    """A regular expression, with the words a person is told when a value does not match it.

    Validation errors quote the phrase (``pattern_phrase``), never the expression: "must be a date like
    2026-01-31", not "must match ^\\d{4}-...". Every pattern of the API is declared through here (a
    test walks the OpenAPI document for patterns without a phrase).
    """
    _PATTERN_PHRASES[pattern] = phrase
    return pattern


def pattern_phrase(pattern: str) -> str | None:
    return _PATTERN_PHRASES.get(pattern)


MONEY_PATTERN = described(
    r"^\d{1,12}(\.\d{1,2})?$", 'must be a decimal string with at most 2 decimals, such as "19.99"'
)
# A SKU as the platforms allow it (Shopify variants, Amazon SellerSKU, eBay): any text of 1 to 100
# characters but control characters (C0, DEL, C1), not starting or ending with whitespace. See ``Sku``.
SKU_MAX_LENGTH = 100
SKU_PATTERN = described(
    r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$",
    "must be a SKU: no control characters, and no space at either end",
)
# "staff" is the channel of orders staff enter (shared.domain.auth): no channel key may take it.
CHANNEL_PATTERN = described(
    r"^(?!staff$)[a-z0-9][a-z0-9_-]{0,31}$",
    "must be a channel name: up to 32 lower-case letters, digits, '_' or '-', starting with a letter "
    "or digit, and not 'staff'",
)
# A channel named in a path or a query: the same names without the look-ahead (pydantic's regex engine
# has none), so where "staff" matters the code that reads it refuses it (shared.domain.connections).
CHANNEL_NAME_PATTERN = described(
    r"^[a-z0-9][a-z0-9_-]{0,31}$",
    "must be a channel name: up to 32 lower-case letters, digits, '_' or '-', starting with a letter "
    "or digit",
)
CURRENCY_PATTERN = described(r"^[A-Z]{3}$", "must be a three-letter ISO 4217 currency code such as USD")
# Idempotency keys, update ids, sources: what a header or a log line carries safely.
TOKEN_PATTERN = described(r"^[\x21-\x7e]+$", "must be printable ASCII characters without spaces")
# A person's name in the audit trail (staff:alice): their key's name.
PERSON_NAME_PATTERN = described(
    r"^[a-z0-9][a-z0-9._-]{0,39}$",
    "must be a person's name: up to 40 lower-case letters, digits, '.', '_' or '-', starting with a "
    "letter or digit",
)
# An API key's public id (its hash's first 12 hex digits).
KEY_ID_PATTERN = described(r"^[0-9a-f]{12}$", "must be a key id: 12 lower-case hexadecimal digits")
