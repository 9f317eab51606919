"""Order intake use case with hand-written fake stores: pricing, caching, retries, replays."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from shared import retry
from shared.config import Settings
from shared.dal.orders import MissingOrder, OrderQuery
from shared.domain.auth import Principal
from shared.domain.customers import CheckEmail, ClaimEmail, CreateCustomer, TouchCustomer, email_key
from shared.domain.inventory import LocationLevel, MoveStock, ProductLevels
from shared.domain.lifecycle import NotAllowed
from shared.domain.orders import (
    Cancelled,
    Claim,
    ClaimKey,
    Contention,
    CreateOrder,
    CustomerRefused,
    ExternalIdConflict,
    FeedChannel,
    IdempotencyKeyReused,
    KeyClaimed,
    MoveRefused,
    OrderExists,
    OrderPlan,
    OutOfStock,
    Refused,
    Rejected,
    ReplaceOrder,
    ReserveStock,
    Shortage,
    StockRefused,
    request_hash,
)
from shared.models.orders import NewOrder, Order, ShipmentIn
from shared.retry import MAX_ATTEMPTS
from shared.services.orders import (
    BadTime,
    CatalogPrices,
    ChannelNeeded,
    Listing,
    OrderChanged,
    OrderList,
    Orders,
    OrderService,
    Placed,
    PriceCache,
    StaffOnly,
    TimesReversed,
)

SETTINGS = Settings(currency="EUR", idempotency_ttl_seconds=600, max_body_bytes=1024, price_cache_seconds=60)
NOW = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
WEB = Principal(role="channel", key_id="k-web", channel="web")
POS = Principal(
    role="channel", key_id="k-pos", channel="pos"
)  # sends its own prices (shared.domain.channels)
STAFF = Principal(role="staff", key_id="k-staff")

Script = Callable[[OrderPlan], Cancelled | None]


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FakeCatalog:
    """CatalogStore.prices: unknown SKUs are absent from the answer."""

    def __init__(self, prices: dict[str, Decimal]) -> None:
        self.current = dict(prices)
        self.calls: list[set[str]] = []

    def prices(self, skus: Iterable[str]) -> dict[str, Decimal]:
        wanted = set(skus)
        self.calls.append(wanted)
        return {sku: price for sku, price in self.current.items() if sku in wanted}


class FakeOrders:
    """OrderStore.commit/get/query: commit answers with scripted outcomes, then succeeds."""

    def __init__(self, *script: Script, stored: dict[str, Order] | None = None, links: bool = False) -> None:
        self.links_customers = links
        self.script = list(script)
        self.plans: list[OrderPlan] = []
        self.stored = dict(stored or {})
        self.gets: list[tuple[str, bool]] = []
        self.queries: list[tuple[OrderQuery, str | None]] = []
        self.tokens: list[bool] = []
        self.by_external: list[tuple[str, str]] = []

    def commit(
        self, plan: OrderPlan, *, now: datetime, attempt: int = 0, token: bool = True
    ) -> Cancelled | None:
        assert now == NOW
        self.plans.append(plan)
        self.tokens.append(token)
        if self.script:
            return self.script.pop(0)(plan)
        self.stored[plan.order.order_id] = plan.order
        return None

    def get(self, order_id: str, *, consistent: bool = False) -> Order | None:
        self.gets.append((order_id, consistent))
        return self.stored.get(order_id)

    def claimed(self, order_id: str) -> Order:
        order = self.get(order_id, consistent=True)
        if order is None:
            raise MissingOrder(order_id)
        return order

    def get_by_external_id(self, channel: str, external_id: str) -> Order | None:
        self.by_external.append((channel, external_id))
        return next(
            (o for o in self.stored.values() if (o.channel, o.external_id) == (channel, external_id)), None
        )

    def query(self, query: OrderQuery, cursor: str | None, *, today: date) -> tuple[list[Order], str | None]:
        assert today == NOW.date()
        self.queries.append((query, cursor))
        return list(self.stored.values()), "next"


def contended(_: OrderPlan) -> Cancelled:
    return Cancelled(failures=[], contended=True)


def stock_failure(sku: str, price: Decimal | None, available: int) -> Script:
    def answer(plan: OrderPlan) -> Cancelled:
        [write] = [w for w in plan.writes if isinstance(w, ReserveStock) and w.sku == sku]
        return Cancelled(failures=[StockRefused(write, price, available)], contended=False)

    return answer


def claim_failure(kind: str, claim: Claim) -> Script:
    def answer(plan: OrderPlan) -> Cancelled:
        [write] = [w for w in plan.writes if isinstance(w, ClaimKey) and w.kind == kind]
        return Cancelled(failures=[KeyClaimed(write, claim)], contended=False)

    return answer


def request(*lines: dict[str, Any], **fields: Any) -> NewOrder:
    lines = lines or ({"sku": "MUG", "quantity": 2},)
    return NewOrder.model_validate(
        {"customer": {"email": "a@b.co", "name": "A"}, "lines": list(lines), **fields}
    )


def service(
    orders: FakeOrders,
    catalog: FakeCatalog,
    *,
    cache: PriceCache | None = None,
    sleeps: list[float] | None = None,
) -> OrderService:
    ids = iter(f"order-{i}" for i in range(1, 100))
    # Annotated as the seams the service declares: mypy checks the fakes against them.
    store: Orders = orders
    prices: CatalogPrices = catalog
    return OrderService(
        store,
        prices,
        SETTINGS,
        price_cache=cache or PriceCache(60, clock=FakeClock()),
        clock=lambda: NOW,
        new_id=lambda: next(ids),
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )


# --- PriceCache ------------------------------------------------------------------------------


def test_price_cache_returns_found_and_missing() -> None:
    cache = PriceCache(60, clock=FakeClock())
    cache.store({"MUG": Decimal("7.50"), "CAP": Decimal("12.00")})

    found, missing = cache.lookup(["MUG", "TEE", "CAP"])

    assert found == {"MUG": Decimal("7.50"), "CAP": Decimal("12.00")}
    assert missing == {"TEE"}


def test_price_cache_entries_expire_after_the_ttl() -> None:
    clock = FakeClock(100.0)
    cache = PriceCache(60, clock=clock)
    cache.store({"MUG": Decimal("7.50")})

    clock.now = 159.9
    assert cache.lookup(["MUG"]) == ({"MUG": Decimal("7.50")}, set())
    clock.now = 160.0
    assert cache.lookup(["MUG"]) == ({}, {"MUG"})


def test_storing_again_refreshes_price_and_expiry() -> None:
    clock = FakeClock(0.0)
    cache = PriceCache(10, clock=clock)
    cache.store({"MUG": Decimal("7.50")})
    clock.now = 8.0
    cache.store({"MUG": Decimal("8.00")})
    clock.now = 15.0

    assert cache.lookup(["MUG"]) == ({"MUG": Decimal("8.00")}, set())


def test_empty_cache_misses_everything() -> None:
    assert PriceCache(60, clock=FakeClock()).lookup(["A", "B", "A"]) == ({}, {"A", "B"})


# --- place: pricing and caching --------------------------------------------------------------


def test_cold_cache_reads_prices_once_then_uses_the_cache() -> None:
    catalog = FakeCatalog({"MUG": Decimal("7.50"), "CAP": Decimal("12.00")})
    orders = FakeOrders()
    svc = service(orders, catalog)

    first = svc.place(request({"sku": "MUG", "quantity": 2}, {"sku": "CAP", "quantity": 1}), WEB, None)
    second = svc.place(request({"sku": "MUG", "quantity": 1}, {"sku": "CAP", "quantity": 3}), WEB, None)

    assert catalog.calls == [{"MUG", "CAP"}]
    assert isinstance(first, Placed)
    assert isinstance(second, Placed)
    assert (first.replayed, second.replayed) == (False, False)
    assert first.order.total == Decimal("27.00")
    assert second.order.total == Decimal("43.50")
    assert second.order.currency == "EUR"
    assert orders.stored.keys() == {"order-1", "order-2"}


def test_only_missing_prices_are_read() -> None:
    catalog = FakeCatalog({"MUG": Decimal("7.50"), "CAP": Decimal("12.00")})
    svc = service(FakeOrders(), catalog)

    svc.place(request({"sku": "MUG", "quantity": 1}), WEB, None)
    svc.place(request({"sku": "MUG", "quantity": 1}, {"sku": "CAP", "quantity": 1}), WEB, None)

    assert catalog.calls == [{"MUG"}, {"CAP"}]


def test_explicitly_priced_lines_read_no_prices() -> None:
    catalog = FakeCatalog({})
    result = service(FakeOrders(), catalog).place(
        request({"sku": "MUG", "quantity": 1, "unit_price": "3.00"}), POS, None
    )

    assert catalog.calls == []
    assert isinstance(result, Placed)
    assert result.order.total == Decimal("3.00")


def test_expired_cache_reads_again() -> None:
    clock = FakeClock(0.0)
    catalog = FakeCatalog({"MUG": Decimal("7.50")})
    svc = service(FakeOrders(), catalog, cache=PriceCache(60, clock=clock))

    svc.place(request(), WEB, None)
    clock.now = 61.0
    svc.place(request(), WEB, None)

    assert catalog.calls == [{"MUG"}, {"MUG"}]


def test_unknown_sku_is_rejected_without_a_commit() -> None:
    orders = FakeOrders()
    result = service(orders, FakeCatalog({})).place(request({"sku": "GHOST", "quantity": 1}), WEB, None)

    assert isinstance(result, Rejected)
    assert [e.field for e in result.errors] == ["body.lines.0.sku"]
    assert orders.plans == []


def test_changed_price_is_retried_with_the_new_price_and_cached() -> None:
    catalog = FakeCatalog({"MUG": Decimal("7.50")})
    orders = FakeOrders(stock_failure("MUG", Decimal("8.00"), 10))
    svc = service(orders, catalog)

    result = svc.place(request({"sku": "MUG", "quantity": 2}), WEB, None)

    assert isinstance(result, Placed)
    assert result.order.lines[0].unit_price == Decimal("8.00")
    assert result.order.total == Decimal("16.00")
    assert [p.writes[1] for p in orders.plans] == [
        ReserveStock("MUG", 2, Decimal("7.50")),
        ReserveStock("MUG", 2, Decimal("8.00")),
    ]
    # the same order id across attempts
    assert {p.order.order_id for p in orders.plans} == {"order-1"}

    # the cache learnt the new price: the next order reads nothing and charges 8.00 first time
    again = svc.place(request({"sku": "MUG", "quantity": 1}), WEB, None)
    assert catalog.calls == [{"MUG"}]
    assert isinstance(again, Placed)
    assert again.order.total == Decimal("8.00")
    assert len(orders.plans) == 3


# --- place: contention, replays, failures ----------------------------------------------------


def test_contention_is_retried_after_a_sleep() -> None:
    sleeps: list[float] = []
    orders = FakeOrders(contended)

    result = service(orders, FakeCatalog({"MUG": Decimal("1.00")}), sleeps=sleeps).place(request(), WEB, None)

    assert isinstance(result, Placed)
    assert len(orders.plans) == 2
    assert len(sleeps) == 1
    assert 0 <= sleeps[0] <= 0.05


def test_persistent_contention_gives_up_after_max_attempts() -> None:
    sleeps: list[float] = []
    orders = FakeOrders(*[contended] * (MAX_ATTEMPTS + 5))

    result = service(orders, FakeCatalog({"MUG": Decimal("1.00")}), sleeps=sleeps).place(request(), WEB, None)

    assert result == Contention()
    assert len(orders.plans) == MAX_ATTEMPTS
    assert orders.stored == {}
    assert sleeps
    assert all(0 <= delay <= 0.05 * 2**attempt for attempt, delay in enumerate(sleeps))


def test_no_sleep_after_the_last_attempt() -> None:
    sleeps: list[float] = []
    orders = FakeOrders(*[contended] * MAX_ATTEMPTS)

    service(orders, FakeCatalog({"MUG": Decimal("1.00")}), sleeps=sleeps).place(request(), WEB, None)

    assert len(sleeps) == MAX_ATTEMPTS - 1


def test_replay_returns_the_stored_order() -> None:
    original = service(FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, "key-1")
    assert isinstance(original, Placed)
    stored = original.order.model_copy(update={"order_id": "order-original"})
    orders = FakeOrders(
        claim_failure("idempotency", Claim("order-original", request_hash(request()))),
        stored={"order-original": stored},
    )

    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, "key-1")

    assert result == Placed(stored, replayed=True)
    assert orders.gets == [("order-original", True)]
    assert len(orders.plans) == 1


def test_external_id_replay_returns_the_stored_order() -> None:
    stored = service(FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(external_id="e-1"), WEB, None
    )
    assert isinstance(stored, Placed)
    orders = FakeOrders(
        claim_failure("external", Claim("order-1", request_hash(request(external_id="e-1")))),
        stored={"order-1": stored.order},
    )

    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(external_id="e-1"), WEB, None
    )

    assert result == Placed(stored.order, replayed=True)


def test_an_external_id_used_by_another_body_is_a_conflict_and_reads_nothing() -> None:
    orders = FakeOrders(claim_failure("external", Claim("order-1", "another body")))

    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(external_id="e-1"), WEB, None
    )

    assert result == ExternalIdConflict(order_id="order-1")
    assert orders.gets == []  # the claim named the order: nothing more to read
    assert len(orders.plans) == 1


@pytest.mark.parametrize("channel", ["shopify", "etsy", "amazon", "generic"])
def test_a_key_on_a_feed_channel_places_nothing_and_touches_nothing(channel: str) -> None:
    orders, catalog = FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})
    key = Principal(role="channel", key_id="k-feed", channel=channel)

    result = service(orders, catalog).place(request(external_id="SHOP-1"), key, None)

    assert isinstance(result, FeedChannel)
    assert result.channel == channel and "marketplace feed" in result.owner
    assert (orders.plans, orders.gets, catalog.calls) == ([], [], [])


def test_a_channel_taking_catalog_prices_may_not_send_one() -> None:
    orders = FakeOrders()
    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(
        request({"sku": "MUG", "quantity": 1}, {"sku": "MUG", "quantity": 1, "unit_price": "0.00"}), WEB, None
    )

    assert isinstance(result, Rejected)
    assert [(e.field, e.type) for e in result.errors] == [("body.lines.1.unit_price", "catalog_priced")]
    assert result.errors[0].message == "channel web takes catalog prices (in EUR): leave unit_price out"
    assert orders.plans == []


@pytest.mark.parametrize("principal", [POS, STAFF])
def test_own_price_channels_and_staff_may_price(principal: Principal) -> None:
    result = service(FakeOrders(), FakeCatalog({})).place(
        request({"sku": "MUG", "quantity": 1, "unit_price": "0.00"}), principal, None
    )

    assert isinstance(result, Placed)
    assert result.order.total == Decimal("0.00")


def test_reused_idempotency_key_is_reported() -> None:
    orders = FakeOrders(claim_failure("idempotency", Claim("order-x", "different")))

    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, "key-1")

    assert result == IdempotencyKeyReused()
    assert orders.gets == []


def test_out_of_stock_is_returned_without_retry() -> None:
    orders = FakeOrders(stock_failure("MUG", Decimal("7.50"), 1))

    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, None)

    assert result == OutOfStock([Shortage("MUG", 2, 1)])
    assert len(orders.plans) == 1


def test_staff_orders_belong_to_the_staff_channel() -> None:
    result = service(FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})).place(request(), STAFF, None)

    assert isinstance(result, Placed)
    assert result.order.channel == "staff"


def test_idempotency_claim_uses_the_configured_ttl() -> None:
    orders = FakeOrders()
    service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, "key-1")

    [claim] = [w for w in orders.plans[0].writes if isinstance(w, ClaimKey)]
    assert claim.expires_at == int(NOW.timestamp()) + SETTINGS.idempotency_ttl_seconds


# --- get and list ----------------------------------------------------------------------------


def placed_order(channel_principal: Principal) -> Order:
    result = service(FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(), channel_principal, None
    )
    assert isinstance(result, Placed)
    return result.order


def test_get_hides_other_channels_orders() -> None:
    order = placed_order(WEB)
    orders = FakeOrders(stored={order.order_id: order})
    svc = service(orders, FakeCatalog({}))
    pos = Principal(role="channel", key_id="k-pos", channel="pos")

    assert svc.get(order.order_id, WEB) == order
    assert svc.get(order.order_id, STAFF) == order
    assert svc.get(order.order_id, pos) is None
    assert svc.get("missing", STAFF) is None


def test_channel_listing_another_channel_is_empty_without_a_query() -> None:
    orders = FakeOrders(stored={"o": placed_order(WEB)})

    result = service(orders, FakeCatalog({})).list(Listing(channel="pos"), "cursor", WEB)

    assert result == OrderList([], None)
    assert orders.queries == []


@pytest.mark.parametrize("asked", [None, "web"])
def test_channel_listing_is_confined_to_its_channel(asked: str | None) -> None:
    orders = FakeOrders()

    service(orders, FakeCatalog({})).list(Listing(channel=asked, status="CONFIRMED", limit=5), "c1", WEB)

    assert orders.queries == [(OrderQuery(channel="web", status="CONFIRMED", limit=5), "c1")]


def test_staff_listing_passes_the_query_through() -> None:
    orders = FakeOrders(stored={"o": placed_order(WEB)})

    first = service(orders, FakeCatalog({})).list(Listing(channel="pos"), None, STAFF)
    service(orders, FakeCatalog({})).list(Listing(), None, STAFF)

    assert orders.queries == [(OrderQuery(channel="pos"), None), (OrderQuery(), None)]
    assert first == OrderList(list(orders.stored.values()), "next")


def test_listing_times_become_bounds_a_date_covering_its_whole_day() -> None:
    orders = FakeOrders()
    listing = Listing(created_from="2024-03-01", created_to="2024-03-02T10:00:00+02:00")

    service(orders, FakeCatalog({})).list(listing, None, STAFF)

    [(query, _)] = orders.queries
    assert query.created_from == "2024-03-01T00:00:00.000000Z"
    assert query.created_to == "2024-03-02T08:00:00.000000Z"
    service(orders, FakeCatalog({})).list(Listing(created_to="2024-03-02"), None, STAFF)
    assert orders.queries[1][0].created_to == "2024-03-02T23:59:59.999999Z"


@pytest.mark.parametrize(
    ("listing", "principal", "refused"),
    [
        (Listing(created_from="2024-02-30"), STAFF, BadTime("created_from")),
        (Listing(created_to="2024-03-01T25:00"), STAFF, BadTime("created_to")),
        # a bad time is named before the caller's right to the listing
        (Listing(created_from="2024-13-01", attention=True), WEB, BadTime("created_from")),
        (Listing(attention=True), WEB, StaffOnly()),
        (Listing(created_from="2024-03-02", created_to="2024-03-01"), STAFF, TimesReversed()),
        (
            Listing(created_from="2024-03-01T12:00:00Z", created_to="2024-03-01T13:00:00+02:00"),
            STAFF,
            TimesReversed(),
        ),
    ],
)
def test_listings_that_cannot_be_answered_say_why_and_query_nothing(
    listing: Listing, principal: Principal, refused: object
) -> None:
    orders = FakeOrders()

    assert service(orders, FakeCatalog({})).list(listing, None, principal) == refused
    assert orders.queries == []


def test_one_day_is_a_valid_range_and_staff_list_what_needs_attention() -> None:
    orders = FakeOrders()
    svc = service(orders, FakeCatalog({}))

    assert isinstance(
        svc.list(Listing(created_from="2024-03-01", created_to="2024-03-01"), None, WEB), OrderList
    )
    assert isinstance(svc.list(Listing(attention=True), None, STAFF), OrderList)
    assert len(orders.queries) == 2


def test_an_external_id_is_looked_up_in_the_callers_channel_or_the_one_staff_name() -> None:
    order = service(FakeOrders(), FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(external_id="E-1"), WEB, None
    )
    assert isinstance(order, Placed)
    orders = FakeOrders(stored={order.order.order_id: order.order})
    svc = service(orders, FakeCatalog({}))
    pos = Principal(role="channel", key_id="k-pos", channel="pos")

    assert svc.find_by_external_id("E-1", None, WEB) == order.order
    assert svc.find_by_external_id("E-1", "web", STAFF) == order.order
    assert svc.find_by_external_id("E-1", None, STAFF) == ChannelNeeded()
    assert svc.find_by_external_id("E-1", "web", pos) is None  # another channel's: not found, not read
    assert svc.find_by_external_id("E-1", None, pos) is None
    assert orders.by_external == [("web", "E-1"), ("web", "E-1"), ("pos", "E-1")]


# --- backorders (orders already sold elsewhere) ----------------------------------------------


def test_short_stock_with_backorder_allowed_records_the_order_reserving_nothing() -> None:
    orders = FakeOrders(stock_failure("MUG", Decimal("7.50"), 1))
    placed = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(
        request(), WEB, None, allow_backorder=True
    )

    assert isinstance(placed, Placed)
    assert placed.order.status == "BACKORDERED"
    assert [(b.sku, b.requested, b.available) for b in placed.order.backorder or []] == [("MUG", 2, 1)]
    first, second = orders.plans
    assert any(isinstance(w, ReserveStock) for w in first.writes)
    assert not any(isinstance(w, ReserveStock) for w in second.writes)  # nothing reserved, nothing oversold
    assert second.order.order_id == first.order.order_id


def test_short_stock_without_backorder_is_out_of_stock() -> None:
    orders = FakeOrders(stock_failure("MUG", Decimal("7.50"), 1))
    result = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, None)
    assert isinstance(result, OutOfStock)
    assert len(orders.plans) == 1


def test_a_resent_plan_that_already_committed_is_placed_not_replayed() -> None:
    def already_stored(plan: OrderPlan) -> Cancelled:
        create = next(w for w in plan.writes if isinstance(w, CreateOrder))
        return Cancelled(failures=[OrderExists(create, plan.order.order_id)], contended=False)

    orders = FakeOrders(already_stored)
    placed = service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, None)
    assert isinstance(placed, Placed)
    assert not placed.replayed
    assert orders.gets == []


# --- customers ---------------------------------------------------------------------------------


def link_failure(kind: type[ClaimEmail | CheckEmail], owner: str | None) -> Script:
    def answer(plan: OrderPlan) -> Cancelled:
        [write] = [w for w in plan.writes if isinstance(w, kind)]
        return Cancelled(failures=[CustomerRefused(write, owner)], contended=False)

    return answer


def customer_writes(plan: OrderPlan) -> list[Any]:
    return [w for w in plan.writes if isinstance(w, ClaimEmail | CheckEmail | CreateCustomer | TouchCustomer)]


def test_a_new_email_creates_a_customer_and_the_next_order_checks_the_remembered_link() -> None:
    orders = FakeOrders(links=True)
    svc = service(orders, FakeCatalog({"MUG": Decimal("5.00")}))

    first = svc.place(request(), STAFF, None)
    second = svc.place(request(customer={"email": " A@B.CO", "name": "A"}), STAFF, None)

    assert isinstance(first, Placed) and isinstance(second, Placed)
    assert first.order.customer_id == second.order.customer_id == "order-2"
    key = email_key("a@b.co")
    assert customer_writes(orders.plans[0])[0] == ClaimEmail(key, "order-2")
    assert isinstance(customer_writes(orders.plans[0])[1], CreateCustomer)
    assert customer_writes(orders.plans[1]) == [
        CheckEmail(key, "order-2"),
        TouchCustomer("order-2", first.order.created_at),
    ]


def test_an_email_another_order_claimed_first_links_to_that_customer() -> None:
    orders = FakeOrders(link_failure(ClaimEmail, "c-first"), links=True)

    placed = service(orders, FakeCatalog({"MUG": Decimal("5.00")})).place(request(), STAFF, None)

    assert isinstance(placed, Placed) and placed.order.customer_id == "c-first"
    assert customer_writes(orders.plans[1])[0] == CheckEmail(email_key("a@b.co"), "c-first")


def test_a_remembered_customer_that_was_erased_gives_way_to_a_new_one() -> None:
    orders = FakeOrders(links=True)
    svc = service(orders, FakeCatalog({"MUG": Decimal("5.00")}))
    svc.place(request(), STAFF, None)
    orders.script.append(link_failure(CheckEmail, None))  # the email was released by an erasure

    again = svc.place(request(), STAFF, None)

    assert isinstance(again, Placed)
    assert again.order.customer_id not in (None, "order-2")
    assert isinstance(customer_writes(orders.plans[-1])[0], ClaimEmail)


def test_orders_are_not_linked_by_a_store_without_the_customers_table() -> None:
    orders = FakeOrders()
    placed = service(orders, FakeCatalog({"MUG": Decimal("5.00")})).place(request(), STAFF, None)
    assert isinstance(placed, Placed) and placed.order.customer_id is None
    assert customer_writes(orders.plans[0]) == []


# --- lifecycle changes: the retry loop of _change ------------------------------------------------

SHIPMENT = ShipmentIn.model_validate({"carrier": "ups", "tracking_number": "1Z1"})


def moved_on(plan: OrderPlan) -> Cancelled:
    """Another change of the order won meanwhile: the order's own write was refused."""
    [replace_write] = [w for w in plan.writes if isinstance(w, ReplaceOrder)]
    return Cancelled(failures=[Refused(replace_write)], contended=False)


