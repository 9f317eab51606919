"""Lambda entry point of the warehouse stock feed (SQS event source mapping, partial batch responses).

The batch is applied as a whole so updates of one SKU and location are coalesced into one write
(Powertools' BatchProcessor handles records one at a time, which would cost a write each): each
record is parsed, poison goes to the dead-letter queue at once with its reason, the rest is applied
per SKU and location, and the records of a group that failed transiently are reported as batch item
failures so SQS delivers only those again. One bad message never fails its neighbours.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.stock_updates import wiring
from shared.dal.queues import carried_reasons
from shared.domain.inventory import StockChange
from shared.observability import logger, metrics, tracer
from shared.services.messages import Poison
from shared.services.stock import Applied, Failed, Refused
from shared.services.stock_feed import parse_stock_message

SOURCE = "oms-stock-updates"
# Below this much time left, groups are handed back rather than started (see marketplace_feed).
MIN_REMAINING_MS = 10_000


wiring.stock_service()  # clients are created once, during init
wiring.dead_letters()  # its queue's URL is checked now; its SQS client is made on the first poison


def _park(body: str, message_id: str, reason: str, previous_reasons: str | None) -> bool:
    """Move a message that can never apply to the DLQ with its reason (and the reasons a redriven copy
    carried); False when the DLQ could not take it (the message then stays on its queue, to be retried)."""
    try:
        wiring.dead_letters().send(
            body,
            reason=reason,
            source_message_id=message_id,
            source=SOURCE,
            previous_reasons=previous_reasons,
        )
    except Exception as exc:
        logger.warning("could not park a stock update", message_id=message_id, error=type(exc).__name__)
        return False
    metrics.add_metric(name="StockUpdateRejected", unit=MetricUnit.Count, value=1)
    logger.warning(
        "stock update rejected: moved to the dead-letter queue", message_id=message_id, reason=reason
    )
    return True


@tracer.capture_method(capture_response=False, capture_error=False)
def handle(event: SQSEvent, context: LambdaContext | None) -> list[str]:
    """The message ids SQS should deliver again."""
    retry: list[str] = []
    bodies: dict[str, str] = {}
    history: dict[str, str | None] = {}
    changes: list[StockChange] = []
    now = datetime.now(UTC)
    for record in event.records:
        parsed = parse_stock_message(record.body, now=now, ref=record.message_id)
        history[record.message_id] = carried_reasons(record)
        if isinstance(parsed, Poison):
            if not _park(record.body, record.message_id, parsed.reason, history[record.message_id]):
                retry.append(record.message_id)
            continue
        bodies[record.message_id] = record.body
        changes.append(parsed)

    def keep_going() -> bool:
        return context is None or context.get_remaining_time_in_millis() >= MIN_REMAINING_MS

    for group in wiring.stock_service().apply_batch(changes, keep_going=keep_going):
        result = group.result
        if isinstance(result, Applied):
            metrics.add_metric(
                name="StockUpdateApplied", unit=MetricUnit.Count, value=len(result.plan.applied)
            )
            for skipped in result.plan.skipped:
                metrics.add_metric(name="StockUpdateIgnored", unit=MetricUnit.Count, value=1)
                logger.info(
                    "stock update ignored",
                    message_id=skipped.change.ref,
                    update_id=skipped.change.update_id,
                    sku=group.sku,
                    location=group.location,
                    reason=skipped.reason,
                )
        elif isinstance(result, Refused):
            retry += [
                c.ref for c in group.changes if not _park(bodies[c.ref], c.ref, result.reason, history[c.ref])
            ]
        else:
            reason = result.error if isinstance(result, Failed) else "too little time left in this invocation"
            metrics.add_metric(name="StockUpdateRetried", unit=MetricUnit.Count, value=len(group.changes))
            logger.warning(
                "stock updates will be retried",
                sku=group.sku,
                location=group.location,
                reason=reason,
                count=len(group.changes),
            )
            retry += [change.ref for change in group.changes]
    return retry


@logger.inject_lambda_context
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    retry = handle(SQSEvent(event), context)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in dict.fromkeys(retry)]}
