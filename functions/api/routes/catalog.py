"""Catalog routes: any person reads the catalog (viewer), staff write it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.api import wiring
from shared.dal.cursors import InvalidCursor
from shared.domain.moments import utc_text
from shared.http import ProblemError, json_response, not_found, require
from shared.models.catalog import Product, ProductIn, ProductPage
from shared.models.common import Sku
from shared.openapi import link, problem_responses

router = Router()
_SKU = "$response.body#/sku"
# The Sku type itself (one definition), read from the path: one segment, percent-encoded by the
# caller and decoded by the resolver (shared.http.PercentDecodedResolver) before it is validated.
SkuPath = Annotated[
    Sku,
    Path(
        description="The SKU, percent-encoded as one path segment (RFC 3986): TEE/RED/M is "
        "TEE%2FRED%2FM, A#1 is A%231, MUG WHITE 11oz is MUG%20WHITE%2011oz"
    ),
]


@router.get(
    "/products",
    summary="List products (viewer): in SKU order, or by name prefix in name order",
    description="name_prefix matches names whatever their case, accents composed or not, and runs of "
    "spaces (the name as NFKC, case-folded, with single spaces). A product written before name "
    "prefixes were indexed joins the name-prefix listing on its next PUT. A page may hold fewer "
    "than limit items: follow next_token until it is absent.",
    tags=["catalog"],
    responses=problem_responses(400, 422, 503),
)
def list_products(
    name_prefix: Annotated[
        str | None, Query(min_length=1, max_length=200, description="Only products whose name starts so")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[ProductPage]:
    require(router, "viewer")
    try:
        items, token = wiring.catalog_store().products(next_token, limit, name_prefix=name_prefix)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    return json_response(200, ProductPage(items=items, next_token=token))


@router.put(
    "/products/<sku>",
    summary="Create or replace a product (staff)",
    tags=["catalog"],
    responses=problem_responses(
        503,
        success={200: "Replaced", 201: "Created"},
        body=True,
        links={
            "GetProduct": link("GET", "/products/{sku}", "Read it back", sku=_SKU),
            "GetStock": link("GET", "/inventory/{sku}", "Its stock", sku=_SKU),
            "CountStock": link("PUT", "/inventory/{sku}", "Record a count", sku=_SKU),
            "AdjustStock": link("POST", "/inventory/{sku}/adjustments", "Adjust its stock", sku=_SKU),
            "GetMovements": link("GET", "/inventory/{sku}/movements", "Its ledger", sku=_SKU),
        },
    ),
)
def put_product(sku: SkuPath, product: Annotated[ProductIn, Body()]) -> Response[Product]:
    require(router, "staff")
    saved, created = wiring.catalog_store().put_product(
        sku,
        product.name,
        product.price,
        _now(),
        product.low_stock_threshold,
        product.status,
        lead_time_days=product.lead_time_days,
        service_level=product.service_level,
    )
    return json_response(201 if created else 200, saved)


@router.get(
    "/products/<sku>",
    summary="Read a product (viewer)",
    tags=["catalog"],
    responses=problem_responses(404, 422, 503, notes={404: "No such product"}),
)
def get_product(sku: SkuPath) -> Response[Product]:
    require(router, "viewer")
    product = wiring.catalog_store().get_product(sku)
    if product is None:
        raise not_found(f"Product {sku}")
    return json_response(200, product)


def _now() -> str:
    return utc_text(datetime.now(UTC))
