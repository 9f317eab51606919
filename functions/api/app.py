"""The API's router: every route of this function, its validation and its problem handlers."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from functions.api.routes import catalog, meta, orders
from shared.http import register_problem_handlers, staff_only

TITLE = "Order Management System API"
VERSION = "1.0.0"

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(meta.router)
app.include_router(catalog.router)
app.include_router(orders.router)
register_problem_handlers(app)


def _staff_docs(app: APIGatewayRestResolver, next_middleware):  # type: ignore[no-untyped-def]
    staff_only(app)
    return next_middleware(app)


app.enable_swagger(path="/swagger", title=TITLE, version=VERSION, middlewares=[_staff_docs])


@cache
def openapi_json() -> str:
    """Built on first use, not at init: generating the document is the API's costliest import work."""
    return app.get_openapi_json_schema(title=TITLE, version=VERSION)
