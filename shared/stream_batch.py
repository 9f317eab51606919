"""Stream batches handled in order: the first record that fails stops the batch.

For a consumer whose records of one item must be applied in order (an order's events, its sales
counters), a later record must never be handled before an earlier one that failed: Lambda retries
from the lowest sequence number reported failed, so every record after the failure is reported
failed too, untouched, and handled once, after it.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse, SuccessResponse


class NotTried(RuntimeError):
    """An earlier record of the batch failed: this one is left for the retry, untouched."""


class InOrderProcessor(BatchProcessor):
    """Powertools' BatchProcessor for a DynamoDB stream, stopping at the first failure (as its SQS FIFO
    processor does): the records after it are reported failed without being handled. Lambda retries
    from the lowest sequence number reported, so what follows a failure is handled once, after it."""

    _not_tried = (NotTried, NotTried("an earlier record of the batch failed"), None)

    def __init__(self) -> None:
        super().__init__(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        if self.fail_messages:
            return self.failure_handler(
                record=self._to_batch_type(record, event_type=self.event_type, model=self.model),
                exception=self._not_tried,
            )
        return super()._process_record(record)
