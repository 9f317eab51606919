"""Order routes: intake (channel or staff keys) and tracking."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.metrics import MetricUnit

from functions.api import wiring
from shared.dal.orders import InvalidCursor
from shared.domain.lifecycle import NotAllowed
from shared.domain.orders import (
    Contention,
    ExternalIdConflict,
    FeedChannel,
    IdempotencyKeyReused,
    OutOfStock,
    Rejected,
)
from shared.http import (
    ProblemError,
    channel_or,
    idempotency_key_header,
    invalid_field,
    json_response,
    location,
    not_found,
    require,
)
from shared.models.common import CHANNEL_NAME_PATTERN, described
from shared.models.orders import (
    CancelIn,
    DeliveryIn,
    NewOrder,
    Order,
    OrderPage,
    OrderStatus,
    ResolutionIn,
    ReturnIn,
    ShipmentIn,
)
from shared.observability import count_order_placed, logger, metrics
from shared.openapi import link, problem_responses
from shared.services.orders import (
    BadTime,
    ChangeResult,
    ChannelNeeded,
    Listing,
    OrderChanged,
    Placed,
    StaffOnly,
    TimesReversed,
)

router = Router()
OrderId = Annotated[str, Path(max_length=64)]
_ORDER_ID = "$response.body#/order_id"
_ORDER_LINKS = {
    "GetOrder": link("GET", "/orders/{order_id}", "Read the order", order_id=_ORDER_ID),
    "CancelOrder": link("POST", "/orders/{order_id}/cancel", "Cancel it", order_id=_ORDER_ID),
    "ShipOrder": link("POST", "/orders/{order_id}/shipments", "Ship it", order_id=_ORDER_ID),
    "DeliverOrder": link("POST", "/orders/{order_id}/delivery", "Record its delivery", order_id=_ORDER_ID),
    "ReturnOrder": link("POST", "/orders/{order_id}/returns", "Record a return", order_id=_ORDER_ID),
    "GetCustomer": link(
        "GET", "/customers/{customer_id}", "Its customer", customer_id="$response.body#/customer_id"
    ),
}

_TIME = described(
    r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$",
    "must be a date like 2026-01-31, or a date and time like 2026-01-31T09:30:00Z",
)


@router.post(
    "/orders",
    summary="Place an order (a channel key, or staff): every line reserved, or none",
    tags=["orders"],
    responses=problem_responses(
        409,
        503,
        success={
            200: "A replay: the order this Idempotency-Key or external_id already created",
            201: "Created: every line reserved",
        },
        notes={
            409: "Not enough stock for one or more SKUs (shortages names each; nothing was reserved)",
            422: "Invalid fields, an unknown SKU, or an Idempotency-Key reused for another body",
            503: "The stock is busy: retry after Retry-After seconds",
        },
        body=True,
        links=_ORDER_LINKS,
    ),
)
def post_order(
    order: Annotated[NewOrder, Body()],
    idempotency_key: Annotated[
        str | None, idempotency_key_header("Retries with the same key and body return the original order")
    ] = None,
) -> Response[Order]:
    caller = channel_or(router, "staff")
    result = wiring.order_service().place(order, caller, idempotency_key)
    if isinstance(result, Placed):
        headers = {"Location": _location(result.order.order_id)}
        if result.replayed:
            metrics.add_metric(name="OrderReplayed", unit=MetricUnit.Count, value=1)
            logger.info("order replayed", order_id=result.order.order_id, channel=result.order.channel)
            return json_response(200, result.order, {**headers, "Idempotent-Replayed": "true"})
        metrics.add_metric(name="OrderCreated", unit=MetricUnit.Count, value=1)
        count_order_placed(result.order.channel)
        logger.info("order created", order_id=result.order.order_id, channel=result.order.channel)
        return json_response(201, result.order, headers)
    raise _problem(result)


def _location(order_id: str) -> str:
    return location(router, f"/orders/{order_id}")


def _problem(
    result: Rejected | OutOfStock | IdempotencyKeyReused | ExternalIdConflict | FeedChannel | Contention,
) -> ProblemError:
    if isinstance(result, OutOfStock):
        metrics.add_metric(name="OrderOutOfStock", unit=MetricUnit.Count, value=1)
        return ProblemError(
            409,
            "out-of-stock",
            "Out of stock",
            "Not enough stock for: " + ", ".join(s.sku for s in result.shortages) + ". Nothing was reserved.",
            shortages=[
                {"sku": s.sku, "requested": s.requested, "available": s.available} for s in result.shortages
            ],
        )
    if isinstance(result, Rejected):
        return ProblemError(
            422, "validation", "Unprocessable Content", "The order has invalid lines.", errors=result.errors
        )
    if isinstance(result, IdempotencyKeyReused):
        return ProblemError(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "This Idempotency-Key was already used with a different request body.",
        )
    if isinstance(result, ExternalIdConflict):
        metrics.add_metric(name="OrderExternalIdConflict", unit=MetricUnit.Count, value=1)
        where = _location(result.order_id)
        return ProblemError(
            409,
            "external-id-conflict",
            "external_id already used",
            f"This external_id belongs to order {result.order_id}, placed with a different body. "
            "Nothing was changed: send that order's body again to get it back, or use another external_id.",
            headers={"Location": where},
            order_id=result.order_id,
            location=where,
        )
    if isinstance(result, FeedChannel):
        return ProblemError(
            403,
            "feed-channel",
            "Forbidden",
            f"Channel {result.channel} belongs to {result.owner}: its orders come only from the feed. "
            "Use an API key on another channel.",
        )
    return ProblemError(
        503,
        "contention",
        "Service Unavailable",
        "The stock is busy; retry shortly.",
        headers={"Retry-After": "1"},
    )


@router.post(
    "/orders/<order_id>/cancel",
    summary="Cancel an order (its channel's key, or staff): its reservations go back to stock in the same "
    "write",
    tags=["orders"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "Cancelled (or already cancelled: a retry gets the same answer)"},
        notes={
            404: "No such order (another channel's order is not found either)",
            409: "The order's status does not allow cancelling (shipped, delivered...): order_status says it",
        },
        body=True,
    ),
)
def cancel_order(order_id: OrderId, body: Annotated[CancelIn, Body()]) -> Response[Order]:
    result = wiring.order_service().cancel(order_id, channel_or(router, "staff"), body.reason)
    return _changed(result, order_id, "order cancelled", created=200)


@router.post(
    "/orders/<order_id>/shipments",
    summary="Ship some or all of an order's units (staff): on hand and reserved drop together",
    tags=["orders"],
    responses=problem_responses(
        404,
        409,
        503,
        success={
            200: "This carrier and tracking number were already recorded: the order as it is",
            201: "Shipped: PARTIALLY_SHIPPED, or SHIPPED when every unit has left",
        },
        notes={
            404: "No such order",
            409: "The order's status does not allow shipping (cancelled, backordered...)",
            422: "Invalid fields, more units than are left to ship, or a SKU the order does not hold",
        },
        body=True,
    ),
)
def ship_order(order_id: OrderId, body: Annotated[ShipmentIn, Body()]) -> Response[Order]:
    result = wiring.order_service().ship(order_id, require(router, "staff"), body)
    if isinstance(result, OrderChanged) and not result.replayed:
        metrics.add_metric(name="OrderShipped", unit=MetricUnit.Count, value=1)
    return _changed(result, order_id, "order shipped")


@router.post(
    "/orders/<order_id>/delivery",
    summary="Record delivery (staff, or a carrier callback with a staff key)",
    tags=["orders"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "Delivered (or already delivered)"},
        notes={404: "No such order", 409: "Only a SHIPPED order can be delivered"},
        body=True,
    ),
)
def deliver_order(order_id: OrderId, body: Annotated[DeliveryIn | None, Body()] = None) -> Response[Order]:
    result = wiring.order_service().deliver(order_id, require(router, "staff"), body.note if body else None)
    return _changed(result, order_id, "order delivered", created=200)


@router.post(
    "/orders/<order_id>/returns",
    summary="Record a return (staff): partial returns allowed; restocked units go back on hand",
    tags=["orders"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "A retry with the same Idempotency-Key: the order as it is", 201: "Returned"},
        notes={
            404: "No such order",
            409: "Only a SHIPPED, DELIVERED or RETURNED order takes returns",
            422: "Invalid fields, or more units than were shipped and not yet returned",
        },
        body=True,
    ),
)
def return_order(
    order_id: OrderId,
    body: Annotated[ReturnIn, Body()],
    idempotency_key: Annotated[
        str | None, idempotency_key_header("A retry with the same key records the return once")
    ] = None,
) -> Response[Order]:
    result = wiring.order_service().take_return(order_id, require(router, "staff"), body, idempotency_key)
    return _changed(result, order_id, "order returned")


@router.post(
    "/orders/<order_id>/attention/<attention_id>/resolution",
    summary="Resolve what needed attention on an order (staff): who, when and how are recorded",
    tags=["orders"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "Resolved (or already resolved: the order as it is)"},
        notes={404: "No such order", 422: "Invalid fields, or the order has no such attention item"},
        body=True,
    ),
)
def resolve_attention(
    order_id: OrderId,
    attention_id: Annotated[str, Path(max_length=64)],
    body: Annotated[ResolutionIn, Body()],
) -> Response[Order]:
    result = wiring.order_service().resolve_attention(
        order_id, attention_id, require(router, "staff"), body.resolution
    )
    return _changed(result, order_id, "order attention resolved", created=200)


def _changed(result: ChangeResult, order_id: str, done: str, *, created: int = 201) -> Response[Order]:
    """One answer for every lifecycle change: the order, 404, 409 naming the status, 422, 503."""
    if result is None:
        raise not_found(f"Order {order_id}")
    if isinstance(result, NotAllowed):
        raise ProblemError(
            409,
            "invalid-transition",
            "Conflict",
            f"An order that is {result.current} cannot be {result.target}.",
            order_status=result.current,
        )
    if isinstance(result, Rejected):
        raise ProblemError(
            422, "validation", "Unprocessable Content", "The request has invalid lines.", errors=result.errors
        )
    if isinstance(result, Contention):
        raise _problem(result)
    order = result.order
    if result.replayed:
        return json_response(200, order, {"Idempotent-Replayed": "true"})
    logger.info(done, order_id=order.order_id, channel=order.channel, status=order.status)
    return json_response(created, order)


@router.get(
    "/orders/<order_id>",
    summary="Read one order (its channel's key, or viewer)",
    tags=["orders"],
    responses=problem_responses(
        404, 422, 503, notes={404: "No such order (another channel's order is not found either)"}
    ),
)
def get_order(order_id: OrderId) -> Response[Order]:
    order = wiring.order_service().get(order_id, channel_or(router, "viewer"))
    if order is None:
        raise not_found(f"Order {order_id}")
    return json_response(200, order)


@router.get(
    "/orders",
    summary="List orders, newest first (a channel key its own channel's, or viewer)",
    tags=["orders"],
    responses=problem_responses(
        400,
        422,
        503,
        notes={
            400: "A next_token this API did not issue, or one from another query",
            403: "attention=true with a channel key (only staff see what needs attention)",
        },
    ),
)
def list_orders(
    status: Annotated[OrderStatus | None, Query()] = None,
    channel: Annotated[str | None, Query(pattern=CHANNEL_NAME_PATTERN)] = None,
    created_from: Annotated[
        str | None,
        Query(pattern=_TIME, description="ISO-8601 date or date-time (UTC unless it says), inclusive"),
    ] = None,
    created_to: Annotated[
        str | None,
        Query(pattern=_TIME, description="ISO-8601 date (the whole day) or date-time, inclusive"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
    attention: Annotated[
        bool,
        Query(
            description="true: only orders with something unresolved for staff (conflicts, buyer requests)"
        ),
    ] = False,
    external_id: Annotated[
        str | None,
        Query(min_length=1, max_length=128, description="The channel's own order id; needs channel"),
    ] = None,
) -> Response[OrderPage]:
    caller = channel_or(router, "viewer")
    if external_id is not None:
        found = wiring.order_service().find_by_external_id(external_id, channel, caller)
        if isinstance(found, ChannelNeeded):
            raise invalid_field(
                "query.channel", "required with external_id: external ids are unique per channel"
            )
        return json_response(200, OrderPage(items=[found] if found else []))
    listing = Listing(
        channel=channel,
        status=status,
        created_from=created_from,
        created_to=created_to,
        limit=limit,
        attention=attention,
    )
    try:
        result = wiring.order_service().list(listing, next_token, caller)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    if isinstance(result, BadTime):
        raise invalid_field(f"query.{result.field}", "not an ISO-8601 date or date-time")
    if isinstance(result, StaffOnly):
        raise ProblemError(403, "forbidden", "Forbidden", "Only staff list orders needing attention.")
    if isinstance(result, TimesReversed):
        raise invalid_field("query.created_from", "is after created_to")
    return json_response(200, OrderPage(items=result.items, next_token=result.next_token))
