"""Customers: who an order belongs to, found by normalised email. Pure.

Order intake links every order to a customer in the order's own transaction: a customer already
known to this environment is checked (its email still belongs to it) and touched; a new one is
created with its email claimed, so two first orders with one email can never make two customers.
Erasure removes the person and keeps what accounting needs (ids, lines, totals, dates).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.models.orders import Address


def normalise_email(email: str) -> str:
    """The form two spellings of one address share: trimmed, lower case (mailbox names are not
    case-sensitive in practice, whatever RFC 5321 allows)."""
    return email.strip().lower()


def email_key(email: str) -> str:
    """The lookup key of an email: its SHA-256, so the key itself does not spell the address."""
    return hashlib.sha256(normalise_email(email).encode()).hexdigest()


@dataclass(frozen=True)
class CustomerLink:
    """Which customer a new order belongs to: ``known`` when this environment has seen the email
    linked to ``customer_id`` (the write checks it still is), else a new customer to create."""

    customer_id: str
    email_key: str
    known: bool


# --- writes (committed with the order, in the same transaction) --------------------------------


@dataclass(frozen=True)
class ClaimEmail:
    """A new customer takes the email (only if no customer has it)."""

    email_key: str
    customer_id: str


@dataclass(frozen=True)
class CheckEmail:
    """The email still belongs to the customer this environment remembers (not erased, not moved)."""

    email_key: str
    customer_id: str


@dataclass(frozen=True)
class CreateCustomer:
    customer_id: str
    email: str
    name: str
    phone: str | None
    address: Address | None
    channel: str
    at: str


@dataclass(frozen=True)
class TouchCustomer:
    """One more order for a known customer: counted, dated."""

    customer_id: str
    at: str


CustomerWrite = ClaimEmail | CheckEmail | CreateCustomer | TouchCustomer


def link_writes(
    link: CustomerLink,
    *,
    email: str,
    name: str,
    phone: str | None,
    address: Address | None,
    channel: str,
    at: str,
) -> tuple[CustomerWrite, ...]:
    if link.known:
        return CheckEmail(link.email_key, link.customer_id), TouchCustomer(link.customer_id, at)
    return (
        ClaimEmail(link.email_key, link.customer_id),
        CreateCustomer(link.customer_id, email, name, phone, address, channel, at),
    )


@dataclass(frozen=True)
class CustomerMoved:
    """The link did not hold: the email belongs to ``customer_id`` (another customer created it
    first), or to nobody (``None``: the customer was erased). Link again and retry."""

    customer_id: str | None
