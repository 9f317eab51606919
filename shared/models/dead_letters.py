"""Dead letters: the API's shapes for listing, redriving and deleting them, and the environment that
tells a function which dead-letter queues it handles (its name: ``shared.config.DEAD_LETTERS_ENV``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from shared.models.common import Model, StrictModel

MAX_IDS = 100
MessageId = Annotated[str, Field(min_length=1, max_length=100, description="The SQS message id")]


class DeadLetterQueueConfig(Model):
    url: str
    redrive_to: str | None = None


class DeadLetterQueueView(Model):
    queue: str = Field(description="The queue's public name: the {queue} of the other routes")
    redrivable: bool = Field(description="False: list and delete only (stream pointers, scheduled runs)")
    approximate_depth: int = Field(description="Messages available (SQS ApproximateNumberOfMessages)")
    approximate_in_flight: int = Field(
        description="Messages received and not yet deleted or released "
        "(ApproximateNumberOfMessagesNotVisible)"
    )


class DeadLetterQueues(Model):
    items: list[DeadLetterQueueView]


class DeadLetterView(Model):
    message_id: str
    reason: str | None = Field(
        description="Why it is here: the consumer's oms_reason, EventBridge Scheduler's error, the stream "
        "mapping's condition, or SQS's own move after too many receives"
    )
    previous_reasons: list[str] = Field(
        default_factory=list, description="Reasons of earlier failures, oldest first (kept across redrives)"
    )
    receive_count: int = Field(
        description="SQS ApproximateReceiveCount: every receive, in the source queue and here (peeks too)"
    )
    first_seen_at: str = Field(description="When SQS first received the message (SentTimestamp, UTC)")
    attributes: dict[str, str] = Field(
        default_factory=dict, description="Its string message attributes, personal data masked"
    )
    body: Any = Field(description="The message body (JSON when it is JSON), personal data masked")


class DeadLetterListing(Model):
    queue: str
    redrivable: bool
    approximate_depth: int
    messages: list[DeadLetterView] = Field(
        description="Up to `limit` messages, in no particular order (a sample when the queue holds more)"
    )


# What the document says of each member: present or absent, never null (JSON Schema cannot say "one of the
# two" with nullable members), and exactly one of them (``oneOf`` below).
_IDS_SCHEMA = {
    "type": "array",
    "items": {"type": "string", "minLength": 1, "maxLength": 100, "description": "An SQS message id"},
    "minItems": 1,
    "maxItems": MAX_IDS,
}
_ALL_SCHEMA = {"const": True}


class Selection(StrictModel):
    """Which messages: ``{"ids": [...]}`` or ``{"all": true}``, never both, never neither."""

    ids: Annotated[list[MessageId] | None, WithJsonSchema(_IDS_SCHEMA)] = Field(
        default=None, min_length=1, max_length=MAX_IDS
    )
    all: Annotated[Literal[True] | None, WithJsonSchema(_ALL_SCHEMA)] = None

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["ids"]}, {"required": ["all"]}]})

    @model_validator(mode="after")
    def _one_of(self) -> Selection:
        sent = self.model_fields_set
        if len(sent) != 1 or getattr(self, next(iter(sent))) is None:
            raise ValueError('send either "ids" (a list of message ids) or "all": true')
        return self


class DeadLetterOutcome(Model):
    queue: str
    action: Literal["redrive", "delete"]
    done: list[str] = Field(
        description="Message ids redriven (sent to the source queue, then deleted) or deleted"
    )
    not_found: list[str] = Field(
        default_factory=list,
        description="Ids asked for and not met in the messages searched: gone already, held by another "
        "receiver at that moment, or beyond the search when `complete` is false",
    )
    searched: int = Field(description="Messages received while searching (one ReceiveMessage per 10)")
    complete: bool = Field(
        description="True: the queue was searched to its end; false: the search stopped at its bound of "
        "rounds or time, so call again for the rest"
    )
