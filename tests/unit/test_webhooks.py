"""Webhooks without I/O: the retry schedule, verdicts, signing (checked by the standardwebhooks verifier),
the SSRF checks (addresses, DNS names resolving to them, redirects) and the envelope."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from infra import spec
from shared.domain import webhooks as domain
from shared.outbound import Refused, Target, check_and_resolve, check_url, is_public, resolve
from shared.services.webhooks import OutboundSender, parse_message, signature_headers

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


# --- the retry schedule ------------------------------------------------------------------------------


def test_each_retry_waits_between_half_and_all_of_its_step_and_never_past_sqs_limit() -> None:
    for n, step in enumerate(domain.RETRY_SCHEDULE, start=1):
        low = domain.retry_delay(n, lambda: 0.0)
        high = domain.retry_delay(n, lambda: 0.999999)
        assert low == step / 2
        assert high is not None and step / 2 < high <= step
        assert high <= timedelta(hours=12)  # ChangeMessageVisibility's maximum


def test_the_schedule_is_exponential_then_capped() -> None:
    steps = domain.RETRY_SCHEDULE
    assert steps[0] == timedelta(seconds=5)
    assert all(a <= b for a, b in itertools.pairwise(steps))
    assert max(steps) == timedelta(hours=12)


def test_retries_span_at_least_a_day_and_fit_in_the_queue() -> None:
    assert domain.min_total() >= timedelta(hours=24)
    assert timedelta(days=spec.WEBHOOKS_QUEUE.retention_days) > domain.max_total() + timedelta(hours=12)
    assert spec.WEBHOOKS_QUEUE.max_receive_count > domain.ATTEMPTS


def test_the_schedule_ends() -> None:
    assert domain.retry_delay(len(domain.RETRY_SCHEDULE) + 1, lambda: 0.5) is None
    assert domain.retry_delay(0, lambda: 0.5) is None


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (200, "succeeded"),
        (204, "succeeded"),
        (299, "succeeded"),
        (None, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (301, "failed"),
        (302, "failed"),
        (400, "failed"),
        (401, "failed"),
        (404, "failed"),
        (410, "failed"),
    ],
)
def test_what_an_answer_means(status: int | None, verdict: str) -> None:
    assert domain.verdict(status) == verdict


def test_an_endpoint_failing_for_three_days_is_disabled() -> None:
    assert not domain.should_disable(None, NOW)
    assert not domain.should_disable(NOW - timedelta(days=3) + timedelta(seconds=1), NOW)
    assert domain.should_disable(NOW - timedelta(days=3), NOW)


# --- secrets and signing ------------------------------------------------------------------------------


def test_a_secret_is_whsec_and_base64_of_32_random_bytes() -> None:
    secret = domain.new_secret()
    assert secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert domain.new_secret() != secret


def _verify(secret: str, body: str, headers: dict[str, str]) -> Any:
    return Webhook(secret).verify(body, headers)


def test_a_delivery_verifies_with_the_standard_webhooks_verifier() -> None:
    secret = domain.new_secret()
    body = json.dumps({"type": "order.created", "timestamp": "t", "data": {"order_id": "o1"}})
    headers = signature_headers("msg_1", body, [secret], datetime.now(UTC))
    assert headers["webhook-id"] == "msg_1"
    assert _verify(secret, body, headers)["data"] == {"order_id": "o1"}
    with pytest.raises(WebhookVerificationError):
        _verify(domain.new_secret(), body, headers)  # another secret
    with pytest.raises(WebhookVerificationError):
        _verify(secret, body.replace("o1", "o2"), headers)  # another body


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = domain.new_secret(), domain.new_secret()
    body = '{"type":"order.shipped"}'
    headers = signature_headers("msg_2", body, [new, old], datetime.now(UTC))
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert _verify(new, body, headers)
    assert _verify(old, body, headers)


def test_a_timestamp_older_than_five_minutes_is_refused() -> None:
    secret = domain.new_secret()
    body = "{}"
    stale = signature_headers("msg_3", body, [secret], datetime.now(UTC) - timedelta(minutes=6))
    with pytest.raises(WebhookVerificationError):
        _verify(secret, body, stale)
    fresh = signature_headers("msg_3", body, [secret], datetime.now(UTC) - timedelta(minutes=4))
    assert fresh["webhook-id"] == stale["webhook-id"]  # a retry: the same id, a new timestamp
    assert _verify(secret, body, fresh) == {}


def test_a_rotation_keeps_the_old_secret_for_24_hours_and_never_more_than_three() -> None:
    first = domain.SealedSecret(b"1", NOW)
    endpoint = domain.Endpoint(
        "wh_1", "https://a.example", ("order.created",), None, True, (first,), NOW, NOW
    )
    once = domain.rotate(endpoint, domain.SealedSecret(b"2", NOW), NOW)
    assert [s.ciphertext for s in once.active_secrets(NOW)] == [b"2", b"1"]
    assert [s.ciphertext for s in once.active_secrets(NOW + timedelta(hours=24))] == [b"2"]
    twice = domain.rotate(once, domain.SealedSecret(b"3", NOW), NOW + timedelta(hours=1))
    # the first rotation's old secret keeps its own 24 hours
    assert [s.ciphertext for s in twice.active_secrets(NOW + timedelta(hours=1))] == [b"3", b"2", b"1"]
    assert [s.ciphertext for s in twice.active_secrets(NOW + timedelta(hours=24))] == [b"3", b"2"]
    thrice = domain.rotate(twice, domain.SealedSecret(b"4", NOW), NOW + timedelta(hours=2))
    assert [s.ciphertext for s in thrice.secrets] == [b"4", b"3", b"2"]
    later = domain.rotate(once, domain.SealedSecret(b"5", NOW), NOW + timedelta(hours=25))
    assert [s.ciphertext for s in later.secrets] == [b"5", b"2"]  # an expired one is dropped


# --- deliveries and the envelope ------------------------------------------------------------------------


def test_a_delivery_id_is_the_same_for_the_same_event_and_endpoint() -> None:
    assert domain.delivery_id("e1", "wh_1") == domain.delivery_id("e1", "wh_1")
    assert domain.delivery_id("e1", "wh_1") != domain.delivery_id("e1", "wh_2")
    assert domain.delivery_id("e1", "wh_1") != domain.delivery_id("e2", "wh_1")
    assert domain.delivery_id("e1", "wh_1").startswith("msg_")


def test_every_detail_type_maps_to_a_webhook_type() -> None:
    assert domain.webhook_type("OrderCreated") == "order.created"
    assert domain.webhook_type("OrderShipped") == "order.shipped"
    assert domain.webhook_type("WebhookEndpointDisabled") == "webhook.endpoint_disabled"
    assert domain.webhook_type("Something") is None
    assert set(domain.EVENT_TYPES) == {
        "order.created",
        "order.status_changed",
        "order.shipped",
        "stock.low",
        "import.finished",
        "webhook.endpoint_disabled",
    }


def test_stock_low_carries_a_text_slack_shows() -> None:
    data = domain.stock_low_data(
        {"sku": "MUG", "location": "main", "available": 2, "on_hand": 3, "low_stock_threshold": 5}
    )
    assert data["sku"] == "MUG"
    assert data["text"] == "Low stock: MUG has 2 available at main (threshold 5, on hand 3)"


def test_the_envelope() -> None:
    assert domain.envelope("stock.low", "2026-12-07T12:00:00Z", {"a": 1}) == {
        "type": "stock.low",
        "timestamp": "2026-12-07T12:00:00Z",
        "data": {"a": 1},
    }


def test_messages_are_told_apart() -> None:
    assert parse_message("not json") is None
    assert parse_message("[1]") is None
    assert parse_message('{"something": 1}') is None
    event = {"id": "e", "detail-type": "OrderCreated", "source": "oms.orders", "detail": {}}
    assert parse_message(json.dumps(event)) == event


# --- SSRF: URLs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",  # not https
        "ftp://example.com/",
        "https://user:pass@example.com/hook",  # credentials
        "https://user@example.com/hook",
        "https://example.com:22/hook",  # port
        "https://example.com:80/hook",
        "https:///nohost",
        "https://example.com/a b",
        "https://example.com/#frag",
        "http://127.0.0.1:8080/hook",  # plain http to loopback: the local stack only
    ],
)
def test_urls_refused(url: str) -> None:
    with pytest.raises(Refused):
        check_url(url)


def test_urls_allowed() -> None:
    assert check_url("https://Example.com/hook?x=1") == Target("https", "example.com", 443, "/hook?x=1")
    assert check_url("https://example.com:8443").port == 8443
    assert check_url("https://example.com").path == "/"


def test_the_local_stack_allows_http_to_loopback_only() -> None:
    assert check_url("http://127.0.0.1:8080/h", allow_loopback_http=True).port == 8080
    assert check_url("http://localhost:9000/h", allow_loopback_http=True).host == "localhost"
    with pytest.raises(Refused):
        check_url("http://example.com/h", allow_loopback_http=True)
    with pytest.raises(Refused):
        check_url("http://10.0.0.1/h", allow_loopback_http=True)


# --- SSRF: addresses -------------------------------------------------------------------------------------

REFUSED_ADDRESSES = [
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",  # instance metadata
    "169.254.170.2",  # ECS task metadata
    "100.64.0.1",  # carrier-grade NAT
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "192.0.0.8",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "::1",
    "::",
    "fe80::1",  # link-local
    "fd00:ec2::254",  # instance metadata over IPv6
    "fc00::1",  # unique local
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",  # IPv4-mapped metadata
    "::ffff:10.0.0.1",
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::1",  # local-use NAT64
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:db8::1",  # documentation
    "2001::1",  # Teredo
]
PUBLIC_ADDRESSES = [
    "93.184.216.34",
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize("text", REFUSED_ADDRESSES)
def test_non_public_addresses_are_refused(text: str) -> None:
    import ipaddress

    assert not is_public(ipaddress.ip_address(text))
    with pytest.raises(Refused):
        resolve(check_url(f"https://[{text}]/" if ":" in text else f"https://{text}/"))


@pytest.mark.parametrize("text", PUBLIC_ADDRESSES)
def test_public_addresses_are_allowed(text: str) -> None:
    import ipaddress

    assert is_public(ipaddress.ip_address(text))


def _resolving_to(*addresses: str) -> Any:
    def resolver(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolver


@pytest.mark.parametrize("address", ["10.1.2.3", "169.254.169.254", "fd00:ec2::254", "::ffff:127.0.0.1"])
def test_a_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(Refused, match="non-public"):
        check_and_resolve("https://hooks.example.com/x", _resolving_to(address))


def test_one_non_public_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(Refused):
        check_and_resolve("https://hooks.example.com/x", _resolving_to("93.184.216.34", "127.0.0.1"))


def test_the_checked_address_is_the_one_connected_to() -> None:
    target, address = check_and_resolve(
        "https://hooks.example.com/x", _resolving_to("93.184.216.34", "1.1.1.1")
    )
    assert address == "93.184.216.34"
    assert target.host == "hooks.example.com"


def test_loopback_names_are_refused_in_the_stack_even_when_they_resolve() -> None:
    with pytest.raises(Refused):
        check_and_resolve("https://localhost/x", _resolving_to("127.0.0.1"))


def test_a_name_that_does_not_resolve_is_refused() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(Refused, match="does not resolve"):
        check_and_resolve("https://nowhere.example/x", failing)


# --- SSRF: the send ----------------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.status = status
        self._body = body
        self.headers = headers

    def read(self, amount: int) -> bytes:
        return self._body[:amount]

    def release_conn(self) -> None: ...

    def close(self) -> None: ...


class FakePool:
    """Stands in for urllib3's pool: records where it was asked to connect and what it sent."""

    made: list[FakePool] = []

    def __init__(self, host: str, port: int, **kwargs: Any) -> None:
        self.host, self.port, self.kwargs = host, port, kwargs
        self.requests: list[dict[str, Any]] = []
        FakePool.made.append(self)
        self.answer = FakeResponse(302, b"moved", {"Location": "http://169.254.169.254/latest/meta-data/"})

    def urlopen(self, method: str, url: str, **kwargs: Any) -> FakeResponse:
        self.requests.append({"method": method, "url": url, **kwargs})
        return self.answer

    def close(self) -> None: ...


