"""One CloudWatch dashboard for operating the OMS: orders, replays, refusals, backorders, dead letters, the
API and the functions.

The business graphs read the metrics the functions emit through Powertools (namespace of the stage,
dimension ``service``), by the names they emit them under (``APP_METRICS``; tests/infra/test_alarms.py checks
each one is emitted). Where the code emits no metric for what a graph wants, the graph says so and shows the
closest one that exists:

* orders per minute by *channel*: ``OrderPlaced`` (``shared.observability.count_order_placed``) carries
  the channel as a dimension, one record per new order from the API or the feed; the graph is a SEARCH over
  it, so a new channel appears without an edit here. A second graph splits orders by how they came (the
  API's OrderCreated, the feed's FeedOrderCreated/FeedOrderBackordered, the hooks' HookAccepted per
  platform);
* backorders *waiting*: no gauge exists. The graph shows backorders placed (FeedOrderBackordered) against
  backorders confirmed when stock arrived (BackorderConfirmed).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from infra import spec
from infra.constructs.alarms import app_metric
from infra.constructs.api import Api
from infra.constructs.functions import Functions
from infra.constructs.queues import Queues
from shared.domain.hooks import PLATFORMS
from shared.metric_names import CHANNEL_DIMENSION, ORDER_PLACED

DASHBOARD_NAME = "oms-operations"  # in a stage: spec.stage_name
ORDERS_BY_CHANNEL = "Orders placed per minute, by channel"
MINUTE = Duration.minutes(1)
WIDTH = 12  # two graphs a row (the grid is 24 wide)
HEIGHT = 6

# The functions' metrics the dashboard reads, as the code emits them.
ORDER_CREATED = "OrderCreated"  # functions/api/routes/orders.py: an order placed over HTTP
ORDER_REPLAYED = "OrderReplayed"  # ... the same Idempotency-Key and body again
ORDER_OUT_OF_STOCK = "OrderOutOfStock"  # ... refused 409 out-of-stock
FEED_ORDER_CREATED = "FeedOrderCreated"  # functions/marketplace_feed: FeedOrder{outcome}
FEED_ORDER_BACKORDERED = "FeedOrderBackordered"
FEED_ORDER_REPLAYED = "FeedOrderReplayed"
BACKORDER_CONFIRMED = "BackorderConfirmed"  # functions/inventory_events: stock arrived for a backorder
HOOK_ACCEPTED = "HookAccepted"  # functions/hooks: per platform
HOOK_DUPLICATE = "HookDuplicate"
APP_METRICS = (
    ORDER_CREATED,
    ORDER_REPLAYED,
    ORDER_OUT_OF_STOCK,
    FEED_ORDER_CREATED,
    FEED_ORDER_BACKORDERED,
    FEED_ORDER_REPLAYED,
    BACKORDER_CONFIRMED,
    HOOK_ACCEPTED,
    HOOK_DUPLICATE,
)


def orders_by_channel(stage: str) -> str:
    """A CloudWatch SEARCH: every channel's ``OrderPlaced`` of the stage, summed per minute, a line each."""
    schema = f'{{"{spec.metrics_namespace(stage)}",{CHANNEL_DIMENSION},service}}'
    return f"SEARCH('{schema} MetricName=\"{ORDER_PLACED}\" service=\"{spec.SERVICE_NAME}\"', 'Sum', 60)"


class Dashboard(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        queues: Queues,
        functions: Functions,
        api: Api,
    ) -> None:
        super().__init__(scope, construct_id)
        self._stage = stage
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Resource",
            dashboard_name=spec.stage_name(DASHBOARD_NAME, stage),
            default_interval=Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=ORDERS_BY_CHANNEL,
                left=[
                    cloudwatch.MathExpression(
                        expression=orders_by_channel(stage),
                        label="",  # each line is named by its channel
                        period=MINUTE,
                        using_metrics={},
                    )
                ],
                width=2 * WIDTH,
                height=HEIGHT,
            )
        )
        self.dashboard.add_widgets(
            self._graph(
                "Orders per minute, by how they came (API, marketplace feed, webhooks)",
                [
                    self._count(ORDER_CREATED, "API"),
                    self._count(FEED_ORDER_CREATED, "marketplace feed"),
                    self._count(FEED_ORDER_BACKORDERED, "marketplace feed, backordered"),
                    *(self._count(HOOK_ACCEPTED, f"{p} webhook", platform=p) for p in PLATFORMS),
                ],
            ),
            self._graph(
                "Replays per minute (the same order sent again, answered from the first)",
                [
                    self._count(ORDER_REPLAYED, "API"),
                    self._count(FEED_ORDER_REPLAYED, "marketplace feed"),
                    *(self._count(HOOK_DUPLICATE, f"{p} webhook", platform=p) for p in PLATFORMS),
                ],
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Orders refused out of stock (API, 409) per minute",
                [self._count(ORDER_OUT_OF_STOCK, "out of stock")],
            ),
            self._graph(
                "Backorders: placed vs confirmed (no gauge of those waiting exists)",
                [
                    self._count(FEED_ORDER_BACKORDERED, "placed (marketplace feed)"),
                    self._count(BACKORDER_CONFIRMED, "confirmed (stock arrived)"),
                ],
            ),
        )
        self.dashboard.add_widgets(
            self._graph(
                "Dead-letter and failures queues: messages waiting",
                [
                    queues.by_id[queue_id].metric_approximate_number_of_messages_visible(
                        label=queue_id, period=MINUTE, statistic=cloudwatch.Stats.MAXIMUM
                    )
                    for queue_id in queues.alarms
                ],
            ),
            self._graph(
                "API latency (ms)",
                [
                    api.rest_api.deployment_stage.metric_latency(
                        label=f"latency {stat}", period=MINUTE, statistic=stat
                    )
                    for stat in (cloudwatch.Stats.p(50), cloudwatch.Stats.p(99))
                ]
                + [
                    api.rest_api.deployment_stage.metric_integration_latency(
                        label="in the function p99", period=MINUTE, statistic=cloudwatch.Stats.p(99)
                    )
                ],
            ),
        )
        stage_metrics = api.rest_api.deployment_stage
        self.dashboard.add_widgets(
            self._graph(
                "API requests and errors per minute",
                [
                    stage_metrics.metric_count(
                        label="requests", period=MINUTE, statistic=cloudwatch.Stats.SUM
                    ),
                    stage_metrics.metric_client_error(
                        label="4XX", period=MINUTE, statistic=cloudwatch.Stats.SUM
                    ),
                    stage_metrics.metric_server_error(
                        label="5XX", period=MINUTE, statistic=cloudwatch.Stats.SUM
                    ),
                ],
            ),
            self._graph(
                "Function duration p99 (ms)",
                [
                    functions.function(fn).metric_duration(
                        label=fn.name, period=MINUTE, statistic=cloudwatch.Stats.p(99)
                    )
                    for fn in spec.FUNCTIONS
                ],
            ),
        )

    def _count(self, name: str, label: str, **dimensions: str) -> cloudwatch.Metric:
        return app_metric(name, self._stage, **dimensions).with_(label=label, period=MINUTE)

    @staticmethod
    def _graph(title: str, metrics: list[cloudwatch.Metric]) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH, height=HEIGHT)
