"""The notifications function's collaborators, built once per execution environment."""

from __future__ import annotations

import os
from collections.abc import Callable

from shared.aws import client, once
from shared.config import (
    CATALOG_TABLE_ENV,
    CONNECTIONS_TABLE_ENV,
    DEFAULT_SENDER_EMAIL,
    NOTIFICATIONS_TABLE_ENV,
    ORDERS_TABLE_ENV,
    PUBLIC_URL_ENV,
    SENDER_EMAIL_ENV,
    SES_CONFIGURATION_SET_ENV,
    TRACKING_KEY_ENV,
    required,
)
from shared.dal.connections import ConnectionStore
from shared.dal.mailer import SesMailer
from shared.dal.notifications import NotificationStore
from shared.dal.orders import OrderStore
from shared.services.notifications import Notifier


@once
def tracking_link() -> Callable[[str], str]:
    """Order id -> its signed tracking link (``TrackingLinks.token``: KMS GenerateMac), under the API's
    public URL. Built on the first customer email (a staff email or a bounce needs no KMS client)."""
    from shared.domain.tracking_page import link
    from shared.services.tracking_links import TrackingLinks

    links = TrackingLinks(client("kms"), required(TRACKING_KEY_ENV))
    base_url = required(PUBLIC_URL_ENV)

    def signed(order_id: str) -> str:
        return link(base_url, links.token(order_id))

    return signed


@once
def notifier() -> Notifier:
    dynamodb = client("dynamodb")
    return Notifier(
        store=NotificationStore(dynamodb, required(NOTIFICATIONS_TABLE_ENV)),
        # GetItem of the order only: the catalog table is never touched.
        orders=OrderStore(dynamodb, required(ORDERS_TABLE_ENV), os.environ.get(CATALOG_TABLE_ENV, "")),
        connections=ConnectionStore(dynamodb, required(CONNECTIONS_TABLE_ENV)),
        mailer=SesMailer(
            client("ses"),
            os.environ.get(SENDER_EMAIL_ENV) or DEFAULT_SENDER_EMAIL,
            os.environ.get(SES_CONFIGURATION_SET_ENV) or None,
        ),
        tracking_link=_link,
    )


def _link(order_id: str) -> str:
    return tracking_link()(order_id)  # built on the first customer email