def test_a_redirect_is_never_followed_and_is_a_failure() -> None:
    FakePool.made = []
    sender = OutboundSender(
        allow_loopback_http=False, resolver=_resolving_to("93.184.216.34"), pool_factory=FakePool
    )
    answer = sender("https://hooks.example.com/in", b"{}", {"webhook-id": "msg_1"})
    assert answer.status == 302
    assert answer.location == "http://169.254.169.254/latest/meta-data/"
    assert domain.verdict(answer.status) == "failed"
    [pool] = FakePool.made  # one connection, to the checked address, and no second hop
    assert (pool.host, pool.port) == ("93.184.216.34", 443)
    [request] = pool.requests
    assert request["redirect"] is False
    assert request["headers"]["Host"] == "hooks.example.com"


def test_a_refused_address_is_never_connected_to() -> None:
    FakePool.made = []
    sender = OutboundSender(
        allow_loopback_http=False, resolver=_resolving_to("10.0.0.7"), pool_factory=FakePool
    )
    answer = sender("https://internal.example.com/in", b"{}", {})
    assert answer.refused and answer.status is None
    assert FakePool.made == []


def test_tls_checks_the_certificate_against_the_host_name() -> None:
    FakePool.made = []
    sender = OutboundSender(
        allow_loopback_http=False, resolver=_resolving_to("93.184.216.34"), pool_factory=FakePool
    )
    sender("https://hooks.example.com:8443/in", b"{}", {})
    [pool] = FakePool.made
    assert (pool.host, pool.port) == ("93.184.216.34", 8443)
    assert pool.kwargs["server_hostname"] == pool.kwargs["assert_hostname"] == "hooks.example.com"
    assert pool.kwargs["cert_reqs"] == "CERT_REQUIRED"
    assert pool.kwargs["timeout"].total == 10
    assert pool.requests[0]["headers"]["Host"] == "hooks.example.com:8443"


