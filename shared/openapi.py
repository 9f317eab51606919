"""What the OpenAPI document says a route answers: its successes and every problem it can return.

Every route declares ``responses=problem_responses(...)``: the statuses it answers itself, on top of
the ones every route can meet. Every error is documented as it is served, ``application/problem+json``
with the one ``Problem`` schema (shared.models.common). ``finish_document`` then removes what
Powertools adds on its own: the ``HTTPValidationError`` 422 (we never send that shape) and its schemas.

Statuses, and where each comes from:
- 401 no key, or an unknown or revoked one (the gateway's authorizer); 403 the key's role may not use
  the route (the route, or the gateway's Deny); 429 throttled (the gateway, per channel key); 500 and
  502 a failure (the function's own problem, or the gateway's when the function failed): every route
  but a public one meets them, and 429/500/502 meet public routes too.
- 400, 413 and 415 come with a body (``shared.http.guard_request``, before routing: not JSON, not
  UTF-8, too large, too deeply nested, not application/json), and 422 with any field to validate.
- 404, 409, 503 and the rest are the route's own: it names them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.models.common import Problem
from shared.problems import PROBLEM_JSON

# What each status means, when the route says nothing more specific.
STATUS_MEANINGS: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "Done: no content",
    400: "Bad Request: the body is not JSON (or nested too deeply), or a next_token this API did not issue",
    401: "Unauthorized: no X-Api-Key, or one that is unknown or revoked",
    403: "Forbidden: this key's role may not use this operation",
    404: "Not Found",
    409: "Conflict",
    413: "Content Too Large: the body is over the limit",
    415: "Unsupported Media Type: send the body as application/json",
    422: "Unprocessable Content: errors names every invalid field and says what it must be",
    429: "Too Many Requests: this key is over its rate; retry after Retry-After seconds",
    500: "Internal Server Error: quote request_id when you report it",
    502: "Bad Gateway: the function failed; quote request_id when you report it",
    503: "Service Unavailable: busy; retry after Retry-After seconds",
}
AUTHENTICATED = (401, 403)
ALWAYS = (429, 500, 502)
WITH_BODY = (400, 413, 415, 422)
_RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
# An operation anyone may call: it overrides the document's global ApiKey requirement.
PUBLIC: dict[str, Any] = {"security": []}


def problem_responses(
    *statuses: int,
    success: Mapping[int, str] | None = None,
    notes: Mapping[int, str] | None = None,
    body: bool = False,
    public: bool = False,
    links: Mapping[str, Any] | None = None,
) -> dict[int, Any]:
    """The ``responses=`` of a route: its successes (the route's return type; 204 empty) and its problems.

    ``statuses`` are the problems the route answers itself (e.g. 404, 409, 422); ``body`` adds a
    request body's (400, 413, 415, 422); ``public`` drops 401 and 403; ``notes`` says, per status, when
    this route answers it; ``links`` (see ``link``) go on every success: what a client, or a stateful
    test, may call next with what it got.
    """
    notes = notes or {}
    answers: dict[int, Any] = {}
    for status, meaning in (success or {200: STATUS_MEANINGS[200]}).items():
        answers[status] = {"description": notes.get(status, meaning)}
        if status == 204:
            answers[status]["content"] = {}
        elif links:
            answers[status]["links"] = dict(links)
    problems = set(statuses) | set(ALWAYS) | (set() if public else set(AUTHENTICATED))
    if body:
        problems |= set(WITH_BODY)
    for status in sorted(problems):
        if not 400 <= status <= 599:
            raise ValueError(f"{status} is not an error status: pass successes as success=")
        answers[status] = problem_response(notes.get(status, STATUS_MEANINGS.get(status, "An error")))
        if status in (429, 503):
            answers[status]["headers"] = dict(_RETRY_AFTER)
    return dict(sorted(answers.items()))


def link(method: str, path: str, description: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to the operation ``method path``, its parameters taken from this response.

    ``link("GET", "/orders/{order_id}", "Read the order", order_id="$response.body#/order_id")``
    """
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "description": description,
        "parameters": parameters,
    }


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"model": Problem}}}


# The shapes of Powertools' own validation errors: this API answers Problem instead.
_POWERTOOLS_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def finish_document(document: dict[str, Any]) -> dict[str, Any]:
    """The document Powertools generated, without the 422 shape it documents but we never send.

    Powertools adds a 422 ``HTTPValidationError`` (application/json) to every operation of a validating
    resolver; ``problem_responses`` replaces it wherever a route can answer 422, and it goes here from
    the few that cannot (no parameter, no body), with its two schemas.
    """
    for operation in _operations(document):
        responses = operation.get("responses", {})
        for status in [s for s, r in responses.items() if _refers_to_powertools_error(r)]:
            del responses[status]
    schemas = document.get("components", {}).get("schemas", {})
    for name in _POWERTOOLS_SCHEMAS:
        schemas.pop(name, None)
    return document


