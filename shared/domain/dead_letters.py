"""Dead letters, decided without I/O: why a message is there, what its redriven copy carries, and what
staff may see of it.

Who writes the reason:
* ``marketplace_feed`` and ``stock_updates`` park poison with ``oms_reason`` (plus ``oms_source`` and
  ``oms_source_message_id``), the body untouched (``shared/dal/queues.py``);
* SQS moves a message after ``maxReceiveCount`` receives, attributes as they were, no reason added;
* EventBridge Scheduler adds ``ERROR_CODE`` and ``ERROR_MESSAGE``;
* a stream mapping (and Lambda's on-failure destination) writes a JSON record whose
  ``requestContext.condition`` says why (``RetryAttemptsExhausted``...).

A redriven copy carries the earlier reasons in ``oms_previous_reasons`` (JSON, oldest first) and no
``oms_reason``: the consumers read bodies only, never attributes, so nothing there can confuse them, and a
copy that SQS moves back after more failed receives is not mistaken for the old poison. A copy the consumer
parks again gets its new ``oms_reason`` and keeps the ``oms_previous_reasons`` it carried
(``shared/dal/queues.py``), so a listing shows the whole history.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.json_depth import too_deep
from shared.masking import mask, mask_text

REASON = "oms_reason"
PREVIOUS_REASONS = "oms_previous_reasons"
# What the consumer adds when it parks a message: not carried to the redriven copy.
PARKING_ATTRIBUTES = frozenset({REASON, "oms_source", "oms_source_message_id"})
MAX_ATTRIBUTES = 10  # SQS's limit of message attributes per message
MAX_HISTORY = 5  # the newest reasons kept
_ATTRIBUTE_LIMIT = 1024
MOVED_BY_SQS = "moved by SQS after too many failed receives (the consumer attached no reason)"


def reason_of(attributes: dict[str, str], body: str, *, has_source: bool) -> str | None:
    """Why the message is here, in the words of whoever put it here; None when nothing says."""
    if attributes.get(REASON):
        return attributes[REASON]
    if attributes.get("ERROR_CODE") or attributes.get("ERROR_MESSAGE"):
        return ": ".join(v for v in (attributes.get("ERROR_CODE"), attributes.get("ERROR_MESSAGE")) if v)
    condition = _condition(body)
    if condition:
        return condition
    return MOVED_BY_SQS if has_source else None


def _condition(body: str) -> str | None:
    """A Lambda on-failure record: ``requestContext.condition``, with the function's error type if any."""
    if too_deep(body):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    context = document.get("requestContext")
    if not isinstance(context, dict) or not isinstance(context.get("condition"), str):
        return None
    response = document.get("responsePayload")
    error = response.get("errorType") if isinstance(response, dict) else None
    return f"{context['condition']}: {error}" if isinstance(error, str) else str(context["condition"])


def previous_reasons(attributes: dict[str, str]) -> list[str]:
    try:
        history = json.loads(attributes.get(PREVIOUS_REASONS) or "[]")
    except ValueError:
        return []
    return [str(r) for r in history] if isinstance(history, list) else []


def redrive_attributes(
    raw: dict[str, dict[str, Any]], attributes: dict[str, str], reason: str | None
) -> dict[str, dict[str, Any]]:
    """The message attributes of a redriven copy: the producer's own, kept as sent, and the reason history
    (earlier reasons and this one, the newest ``MAX_HISTORY``) instead of the parking attributes."""
    history = previous_reasons(attributes)
    if reason:
        history.append(reason)
    kept = {
        name: {k: v for k, v in value.items() if k in ("DataType", "StringValue", "BinaryValue")}
        for name, value in raw.items()
        if name not in PARKING_ATTRIBUTES and name != PREVIOUS_REASONS
    }
    if history:
        history = history[-MAX_HISTORY:]
        text = json.dumps(history)
        while len(text) > _ATTRIBUTE_LIMIT and len(history) > 1:
            history = history[1:]
            text = json.dumps(history)
        kept[PREVIOUS_REASONS] = {"DataType": "String", "StringValue": text[:_ATTRIBUTE_LIMIT]}
        # Room for the history first: SQS refuses a message with more than 10 attributes.
        others = [n for n in kept if n != PREVIOUS_REASONS]
        names = [PREVIOUS_REASONS, *others[: MAX_ATTRIBUTES - 1]]
        kept = {n: kept[n] for n in names}
    return kept


def masked_body(body: str) -> Any:
    """The body as staff see it: JSON with every personal value masked, or masked text. A body nested
    deeper than the system reads anywhere (``shared.json_depth``; the feeds park such messages here) is
    shown as text: parsed, it could not be masked or served without recursing that deep."""
    if too_deep(body):
        return mask_text(body)
    try:
        return mask(json.loads(body))
    except ValueError:  # not JSON
        return mask_text(body)


def masked_attributes(attributes: dict[str, str]) -> dict[str, str]:
    return {name: str(mask(value, name)) for name, value in attributes.items()}


def first_seen(sent_at_ms: int) -> str:
    from shared.domain.moments import utc_text  # listings only: the consumers that park messages never

    return utc_text(datetime.fromtimestamp(sent_at_ms / 1000, UTC))
