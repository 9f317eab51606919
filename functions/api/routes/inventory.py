"""Inventory routes: stock per location, the ledger and low stock (viewer); counts and adjustments (staff)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query

from functions.api import wiring
from functions.api.routes.catalog import SkuPath
from shared.dal.cursors import InvalidCursor
from shared.domain.inventory import Insufficient, UpdateIdReused
from shared.http import ProblemError, idempotency_key_header, json_response, not_found, require
from shared.models.inventory import (
    LOCATION_PATTERN,
    AdjustmentIn,
    InventoryPage,
    MovementPage,
    Stock,
    StockCountIn,
)
from shared.observability import logger
from shared.openapi import problem_responses
from shared.services.stock import Recorded, Refused, Replayed, StaffResult, Stale

router = Router()
IdempotencyKey = Annotated[
    str | None,
    idempotency_key_header("Names this change: a retry with the same key is applied once", max_length=100),
]
NextToken = Annotated[str | None, Query(max_length=2048)]


@router.get(
    "/inventory/<sku>",
    summary="Stock of a SKU (viewer): totals and each location",
    tags=["inventory"],
    responses=problem_responses(404, 422, 503, notes={404: "No such product"}),
)
def get_stock(sku: SkuPath) -> Response[Stock]:
    require(router, "viewer")
    stock = wiring.stock_service().stock(sku)
    if stock is None:
        raise not_found(f"Product {sku}")
    return json_response(200, stock)


@router.put(
    "/inventory/<sku>",
    summary="Record a count (staff): set the units on hand at a location",
    description="Reservations of open orders are kept: available = on_hand - reserved.",
    tags=["inventory"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "Counted (or a replay of this Idempotency-Key: Idempotent-Replayed is true)"},
        notes={
            404: "No such product",
            409: "Not applied: a newer count or movement was already recorded at this location",
            422: "Invalid fields, or an Idempotency-Key reused for another change",
        },
        body=True,
    ),
)
def put_count(
    sku: SkuPath, count: Annotated[StockCountIn, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Stock]:
    caller = require(router, "staff")
    result = wiring.stock_service().count(
        sku, count.on_hand, location=count.location, actor=caller.actor, update_id=_update_id(idempotency_key)
    )
    return _answer(sku, result, created=200)


@router.post(
    "/inventory/<sku>/adjustments",
    summary="Adjust stock at a location (staff): damaged, found, returned...",
    tags=["inventory"],
    responses=problem_responses(
        404,
        409,
        503,
        success={201: "Applied", 200: "A replay: this Idempotency-Key was already applied"},
        notes={
            404: "No such product",
            409: "It would take available stock below zero, or a newer change was already recorded",
            422: "Invalid fields, or an Idempotency-Key reused for another change",
        },
        body=True,
    ),
)
def post_adjustment(
    sku: SkuPath, adjustment: Annotated[AdjustmentIn, Body()], idempotency_key: IdempotencyKey = None
) -> Response[Stock]:
    caller = require(router, "staff")
    result = wiring.stock_service().adjust(
        sku,
        adjustment.delta,
        reason=adjustment.reason,
        location=adjustment.location,
        actor=caller.actor,
        update_id=_update_id(idempotency_key),
    )
    return _answer(sku, result, created=201)


@router.get(
    "/inventory/<sku>/movements",
    summary="The ledger of a SKU (viewer): every change of on-hand stock with its source, newest first",
    tags=["inventory"],
    responses=problem_responses(400, 404, 422, 503, notes={404: "No such product"}),
)
def get_movements(
    sku: SkuPath, limit: Annotated[int, Query(ge=1, le=100)] = 50, next_token: NextToken = None
) -> Response[MovementPage]:
    require(router, "viewer")
    try:
        items, token = wiring.inventory_store().movements(sku, next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    if not items and next_token is None and wiring.stock_service().stock(sku) is None:
        raise not_found(f"Product {sku}")
    return json_response(200, MovementPage(items=items, next_token=token))


@router.get(
    "/inventory",
    summary="Every product's stock, in SKU order (viewer): totals and each location",
    description="low_stock=true lists only the products at or under their low-stock threshold (flagged by "
    "the catalog stream, so a change shows a moment later); location lists only the products with a level "
    "recorded there, each with that location's level alone. A page may hold fewer than limit items: "
    "follow next_token until it is absent.",
    tags=["inventory"],
    responses=problem_responses(400, 422, 503),
)
def list_inventory(
    low_stock: Annotated[bool, Query(description="true: only products at or under their threshold")] = False,
    location: Annotated[
        str | None, Query(pattern=LOCATION_PATTERN, description="Only products stocked at this location")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: NextToken = None,
) -> Response[InventoryPage]:
    require(router, "viewer")
    try:
        items, token = wiring.inventory_store().listing(
            next_token, limit, low_only=low_stock, location=location
        )
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    return json_response(200, InventoryPage(items=items, next_token=token))


def _update_id(idempotency_key: str | None) -> str | None:
    return f"api:{idempotency_key}" if idempotency_key else None


def _answer(sku: str, result: StaffResult, *, created: int) -> Response[Stock]:
    if isinstance(result, Recorded):
        logger.info("stock changed by staff", sku=sku, location=result.plan.location)
        return json_response(created, result.stock)
    if isinstance(result, Replayed):
        return json_response(200, result.stock, {"Idempotent-Replayed": "true"})
    if isinstance(result, Stale):
        raise ProblemError(409, "stale", "Conflict", "Not applied: " + "; ".join(result.reasons))
    if isinstance(result, Refused):
        raise not_found(f"Product {sku}")
    if isinstance(result, UpdateIdReused):
        raise ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was already used for a different stock change.",
        )
    if isinstance(result, Insufficient):
        raise ProblemError(
            409,
            "insufficient-stock",
            "Insufficient stock",
            "The adjustment would take available stock below zero. Nothing was changed.",
            available=result.available,
            location_on_hand=result.location_on_hand,
        )
    raise ProblemError(
        503,
        "contention",
        "Service Unavailable",
        "The stock is busy; retry shortly.",
        headers={"Retry-After": "1"},
    )
