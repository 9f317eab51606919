"""Customer routes: find, read and list orders (viewer), correct (staff), erase (admin)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query

from functions.api import wiring
from shared.dal.cursors import InvalidCursor
from shared.http import ProblemError, json_response, not_found, require
from shared.models.common import Email, described
from shared.models.customers import CustomerPage, CustomerPatch, CustomerRecord, Erasure
from shared.models.orders import OrderPage
from shared.observability import logger
from shared.openapi import link, problem_responses
from shared.services.customers import EmailInUse, ErasureIncomplete

router = Router()
_FOUND = "$response.body#/items/0/customer_id"
CustomerId = Annotated[
    str,
    Path(
        max_length=64, pattern=described(r"^[A-Za-z0-9-]+$", "must be a customer id: letters, digits or '-'")
    ),
]


@router.get(
    "/customers",
    summary="Find a customer by email (viewer)",
    tags=["customers"],
    responses=problem_responses(
        422,
        503,
        links={
            "GetCustomer": link("GET", "/customers/{customer_id}", "Read it", customer_id=_FOUND),
            "PatchCustomer": link("PATCH", "/customers/{customer_id}", "Correct it", customer_id=_FOUND),
            "CustomerOrders": link(
                "GET", "/customers/{customer_id}/orders", "Its orders", customer_id=_FOUND
            ),
            "EraseCustomer": link("DELETE", "/customers/{customer_id}", "Erase it", customer_id=_FOUND),
        },
    ),
)
def find_customers(
    email: Annotated[Email, Query(description="Matched whatever its case or surrounding spaces")],
) -> Response[CustomerPage]:
    require(router, "viewer")
    return json_response(200, CustomerPage(items=wiring.customer_service().find_by_email(email)))


@router.get(
    "/customers/<customer_id>",
    summary="Read a customer (viewer)",
    tags=["customers"],
    responses=problem_responses(404, 422, 503, notes={404: "No such customer"}),
)
def get_customer(customer_id: CustomerId) -> Response[CustomerRecord]:
    require(router, "viewer")
    record = wiring.customer_service().get(customer_id)
    if record is None:
        raise not_found(f"Customer {customer_id}")
    return json_response(200, record)


@router.patch(
    "/customers/<customer_id>",
    summary="Correct a customer's details (staff): orders keep the details they were placed with",
    tags=["customers"],
    responses=problem_responses(
        404,
        409,
        503,
        success={200: "Corrected: the customer as it is now"},
        notes={404: "No such customer", 409: "Another customer has this email"},
        body=True,
    ),
)
def patch_customer(
    customer_id: CustomerId, patch: Annotated[CustomerPatch, Body()]
) -> Response[CustomerRecord]:
    require(router, "staff")
    result = wiring.customer_service().patch(customer_id, patch)
    if result is None:
        raise not_found(f"Customer {customer_id}")
    if isinstance(result, EmailInUse):
        raise ProblemError(409, "email-in-use", "Conflict", "Another customer has this email.")
    logger.info("customer corrected", customer_id=customer_id, fields=sorted(patch.model_fields_set))
    return json_response(200, result)


@router.get(
    "/customers/<customer_id>/orders",
    summary="A customer's orders, newest first (viewer)",
    tags=["customers"],
    responses=problem_responses(400, 404, 422, 503, notes={404: "No such customer"}),
)
def customer_orders(
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query(max_length=2048)] = None,
) -> Response[OrderPage]:
    require(router, "viewer")
    try:
        found = wiring.customer_service().orders(customer_id, next_token, limit)
    except InvalidCursor as exc:
        raise ProblemError(400, "invalid-next-token", "Bad Request", str(exc)) from exc
    if found is None:
        raise not_found(f"Customer {customer_id}")
    return json_response(200, OrderPage(items=found[0], next_token=found[1]))


@router.delete(
    "/customers/<customer_id>",
    summary="Erase a customer (admin): personal data leaves the customer and every order; totals stay",
    tags=["customers"],
    responses=problem_responses(
        404,
        422,
        503,
        success={200: "Erased (asking again answers the same)"},
        notes={
            404: "No such customer",
            503: "Busy, or some orders are not yet visible to the erasure: ask again after Retry-After",
        },
    ),
)
def erase_customer(customer_id: CustomerId) -> Response[Erasure]:
    require(router, "admin")
    result = wiring.customer_service().erase(customer_id)
    if result is None:
        raise not_found(f"Customer {customer_id}")
    if isinstance(result, ErasureIncomplete):
        raise ProblemError(
            503,
            "erasure-incomplete",
            "Service Unavailable",
            f"{result.seen} of the customer's {result.expected} orders were erased; ask again to finish.",
            headers={"Retry-After": "2"},
        )
    logger.info("customer erased", customer_id=customer_id, orders_erased=result.orders_erased)
    return json_response(200, result)
