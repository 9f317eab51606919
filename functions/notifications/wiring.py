"""The notifications function's collaborators, built once per execution environment."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from shared import config
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
    required,
)
from shared.dal.connections import ConnectionStore
from shared.dal.mailer import SesMailer
from shared.dal.notifications import NotificationStore
from shared.dal.orders import OrderStore
from shared.services.notifications import Notifier


@once
def tracking_link() -> Callable[[str], str]:
    """Order id -> its signed tracking link, through the tracking helper's contract (issue 17):
    ``TrackingLinks(kms, key).token`` and ``tracking_page.link(OMS_PUBLIC_URL, token)``.

    MERGE NOTE: imported by name until shared/services/tracking_links.py and shared/domain/tracking_page.py
    are on main; then import them directly and use ``config.TRACKING_KEY_ENV``."""
    links_module = importlib.import_module("shared.services.tracking_links")
    page = importlib.import_module("shared.domain.tracking_page")
    key_env = getattr(config, "TRACKING_KEY_ENV", "OMS_TRACKING_KEY")
    links = links_module.TrackingLinks(client("kms"), required(key_env))
    base_url = required(PUBLIC_URL_ENV)

    def link(order_id: str) -> str:
        return str(page.link(base_url, links.token(order_id)))

    return link


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
