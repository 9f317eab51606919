"""Customer behaviour shapes (GET /analytics/customers, GET /analytics/customers/top): what the customer
aggregates (shared/dal/customer_stats.py) answer, month by month.

Definitions (the README's "Customer behaviour" says the same):

* an order *counts* for a customer when it has a ``customer_id`` and is not cancelled; its month is the
  business month of ``placed_at`` (``created_at`` without it), as in the daily sales counters;
* a customer is *in* a month when at least one of their counted orders fell in it; *new* in the month of
  their first counted order, *returning* in every later month they are in (customers = new + returning);
* *orders per customer*: the month's counted customer orders / the month's customers (guest orders, without
  a customer, are counted apart and never in a customer figure);
* *repeat purchase rate*: the customers in the month who have 2 or more counted orders in all (any month,
  as the orders stand now) / the customers in the month;
* *days to second order*: business days from a customer's first counted order to their second (0 for two
  on the same day), averaged over the customers whose second counted order fell in the month;
* *cohort*: the customers whose first counted order fell in a month; its share in a later month is the
  part of them who ordered in that month (up to 12 months after the first);
* *lifetime value*: net sales (gross - discounts - returns, the glossary's) of a customer's counted orders,
  per currency, never added across currencies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer, WithJsonSchema

from shared.models.common import Model
from shared.models.reports import Amount

COHORT_MONTHS = 12  # a cohort is followed this many months after its first
MAX_RANGE_MONTHS = 24  # the longest range GET /analytics/customers answers
DEFAULT_TOP = 10
MAX_TOP = 100

# A share (0..1, four decimals) or a ratio: a JSON number, exact in Python.
Ratio = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number", "examples": [0.4167]}),
]


class Statistics(Model):
    """What answering cost: DynamoDB items read and requests made (the bench and the docs quote them)."""

    items_read: int
    requests: int


class ChannelMix(Model):
    channel: str
    orders: int = Field(description="Counted orders of the month placed on the channel (guest orders too)")
    share: Ratio = Field(description="orders / the month's counted orders (guest orders too), 0..1")


class MonthCustomers(Model):
    month: str = Field(description="The business month (YYYY-MM)", examples=["2026-02"])
    customers: int = Field(description="Customers with at least one counted order in the month")
    new_customers: int = Field(description="Customers whose first counted order fell in the month")
    returning_customers: int = Field(description="Customers in the month whose first order came before it")
    orders: int = Field(description="Counted orders of customers in the month (guest orders apart)")
    guest_orders: int = Field(description="Counted orders without a customer (not in any customer figure)")
    orders_per_customer: Ratio | None = Field(
        description="orders / customers (two decimals); null in a month without customers"
    )
    repeat_customers: int = Field(description="Customers in the month with 2 or more counted orders in all")
    repeat_purchase_rate: Ratio | None = Field(
        description="repeat_customers / customers (0..1, four decimals): the share of the month's customers "
        "who have ordered at least twice, any month, as their orders stand now; null without customers"
    )
    second_orders: int = Field(description="Customers whose second counted order fell in the month")
    average_days_to_second_order: Ratio | None = Field(
        description="Mean business days from first to second counted order (one decimal) of the customers "
        "whose second order fell in the month; null when none did"
    )
    channels: list[ChannelMix] = Field(description="Channel mix: by orders, most first, then channel")


class CohortMonth(Model):
    offset: int = Field(description="Months after the cohort's first (0: the first month itself)")
    month: str = Field(description="YYYY-MM")
    customers: int = Field(description="Customers of the cohort with a counted order in the month")
    share: Ratio | None = Field(description="customers / the cohort's size (0..1, four decimals)")


class Cohort(Model):
    cohort: str = Field(description="The month of the customers' first counted order (YYYY-MM)")
    customers: int = Field(description="The cohort's size: customers whose first counted order fell in it")
    months: list[CohortMonth] = Field(
        description=f"The cohort's month 0 and each later month up to {COHORT_MONTHS} after, within the range"
    )


class CustomerBehaviour(Model):
    """GET /analytics/customers: month by month, and the cohorts that started in the range."""

    first_month: str = Field(description="YYYY-MM (the from asked)")
    last_month: str = Field(description="YYYY-MM (the to asked, inclusive)")
    timezone: str = Field(description="The business time zone that defines a day, so a month")
    months: list[MonthCustomers] = Field(description="Every month of the range, oldest first")
    cohorts: list[Cohort] = Field(description="A cohort per month of the range, oldest first")
    statistics: Statistics


class TopCustomer(Model):
    rank: int = Field(description="1 for the highest lifetime value")
    customer_id: str
    name: str | None = Field(
        description="Read live from the customers table (never stored with the figures); null when erased"
    )
    erased: bool = Field(description="The customer was erased: their figures stay, their name is gone")
    lifetime_value: Amount = Field(description="Net sales of the customer's counted orders in the currency")
    orders: int = Field(description="The customer's counted orders (every currency)")
    first_order_day: str | None = Field(description="Business day of the first counted order (ISO date)")


class TopCustomers(Model):
    """GET /analytics/customers/top (staff): the customers with the highest lifetime value in a currency."""

    currency: str
    items: list[TopCustomer] = Field(description="Highest lifetime value first (ties: customer id)")
    statistics: Statistics
