"""Tracking links of the carriers the OMS knows. Pure."""

from __future__ import annotations

import re
from urllib.parse import quote

# Carrier code (lower case, spaces and underscores as hyphens) -> its public tracking page.
_PAGES = {
    "ups": "https://www.ups.com/track?tracknum={n}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={n}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={n}",
    "dhl": "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={n}",
    "dpd": "https://tracking.dpd.de/status/en_US/parcel/{n}",
    "royal-mail": "https://www.royalmail.com/track-your-item#/tracking-results/{n}",
    "gls": "https://gls-group.com/track/{n}",
    "canada-post": "https://www.canadapost-postescanada.ca/track-reperage/en#/search?searchFor={n}",
    "australia-post": "https://auspost.com.au/mypost/track/details/{n}",
}
_ALIASES = {
    "royalmail": "royal-mail",
    "dhl-express": "dhl",
    "canadapost": "canada-post",
    "auspost": "australia-post",
}


def carrier_code(carrier: str) -> str:
    code = re.sub(r"[\s_.]+", "-", carrier.strip().lower())
    return _ALIASES.get(code, code)


def tracking_url(carrier: str, tracking_number: str) -> str | None:
    """The carrier's tracking page for this number; None for a carrier the OMS does not know."""
    page = _PAGES.get(carrier_code(carrier))
    return page.format(n=quote(tracking_number.replace(" ", ""), safe="")) if page else None
