"""Outbound HTTP to addresses other people chose (webhook endpoints), safe from server-side request forgery.

* ``check_url``: https only (plain http only where ``allow_loopback_http`` is set, which only the local
  stack sets, and then only to 127.0.0.1, ::1 or localhost), no credentials in the URL, an allowed port.
* ``resolve``: every address the host resolves to (IPv4 and IPv6) must be public (``is_public``): no private,
  loopback, link-local (169.254.169.254 and fd00:ec2::254, the instance metadata), carrier-grade NAT,
  multicast, unspecified or reserved address, and none of those hidden in an IPv4-mapped, NAT64 (64:ff9b::/96)
  or 6to4 IPv6 address. One refused address refuses the host.
* ``post``: connects to the address that was checked (TLS still verifies the certificate against the host
  name, and the Host header names it), so no second DNS answer can point the request elsewhere. Redirects
  are never followed: a 3xx is the answer.

The checks run when an endpoint is registered and again before every send.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Sequence[str]]

ALLOWED_PORTS = frozenset({443, 8443})
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_URL_LENGTH = 2048
TIMEOUT_S = 10.0

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_SIX_TO_FOUR = ipaddress.ip_network("2002::/16")
# Refused whatever ``is_global`` says in this Python's version (its registry tables changed between patch
# releases): no webhook receiver lives in these.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, the instance metadata
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/127",
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo among them)
        "2001:db8::/32",
        "fc00::/7",  # unique local (fd00:ec2::254, the instance metadata)
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


class Refused(ValueError):
    """The URL, or an address its host resolves to, may not be called."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # lower case, without brackets
    port: int
    path: str  # path and query, at least "/"

    @property
    def loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS


def check_url(url: str, *, allow_loopback_http: bool = False) -> Target:
    """The URL's parts, or ``Refused`` saying why not."""
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in url):
        raise Refused("the URL holds whitespace or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a URL: {exc}") from exc
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("the URL names no host")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("the URL may not hold credentials")
    if parts.fragment:
        raise Refused("the URL may not hold a fragment")
    local = allow_loopback_http and host in LOOPBACK_HOSTS
    if parts.scheme == "https":
        port = port or 443
    elif parts.scheme == "http" and local:
        port = port or 80
    else:
        raise Refused("the URL must be https")
    if not local and port not in ALLOWED_PORTS:
        raise Refused(f"port {port} is not allowed: use {', '.join(map(str, sorted(ALLOWED_PORTS)))}")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, path)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 IPv6 address reaches."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_public(address: IpAddress) -> bool:
    """A globally routable unicast address that reaches no private network."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_public(inner)
        if address in _NAT64_LOCAL or address.teredo is not None:
            return False
    if any(address in network for network in _NEVER if network.version == address.version):
        return False
    return bool(
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
        and not address.is_loopback
        and not address.is_link_local
        and not address.is_private
    )


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def resolve(
    target: Target, resolver: Resolver = system_resolver, *, allow_loopback_http: bool = False
) -> str:
    """The address to connect to: the first of the host's addresses, once every one of them was checked.
    Locally (``allow_loopback_http``) a loopback host resolves to its loopback address."""
    try:
        literal: IpAddress | None = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if allow_loopback_http and target.loopback:
        return "::1" if target.host == "::1" else "127.0.0.1"
    if literal is not None:
        addresses: Sequence[str] = [str(literal)]
    else:
        try:
            addresses = resolver(target.host, target.port)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"the host {target.host} does not resolve") from exc
    if not addresses:
        raise Refused(f"the host {target.host} does not resolve")
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError as exc:
            raise Refused(f"the host {target.host} resolves to something that is no address") from exc
        if not is_public(address):
            raise Refused(f"the host {target.host} resolves to a non-public address")
    return addresses[0]


def check_and_resolve(
    url: str, resolver: Resolver = system_resolver, *, allow_loopback_http: bool = False
) -> tuple[Target, str]:
    target = check_url(url, allow_loopback_http=allow_loopback_http)
    return target, resolve(target, resolver, allow_loopback_http=allow_loopback_http)


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no answer (timeout or network error)
    body: bytes = b""  # at most the first ``keep`` bytes
    error: str | None = None  # what went wrong without an answer, or why the request was refused
    location: str | None = None  # a 3xx's Location, recorded, never followed
    refused: bool = False  # never sent: the URL or its address may not be called


def post(
    target: Target,
    address: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float = TIMEOUT_S,
    keep: int = 1024,
    pool_factory: Callable[..., Any] | None = None,
) -> Answer:
    """POST ``body`` to ``target`` through ``address`` (the checked one). Never raises for the network."""
    import urllib3  # here: only the delivery function sends

    timeout = urllib3.Timeout(total=timeout_s)
    kwargs: dict[str, Any] = {"timeout": timeout, "retries": False, "maxsize": 1}
    if target.scheme == "https":
        factory = pool_factory or urllib3.HTTPSConnectionPool
        # TLS to the checked address, its certificate checked against the host name (SNI too).
        kwargs.update(server_hostname=target.host, assert_hostname=target.host, cert_reqs="CERT_REQUIRED")
    else:
        factory = pool_factory or urllib3.HTTPConnectionPool
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    if ":" in target.host:
        host_header = f"[{target.host}]" if target.port in (80, 443) else f"[{target.host}]:{target.port}"
    pool = factory(address, target.port, **kwargs)
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            kept = response.read(keep) or b""
        finally:
            response.release_conn()
            response.close()
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        return Answer(status=int(response.status), body=bytes(kept[:keep]), location=location)
    except urllib3.exceptions.TimeoutError:
        return Answer(status=None, error="timeout")
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        return Answer(status=None, error=f"network error: {type(exc).__name__}")
    finally:
        pool.close()
