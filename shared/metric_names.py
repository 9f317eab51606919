"""Names of metrics that more than the functions need to know: the stack's dashboard reads them too.

A module of constants only, so that the CDK app can import it without loading Powertools.
"""

from __future__ import annotations

ORDER_PLACED = "OrderPlaced"  # one per new order, with its channel: the dashboard's orders per channel
CHANNEL_DIMENSION = "channel"
# The webhooks function emits it when 3 days of failed deliveries disable an endpoint: an alarm reads it.
WEBHOOK_ENDPOINT_DISABLED_METRIC = "WebhookEndpointDisabled"