def upper_bound_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pause at its ceiling, so the ceilings themselves can be compared."""
    monkeypatch.setattr(retry.random, "uniform", lambda low, high: high)


def stored_order() -> tuple[FakeOrders, Order]:
    order = placed_order(WEB)
    return FakeOrders(stored={order.order_id: order}), order


def test_a_change_that_lost_a_race_reads_again_and_commits_after_one_pause() -> None:
    sleeps: list[float] = []
    orders, order = stored_order()
    orders.script.append(moved_on)

    result = service(orders, FakeCatalog({}), sleeps=sleeps).cancel(order.order_id, WEB, "changed my mind")

    assert isinstance(result, OrderChanged) and not result.replayed
    assert result.order.status == "CANCELLED"
    assert orders.gets == [(order.order_id, True), (order.order_id, True)]  # read again, consistently
    assert len(orders.plans) == 2 and len(sleeps) == 1
    assert orders.tokens == [False, False]  # conditioned on the version read: no request token


def test_a_change_losing_every_race_is_busy_after_max_attempts_with_growing_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    upper_bound_pauses(monkeypatch)
    sleeps: list[float] = []
    orders, order = stored_order()
    orders.script.extend([moved_on] * (MAX_ATTEMPTS + 3))

    result = service(orders, FakeCatalog({}), sleeps=sleeps).cancel(order.order_id, WEB, "r")

    assert result == Contention()
    assert len(orders.plans) == len(orders.gets) == MAX_ATTEMPTS
    assert sleeps == [retry.BASE_PAUSE_S * 2**attempt for attempt in range(MAX_ATTEMPTS - 1)]
    assert sleeps == sorted(sleeps) and len(set(sleeps)) == len(sleeps)  # each ceiling above the last
    assert orders.stored[order.order_id] == order  # nothing written


def test_a_change_the_new_version_no_longer_allows_is_answered_without_another_try() -> None:
    sleeps: list[float] = []
    orders, order = stored_order()

    def cancelled_meanwhile(plan: OrderPlan) -> Cancelled:
        orders.stored[order.order_id] = order.model_copy(update={"status": "CANCELLED"})
        return moved_on(plan)

    orders.script.append(cancelled_meanwhile)

    result = service(orders, FakeCatalog({}), sleeps=sleeps).ship(order.order_id, STAFF, SHIPMENT)

    assert result == NotAllowed("CANCELLED", "SHIPPED")
    assert len(orders.plans) == 1 and len(orders.gets) == 2


def test_a_refused_request_is_neither_committed_nor_retried() -> None:
    sleeps: list[float] = []
    orders, order = stored_order()
    wrong_sku = ShipmentIn.model_validate(
        {"carrier": "ups", "tracking_number": "1Z1", "lines": [{"sku": "CAP", "quantity": 1}]}
    )

    result = service(orders, FakeCatalog({}), sleeps=sleeps).ship(order.order_id, STAFF, wrong_sku)

    assert isinstance(result, Rejected)
    assert (orders.plans, sleeps, len(orders.gets)) == ([], [], 1)


def test_a_movement_refused_by_a_newer_count_is_made_again_after_it_without_a_pause() -> None:
    sleeps: list[float] = []
    orders, order = stored_order()
    ahead = "2099-01-01T00:00:00.000000Z"

    def counted_ahead(plan: OrderPlan) -> Cancelled:
        [move] = [w for w in plan.writes if isinstance(w, MoveStock)]
        level = ProductLevels(exists=True, level=LocationLevel(on_hand=9, counted_at=ahead))
        return Cancelled(failures=[MoveRefused(move, level)], contended=False)

    orders.script.append(counted_ahead)

    result = service(orders, FakeCatalog({}), sleeps=sleeps).ship(order.order_id, STAFF, SHIPMENT)

    assert isinstance(result, OrderChanged) and result.order.status == "SHIPPED"
    first, second = (next(w for w in p.writes if isinstance(w, MoveStock)) for p in orders.plans)
    assert first.after < ahead < second.after  # dated just after the count that refused it
    assert sleeps == []


def test_a_change_of_an_order_the_caller_cannot_see_is_none_and_writes_nothing() -> None:
    orders, order = stored_order()
    pos = Principal(role="channel", key_id="k-pos", channel="pos")

    assert service(orders, FakeCatalog({})).cancel(order.order_id, pos, "r") is None
    assert service(orders, FakeCatalog({})).cancel("missing", STAFF, "r") is None
    assert orders.plans == []


def test_a_replay_whose_order_is_missing_is_a_broken_store_not_an_answer() -> None:
    orders = FakeOrders(claim_failure("idempotency", Claim("order-gone", request_hash(request()))))

    with pytest.raises(MissingOrder):
        service(orders, FakeCatalog({"MUG": Decimal("7.50")})).place(request(), WEB, "key-1")