def _refers_to_powertools_error(response: Mapping[str, Any]) -> bool:
    return any(
        media.get("schema", {}).get("$ref", "").endswith(f"/{_POWERTOOLS_SCHEMAS[0]}")
        for media in response.get("content", {}).values()
    )


def _operations(document: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in ("get", "put", "post", "patch", "delete", "head", "options"):
                yield operation


# --- the webhooks section (OpenAPI 3.1): what the OMS POSTs to staff's endpoints -------------------------

WEBHOOKS_DESCRIPTION = (
    "Signed deliveries to the endpoints admins register (POST /webhooks), following Standard Webhooks: "
    "the body is the envelope {type, timestamp, data}; webhook-id names the delivery (the same on every "
    "retry and replay: deduplicate on it), webhook-timestamp is the attempt's time (Unix seconds; refuse "
    "one older than 5 minutes) and webhook-signature is v1,<base64 HMAC-SHA256 of "
    "'{id}.{timestamp}.{body}'> with the endpoint's whsec_ secret; while a rotated-out secret still signs"
    " (24 hours) both signatures are sent, space-separated. Answer 2xx within 10 seconds; a 5xx, a 429, a"
    " timeout or a network error is retried with exponential backoff and jitter for more than a day, any "
    "other answer (a redirect too: none is followed) is recorded and not retried. Delivery order is not "
    "guaranteed: order.* data carries the order's integer version, which every change increments; drop a "
    "payload whose version is not newer than the last one you saw for that order."
)


def webhook_headers() -> list[dict[str, Any]]:
    return [
        {
            "name": "webhook-id",
            "in": "header",
            "required": True,
            "description": "The delivery's id (msg_...): the same on every attempt and replay of it",
            "schema": {"type": "string"},
        },
        {
            "name": "webhook-timestamp",
            "in": "header",
            "required": True,
            "description": "When this attempt was signed (Unix seconds): refuse one more than 5 minutes off",
            "schema": {"type": "string"},
        },
        {
            "name": "webhook-signature",
            "in": "header",
            "required": True,
            "description": "v1,<base64 signature>; two, space-separated, during a secret's rotation",
            "schema": {"type": "string"},
        },
    ]


def webhooks_section(document: dict[str, Any]) -> dict[str, Any]:
    """The document's ``webhooks``: one POST per event type, with its envelope, its ``data`` schema (added to
    the components) and the signature headers. Order events refer to the ``Order`` schema GET /orders/{id}
    answers with."""
    from shared.models import events
    from shared.models.webhooks import Envelope

    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (events.StockLow, events.ImportFinished, events.WebhookEndpointDisabled):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas.setdefault(model.__name__, schema)
    envelope = Envelope.model_json_schema(ref_template="#/components/schemas/{model}")
    order = {"$ref": "#/components/schemas/Order"}
    data: dict[str, tuple[dict[str, Any], str]] = {
        "order.created": (order, "An order was recorded (CONFIRMED, or BACKORDERED when stock was short)"),
        "order.status_changed": (order, "An order's status changed"),
        "order.shipped": (order, "A shipment of the order left (one delivery per shipment)"),
        "stock.low": (
            {
                "allOf": [
                    {"$ref": "#/components/schemas/StockLow"},
                    {
                        "type": "object",
                        "properties": {
                            "text": {"type": "string", "description": "A line Slack shows as it is"}
                        },
                        "required": ["text"],
                    },
                ]
            },
            "A SKU's available stock fell to its low-stock threshold (a Slack incoming webhook shows text)",
        ),
        "import.finished": ({"$ref": "#/components/schemas/ImportFinished"}, "An import run ended"),
        "webhook.endpoint_disabled": (
            {"$ref": "#/components/schemas/WebhookEndpointDisabled"},
            "Another endpoint was disabled after its deliveries failed for 3 days",
        ),
    }
    section: dict[str, Any] = {}
    for event_type, (schema, summary) in data.items():
        body = {
            "type": "object",
            "description": envelope.get("description", ""),
            "properties": {
                "type": {"const": event_type},
                "timestamp": envelope["properties"]["timestamp"],
                "data": schema,
            },
            "required": ["type", "timestamp", "data"],
        }
        section[event_type] = {
            "post": {
                "summary": summary,
                "description": WEBHOOKS_DESCRIPTION,
                "tags": ["webhooks"],
                "operationId": f"webhook_{event_type.replace('.', '_')}",
                "parameters": webhook_headers(),
                "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                "responses": {
                    "200": {"description": "Any 2xx: received (answer within 10 seconds)"},
                    "429": {"description": "Retried later, as a 5xx is"},
                    "500": {"description": "Any 5xx: retried later with backoff"},
                },
                "security": [],
            }
        }
    return section
