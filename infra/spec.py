"""The one description of the system's resources and functions.

Both runtimes read this module and nothing else to decide what exists and what is wired to what:

* ``infra/stack.py`` (CDK) turns it into tables, Lambda functions, API Gateway routes, the
  authorizer and least-privilege grants;
* ``infra/local`` (``make run``) turns it into tables on the embedded AWS endpoint, the HTTP
  gateway on port 3000 and one worker process per function with that function's environment.

Adding a route or a function is one entry here plus its handler; the two runtimes cannot
disagree about the wiring. Keep this module free of CDK and boto3 imports: it is pure data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

SERVICE_NAME = "oms"
METRICS_NAMESPACE = "OMS"
RUNTIME = "python3.13"
# The AWS-managed Powertools layer the functions run with; pyproject.toml pins the same version.
POWERTOOLS_VERSION = "3.37.0"

Access = Literal["read", "write", "read_write"]


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class Table:
    """A DynamoDB table. String keys only; every index projects all attributes."""

    id: str  # logical id: used for CDK construct ids and as the reference in `Uses`
    env_var: str  # the environment variable that carries the table's name to a function
    local_name: str  # the physical name on the local stack (CDK lets CloudFormation name it)
    partition_key: str = "pk"
    sort_key: str | None = "sk"
    indexes: tuple[Index, ...] = ()
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class Uses:
    table: Table
    access: Access


@dataclass(frozen=True)
class Route:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str  # API Gateway syntax: /orders/{order_id}
    authorized: bool = True  # False: no X-Api-Key needed (only /health)


@dataclass(frozen=True)
class Function:
    name: str  # folder under functions/; also the Lambda function's logical id
    description: str
    routes: tuple[Route, ...] = ()
    uses: tuple[Uses, ...] = ()
    memory_mb: int = 512
    timeout_s: int = 10
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def handler(self) -> str:
        """The Lambda handler string, relative to the repository root (the asset root)."""
        return f"functions.{self.name}.handler.lambda_handler"


# --- tables -------------------------------------------------------------------------------

ORDERS = Table(
    id="Orders",
    env_var="OMS_ORDERS_TABLE",
    local_name="oms-orders",
    indexes=(
        # All four are sparse: only order items carry these attributes, never dedup records.
        Index("by_channel", "channel", "created_key"),
        Index("by_status", "status", "created_key"),
        Index("by_channel_status", "channel_status", "created_key"),
        Index("by_day", "created_day", "created_key"),
    ),
    ttl_attribute="expires_at",  # idempotency-key records expire; orders never carry it
)

CATALOG = Table(
    id="Catalog",
    env_var="OMS_CATALOG_TABLE",
    local_name="oms-catalog",
)

API_KEYS = Table(
    id="ApiKeys",
    env_var="OMS_API_KEYS_TABLE",
    local_name="oms-api-keys",
    sort_key=None,
)

TABLES: tuple[Table, ...] = (ORDERS, CATALOG, API_KEYS)

# --- functions ----------------------------------------------------------------------------

AUTHORIZER = Function(
    name="authorizer",
    description="API Gateway request authorizer: X-Api-Key -> role and channel",
    uses=(Uses(API_KEYS, "read"),),
    memory_mb=256,
    timeout_s=5,
)

API = Function(
    name="api",
    description="The HTTP API: catalog, stock and orders",
    routes=(
        Route("GET", "/health", authorized=False),
        Route("GET", "/openapi.json"),
        Route("GET", "/swagger"),
        Route("GET", "/products/{sku}"),
        Route("PUT", "/products/{sku}"),
        Route("GET", "/inventory/{sku}"),
        Route("PUT", "/inventory/{sku}"),
        Route("GET", "/orders"),
        Route("POST", "/orders"),
        Route("GET", "/orders/{order_id}"),
    ),
    uses=(Uses(ORDERS, "read_write"), Uses(CATALOG, "read_write")),
    memory_mb=1024,
    timeout_s=10,
)

FUNCTIONS: tuple[Function, ...] = (AUTHORIZER, API)


def function(name: str) -> Function:
    for fn in FUNCTIONS:
        if fn.name == name:
            return fn
    raise KeyError(f"no function named {name!r} in infra/spec.py")


def base_environment(fn: Function) -> dict[str, str]:
    """Environment shared by both runtimes; each adds only physical table names."""
    return {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "OMS_FUNCTION": fn.name,
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",  # responses hold personal data
        **fn.environment,
    }


def function_environment(fn: Function, table_name: Callable[[Table], str]) -> dict[str, str]:
    """The whole environment of a function: the base plus one name per table it uses, and no other."""
    return {**base_environment(fn), **{use.table.env_var: table_name(use.table) for use in fn.uses}}
