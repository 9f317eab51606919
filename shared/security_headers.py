"""The security headers every HTTP response carries, API and console alike (issue 16).

One home for them: the API function, the console function, the local gateway's own problems and the CDK
stack's gateway responses all add these, so no path answers without them.

* The console's policy allows only its own files: no inline script or style, no eval, nothing from another
  origin, and it may not be framed. Values the API returns are rendered as text (``textContent``), and
  this policy is the second line should one ever not be.
* The API's answers are JSON and never render: their policy allows nothing at all.
"""

from __future__ import annotations

from collections.abc import Mapping

CONSOLE_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    )
)
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
}
API_HEADERS: Mapping[str, str] = {**_COMMON, "Content-Security-Policy": API_CSP}
CONSOLE_HEADERS: Mapping[str, str] = {**_COMMON, "Content-Security-Policy": CONSOLE_CSP}


def page_headers(style_hashes: tuple[str, ...]) -> Mapping[str, str]:
    """A server-rendered page with no script at all (the customers' tracking page): nothing may load or
    run but the inline styles whose SHA-256 (base64) is listed; its form may submit only to itself."""
    styles = " ".join(f"'sha256-{h}'" for h in style_hashes) or "'none'"
    csp = "; ".join(
        (
            "default-src 'none'",
            f"style-src {styles}",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    return {**_COMMON, "Content-Security-Policy": csp}


def with_security_headers(
    headers: Mapping[str, str] | None, defaults: Mapping[str, str] = API_HEADERS
) -> dict[str, str]:
    """``headers`` plus every security header it does not set itself (a page may set a stricter policy)."""
    present = {name.lower() for name in headers or {}}
    return {**(headers or {}), **{k: v for k, v in defaults.items() if k.lower() not in present}}