def test_the_answer_kept_is_its_first_kilobyte() -> None:
    FakePool.made = []

    class BigPool(FakePool):
        def __init__(self, host: str, port: int, **kwargs: Any) -> None:
            super().__init__(host, port, **kwargs)
            self.answer = FakeResponse(500, b"x" * 5000, {})

    sender = OutboundSender(
        allow_loopback_http=False, resolver=_resolving_to("1.1.1.1"), pool_factory=BigPool
    )
    answer = sender("https://hooks.example.com/in", b"{}", {})
    assert answer.status == 500 and len(answer.body) == 1024


# --- the OpenAPI document's webhooks section -------------------------------------------------------------


def test_the_openapi_document_describes_every_webhook() -> None:
    from functions.api.routes.meta import build_document

    document = build_document()
    assert document["openapi"].startswith("3.1")
    webhooks = document["webhooks"]
    assert set(webhooks) == set(domain.EVENT_TYPES)
    for event_type, item in webhooks.items():
        operation = item["post"]
        assert {p["name"] for p in operation["parameters"]} == {
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
        }
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body["properties"]["type"] == {"const": event_type}
        assert body["required"] == ["type", "timestamp", "data"]
        assert "version is not newer" in operation["description"]
        for ref in _refs(body):
            assert ref.removeprefix("#/components/schemas/") in document["components"]["schemas"], ref
    order_data = webhooks["order.shipped"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert order_data["properties"]["data"] == {"$ref": "#/components/schemas/Order"}
    assert "version" in document["components"]["schemas"]["Order"]["properties"]


def _refs(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "$ref"] + [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def test_the_document_with_its_webhooks_is_valid_openapi_3_1() -> None:
    from openapi_spec_validator import validate

    from functions.api.routes.meta import build_document

    validate(build_document())
