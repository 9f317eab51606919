"""Logger, Tracer and Metrics shared by every function (service and namespace from the environment).

Rules for anything that logs: never log a request body, a customer, an address or an email.
Log identifiers (order_id, sku, channel, key_id) and outcomes only. Trace with
``capture_response=False, capture_error=False`` wherever an order may pass: X-Ray would keep a
response, or an exception object, as metadata.

Behind those rules, ``shared.masking`` masks personal data in every log record (``MaskingFormatter``)
and in every exception message X-Ray records for a traced function (``MaskedTraces``).
"""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from shared.masking import mask_record, mask_text

if TYPE_CHECKING:
    from aws_lambda_powertools.logging.types import LogRecord

# Reads and health checks publish no business metrics; that is expected, not worth a warning per call.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON formatter, with personal data masked in the finished record: the message, every
    extra and appended key, the exception with its traceback."""

    def serialize(self, log: LogRecord) -> str:
        return super().serialize(mask_record(log))


class MaskedTraces:
    """The X-Ray recorder, except that an exception leaving a traced function is recorded with its
    message masked (the SDK records ``str(exception)``, and pydantic's messages quote their input).

    Everything else is the recorder's own. Powertools Tracer calls ``in_subsegment`` around every
    ``capture_lambda_handler`` and ``capture_method``. Without a recorder (tracing off: the tests, the
    local stack, ``POWERTOOLS_TRACE_DISABLED``) nothing is recorded and the X-Ray SDK is never imported.
    """

    def __init__(self, recorder: Any | None) -> None:
        self._recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._recorder, name)

    @contextmanager
    def in_subsegment(self, name: str | None = None, **kwargs: Any) -> Iterator[Any]:
        if self._recorder is None:
            yield _UNRECORDED
            return
        # As aws_xray_sdk's SubsegmentContextManager, but recording the exception itself.
        subsegment = self._recorder.begin_subsegment(name=name, **kwargs)
        try:
            yield subsegment
        except BaseException as exc:
            if subsegment is not None:
                _record_masked(subsegment, exc, self._recorder.max_trace_back)
            raise
        finally:
            if subsegment is not None:
                self._recorder.end_subsegment()


class _Unrecorded:
    """The subsegment of a function traced with tracing off: what Powertools writes on it goes nowhere."""

    def put_annotation(self, key: str, value: Any) -> None:
        pass

    def put_metadata(self, key: str, value: Any, namespace: str = "default") -> None:
        pass


_UNRECORDED = _Unrecorded()


def _record_masked(subsegment: Any, exc: BaseException, max_trace_back: int | None) -> None:
    subsegment.add_exception(exc, traceback.extract_tb(exc.__traceback__, limit=max_trace_back))
    cause = getattr(subsegment, "cause", None)
    for recorded in cause.get("exceptions", []) if isinstance(cause, dict) else []:
        message = getattr(recorded, "message", None)
        if isinstance(message, str):
            recorded.message = mask_text(message)


def _tracer() -> Tracer:
    """Powertools Tracer recording through ``MaskedTraces``. With tracing off (Powertools' own rule:
    ``POWERTOOLS_TRACE_DISABLED``, or outside Lambda) it gets a recorder-less provider, so the X-Ray SDK
    (about 40 ms of imports) is never loaded; in Lambda the SDK's recorder, patching only botocore
    (patching every library Powertools knows imports requests and more at init)."""
    if Tracer._is_tracer_disabled():
        return Tracer(provider=MaskedTraces(None))  # type: ignore[arg-type]
    tracer = Tracer(patch_modules=["botocore"])
    tracer.provider = MaskedTraces(tracer.provider)  # type: ignore[assignment]
    return tracer


logger = Logger(logger_formatter=MaskingFormatter())
tracer = _tracer()
metrics = Metrics()


def count_order_placed(channel: str) -> None:
    """One new order on ``channel``: the metric ``OrderPlaced`` with the dimensions ``service`` and
    ``channel``, in an EMF record of its own (the function's other metrics keep their one dimension), so a
    graph can sum it per channel whatever the channels are. Channels are few (keys, connections, the
    marketplaces), so the dimension's values stay few too."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    from shared.metric_names import CHANNEL_DIMENSION, ORDER_PLACED

    dimensions = {"service": metrics.service} if metrics.service else None
    with single_metric(
        name=ORDER_PLACED, unit=MetricUnit.Count, value=1, default_dimensions=dimensions
    ) as metric:
        metric.add_dimension(name=CHANNEL_DIMENSION, value=channel)
