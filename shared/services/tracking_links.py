"""The customers' tracking links: ``/track/{token}`` opens one order with no key and no login.

A token is ``{order_id}.{mac}``: the order id in clear and ``mac``, KMS's HMAC-SHA-256 (an HMAC_256 key,
``spec.TRACKING_KEY``) over a versioned message (``track:v1:{order_id}``), base64url without padding. The
key never leaves KMS: notifications make links with kms:GenerateMac, the tracking function checks them
with kms:VerifyMac and may make none. A changed character anywhere, a truncated MAC or another order's MAC
fails the check. Malformed input (wrong shape, bad base64, too long) is refused here and never reaches
KMS.

A token does not expire by itself: how long a link works is decided from the order
(``shared.domain.tracking_page.link_valid``), so a link in an email keeps working until 90 days after the
order is delivered, cancelled or returned.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Protocol

from botocore.exceptions import ClientError

MAC_ALGORITHM = "HMAC_SHA_256"
MESSAGE_PREFIX = b"track:v1:"  # a new version of the message (or of the key) gets a new prefix
MAC_BYTES = 32
MAC_TEXT_LENGTH = 43  # base64url of 32 bytes, without its one "=" of padding
# Order ids are UUIDs (36 characters); anything up to 64 of these characters is let through to KMS.
ORDER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOKEN_LENGTH = 64 + 1 + MAC_TEXT_LENGTH
_MAC_TEXT = re.compile(r"^[A-Za-z0-9_-]{43}$")


class LinkSigner(Protocol):
    def token(self, order_id: str) -> str: ...


class LinkVerifier(Protocol):
    def order_id_of(self, token: str) -> str | None: ...


def message(order_id: str) -> bytes:
    return MESSAGE_PREFIX + order_id.encode("ascii")


def split(token: str) -> tuple[str, bytes] | None:
    """The order id and the MAC bytes of a well-formed token; None for anything else."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return None
    order_id, dot, mac_text = token.partition(".")
    if not dot or not ORDER_ID.match(order_id) or not _MAC_TEXT.match(mac_text):
        return None
    try:
        mac = base64.urlsafe_b64decode(mac_text + "=")
    except (binascii.Error, ValueError):
        return None
    # Only the canonical spelling: 43 characters carry 258 bits, the last 2 must be zero.
    if len(mac) != MAC_BYTES or _encode(mac) != mac_text:
        return None
    return order_id, mac


def _encode(mac: bytes) -> str:
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


class TrackingLinks:
    def __init__(self, kms_client: Any, key_id: str) -> None:
        self._kms = kms_client
        self._key_id = key_id  # an alias (alias/oms-tracking) or a key ARN

    def token(self, order_id: str) -> str:
        if not ORDER_ID.match(order_id):
            raise ValueError("not an order id")
        response = self._kms.generate_mac(
            KeyId=self._key_id, Message=message(order_id), MacAlgorithm=MAC_ALGORITHM
        )
        return f"{order_id}.{_encode(bytes(response['Mac']))}"

    def order_id_of(self, token: str) -> str | None:
        """The order a token names, if its MAC is KMS's for that order; None for anything else."""
        parts = split(token)
        if parts is None:
            return None
        order_id, mac = parts
        try:
            response = self._kms.verify_mac(
                KeyId=self._key_id, Message=message(order_id), MacAlgorithm=MAC_ALGORITHM, Mac=mac
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "KMSInvalidMacException":
                return None
            raise
        return order_id if response.get("MacValid") is True else None
