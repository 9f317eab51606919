"""Moving a shop's data in and out: the records a file's rows become, and an import run's record.

Every format (``shared.transfer.formats``) turns a file's rows into *entries*
(``shared.transfer.records``), each holding one of the records below (or a ``ChannelOrder`` for a
platform's order export, or a whole ``Order`` for this OMS's own export). The importer
(``shared.services.imports``) writes them, idempotently by their natural key:

    products   the SKU
    stock      the SKU and the location
    customers  the email (normalised as ``shared.domain.customers.normalise_email`` does)
    orders     the channel and the external id (an order without one: its order id)
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from shared.models.common import Email, Model, Money, ProductStatus, Sku, StrictModel, WholeNumber
from shared.models.inventory import DEFAULT_LOCATION, MAX_UNITS, Location
from shared.models.orders import Address
from shared.patterns import described

Kind = Literal["products", "stock", "customers", "orders"]
KINDS: tuple[Kind, ...] = ("products", "stock", "customers", "orders")  # the order to import them in
FormatName = Literal[
    "shopify-products",
    "shopify-inventory",
    "shopify-customers",
    "shopify-orders",
    "oms-products",
    "oms-stock",
    "oms-customers",
    "oms-orders",
]
OnError = Literal["reject-file", "skip-rows"]
RunStatus = Literal[
    "AWAITING_UPLOAD",  # POST /imports answered; the file is not uploaded yet
    "VALIDATING",  # reading every row against the live data
    "RUNNING",  # writing
    "FINISHED",  # every row written or (skip-rows) reported
    "REJECTED",  # reject-file and a bad row: nothing written
    "CHECKED",  # a dry run that ended: nothing written, the error report says what would be refused
    "FAILED",  # the file itself could not be read (encoding, truncation, wrong format): nothing written
]
RunSource = Literal["cli", "upload"]


class ProductRecord(StrictModel):
    sku: Sku
    name: str = Field(min_length=1, max_length=200)
    price: Money
    status: ProductStatus = "active"
    low_stock_threshold: int | None = Field(default=None, ge=0, le=MAX_UNITS)


class StockRecord(StrictModel):
    """The units on hand at one location: a count, as of the import."""

    sku: Sku
    location: Location = DEFAULT_LOCATION
    on_hand: WholeNumber = Field(ge=0, le=MAX_UNITS)


class CustomerImport(StrictModel):
    """A customer as a file has it. ``customer_id`` only from this OMS's own export (kept as it was)."""

    email: Email
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    addresses: list[Address] = Field(default_factory=list, max_length=10, description="The default first")
    accepts_email_marketing: bool | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    # The customer's story as this OMS had it (oms-customers only: a platform's file leaves them out). The
    # export gives them, so an export imported into an empty stack has the same customers, field by field.
    first_channel: str | None = Field(default=None, max_length=64)
    order_count: int | None = Field(default=None, ge=0)
    created_at: str | None = Field(default=None, max_length=40)
    last_order_at: str | None = Field(default=None, max_length=40)


class KindCounts(Model):
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


class CurrencyTotal(Model):
    """One currency's money: what the file says its orders total, and what was written for them."""

    currency: str
    in_file: Money
    written: Money


class ImportOptions(StrictModel):
    format: FormatName
    on_error: OnError = "reject-file"
    dry_run: StrictBool = Field(default=False, description="Check every row, write nothing but the report")
    channel: str | None = Field(default=None, description="The channel orders are recorded on")
    location: Location = Field(default=DEFAULT_LOCATION, description="Where a products file's stock is")


class ImportRun(Model):
    import_id: str
    file_name: str
    checksum: str | None = Field(default=None, description="SHA-256 of the file, once read")
    options: ImportOptions
    source: RunSource
    actor: str
    status: RunStatus
    rows_total: int | None = None
    rows_done: int = Field(default=0, description="Rows written so far: where an interrupted run resumes")
    chunks_total: int | None = None
    chunks_done: int = 0
    counts: dict[str, KindCounts] = Field(default_factory=dict, description="Per kind")
    totals: list[CurrencyTotal] = Field(default_factory=list)
    error_report: str | None = Field(default=None, description="Where the rows refused, with _errors, are")
    error_chunks: list[int] = Field(
        default_factory=list,
        description="An upload's chunks whose writes refused rows the check could not foresee: each has "
        "its own report, errors/{import_id}-chunk-{n}.{csv|jsonl}",
    )
    problem: str | None = Field(default=None, description="Why the file could not be read (FAILED)")
    started_at: str
    updated_at: str
    finished_at: str | None = None


class ImportIn(StrictModel):
    """``POST /imports``: announce a file; the answer says where to upload it."""

    file_name: str = Field(
        min_length=1,
        max_length=200,
        pattern=described(r"^[^/\\\x00-\x1f]+$", "must be a file name: no '/', '\\' or control characters"),
    )
    options: ImportOptions


class ImportUpload(Model):
    run: ImportRun
    upload_url: str | None = Field(
        description="A presigned PUT for the file (expires); null on a replay once the file is uploaded"
    )
    upload_headers: dict[str, str] = Field(default_factory=dict, description="Send these with the PUT")
    expires_at: str | None


class ImportRunDetail(ImportRun):
    """``GET /imports/{import_id}``: the run, with a download link for its error report when it has one."""

    error_report_url: str | None = Field(default=None, description="A presigned GET of the error report")
    error_report_urls: list[str] = Field(
        default_factory=list,
        description="Presigned GETs of every report of the run: the check's (error_report) first, then "
        "each of error_chunks'",
    )
    error_report_expires_at: str | None = None


class ImportRunPage(Model):
    items: list[ImportRun]
    next_token: str | None = None
