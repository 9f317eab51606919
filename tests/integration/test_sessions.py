"""People's sessions through the whole request path (local gateway, authorizer, API handler) on moto:
sign in, the cookie on every route, CSRF on changes, sign-out, revocation, idle expiry; and /keys."""

from __future__ import annotations

import time
from typing import Any

import pytest

from infra.spec import API_KEYS
from shared.dal.api_keys import hash_key, key_id
from shared.dal.sessions import session_pk
from shared.domain.sessions import IDLE_SECONDS, SLIDE_EVERY_SECONDS
from shared.security_headers import API_HEADERS
from tests.support.http import ApiClient, Reply

COOKIE_ATTRIBUTES = "; HttpOnly; Secure; SameSite=Strict; Path=/"


class Browser:
    """What a browser sends: the session's cookie (no key), and the CSRF token where the console sends it."""

    def __init__(self, token: str, csrf: str) -> None:
        self.token = token
        self.csrf = csrf
        self.client = ApiClient(key=None)

    def request(self, method: str, path: str, body: Any = None, *, csrf: bool = True) -> Reply:
        headers = {"Cookie": f"theme=dark; oms_session={self.token}"}
        if csrf:
            headers["X-CSRF-Token"] = self.csrf
        return self.client.request(method, path, body, headers=headers)


def sign_in(key: str) -> Reply:
    return ApiClient(key=None).post("/session", {"api_key": key})


def signed_in(key: str = "dev-staff-key") -> Browser:
    reply = sign_in(key)
    assert reply.status == 201, reply.body
    cookie = reply.header("Set-Cookie") or ""
    assert cookie.startswith("oms_session=") and cookie.endswith(COOKIE_ATTRIBUTES), cookie
    token = cookie.removeprefix("oms_session=").removesuffix(COOKIE_ATTRIBUTES)
    return Browser(token, reply.json()["csrf_token"])


def test_signing_in_answers_the_person_and_a_session_cookie(aws: Any) -> None:
    reply = sign_in("dev-staff-key")

    assert reply.status == 201
    body = reply.json()
    assert set(body) == {"name", "role", "key_id", "csrf_token", "expires_at"}
    assert (body["name"], body["role"], body["key_id"]) == (
        "dev-staff",
        "staff",
        key_id(hash_key("dev-staff-key")),
    )
    assert reply.header("Cache-Control") == "no-store"
    assert all(reply.header(name) == value for name, value in API_HEADERS.items())
    # Only the token's hash is stored, and the key's hash is no credential.
    token = (reply.header("Set-Cookie") or "").split(";")[0].removeprefix("oms_session=")
    items = aws.scan(TableName=API_KEYS.local_name)["Items"]
    assert not any(token in str(item) for item in items)
    [session] = [i for i in items if i.get("kind", {}).get("S") == "session"]
    assert session["pk"]["S"] == session_pk(token)
    assert int(session["expires_at"]["N"]) - int(time.time()) in range(IDLE_SECONDS - 5, IDLE_SECONDS + 1)


@pytest.mark.parametrize(
    ("key", "status", "detail"),
    [
        ("not-a-key", 401, "That API key is not valid."),
        ("dev-web-key", 403, "Channel keys cannot sign in to the console."),
        ("dev-pos-key", 403, "Channel keys cannot sign in to the console."),
    ],
)
def test_an_unknown_or_channel_key_cannot_sign_in(aws: Any, key: str, status: int, detail: str) -> None:
    reply = sign_in(key)

    assert reply.status == status
    assert reply.header("Content-Type") == "application/problem+json"
    assert reply.header("Set-Cookie") is None
    problem = reply.json()
    assert (problem["status"], problem["detail"]) == (status, detail)
    assert problem["title"] == ("Unauthorized" if status == 401 else "Forbidden")
    assert not [
        i for i in aws.scan(TableName=API_KEYS.local_name)["Items"] if i.get("kind") == {"S": "session"}
    ]


def test_the_cookie_says_who_is_signed_in_and_renews_itself(aws: Any) -> None:
    browser = signed_in("dev-viewer-key")

    reply = browser.request("GET", "/session", csrf=False)

    assert reply.status == 200
    assert reply.json()["name"] == "dev-viewer" and reply.json()["csrf_token"] == browser.csrf
    assert reply.header("Set-Cookie") == f"oms_session={browser.token}{COOKIE_ATTRIBUTES}"


def test_get_session_without_a_cookie_is_401(aws: Any) -> None:
    assert ApiClient("dev-staff-key").get("/session").status == 401  # a key is no session
    assert ApiClient(key=None).get("/session").status == 401


def test_a_change_by_cookie_needs_the_csrf_token(aws: Any) -> None:
    browser = signed_in("dev-staff-key")
    product = {"name": "Mug", "price": "8.50"}

    refused = browser.request("PUT", "/products/MUG", product, csrf=False)
    wrong = browser.client.request(
        "PUT",
        "/products/MUG",
        product,
        headers={"Cookie": f"oms_session={browser.token}", "X-CSRF-Token": "x"},
    )

    for reply in (refused, wrong):
        assert reply.status == 403
        assert "X-CSRF-Token" in reply.json()["detail"]
    assert ApiClient("dev-staff-key").get("/products/MUG").status == 404  # nothing was written
    assert browser.request("GET", "/products", csrf=False).status == 200  # reading needs no token
    assert browser.request("PUT", "/products/MUG", product).status == 201


def test_a_change_by_session_names_the_person(aws: Any) -> None:
    browser = signed_in("dev-staff-key")
    assert browser.request("PUT", "/products/MUG", {"name": "Mug", "price": "8.50"}).status == 201
    assert browser.request("PUT", "/inventory/MUG", {"on_hand": 4}).status == 200

    [movement] = browser.request("GET", "/inventory/MUG/movements", csrf=False).json()["items"]

    assert movement["actor"] == "staff:dev-staff"


def test_signing_out_ends_the_session_and_clears_the_cookie(aws: Any) -> None:
    browser = signed_in()

    assert browser.request("DELETE", "/session", csrf=False).status == 403  # sign-out is a change too
    reply = browser.request("DELETE", "/session")

    assert reply.status == 204
    assert reply.header("Set-Cookie") == "oms_session=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0"
    assert browser.request("GET", "/session", csrf=False).status == 401
    assert browser.request("GET", "/orders", csrf=False).status == 401


def test_signing_in_again_in_the_same_browser_ends_the_session_it_had(aws: Any) -> None:
    """A shared computer: the next person's sign-in ends the previous person's session on the server."""
    first = signed_in("dev-staff-key")
    reply = ApiClient(key=None).request(
        "POST",
        "/session",
        {"api_key": "dev-viewer-key"},
        headers={"Cookie": f"oms_session={first.token}"},
    )

    assert reply.status == 201
    assert first.request("GET", "/session", csrf=False).status == 401
    sessions = [
        item
        for item in aws.scan(TableName=API_KEYS.local_name)["Items"]
        if item.get("kind", {}).get("S") == "session"
    ]
    assert [item["name"]["S"] for item in sessions] == ["dev-viewer"]


def test_revoking_the_key_ends_its_sessions_at_once(aws: Any) -> None:
    admin = ApiClient("dev-admin-key")
    made = admin.post("/keys", {"name": "alice", "role": "staff"})
    assert made.status == 201
    browser = signed_in(made.json()["api_key"])
    other = signed_in("dev-staff-key")
    assert browser.request("GET", "/session", csrf=False).json()["name"] == "alice"

    assert admin.delete(f"/keys/{made.json()['key_id']}").status == 204

    assert browser.request("GET", "/orders", csrf=False).status == 401
    assert sign_in(made.json()["api_key"]).status == 401
    assert other.request("GET", "/orders", csrf=False).status == 200  # another key's session goes on
    kinds = [i.get("key_pk", {}).get("S") for i in aws.scan(TableName=API_KEYS.local_name)["Items"]]
    assert hash_key(made.json()["api_key"]) not in kinds  # its session's item went with it


def test_a_session_whose_item_outlives_its_key_is_refused(aws: Any) -> None:
    """Revocation is read with the session (one BatchGetItem): a session item left behind lets no one in."""
    browser = signed_in()
    aws.delete_item(TableName=API_KEYS.local_name, Key={"pk": {"S": hash_key("dev-staff-key")}})

    assert browser.request("GET", "/orders", csrf=False).status == 401


def test_an_idle_session_expires_and_a_used_one_slides(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = signed_in()
    key = {"pk": {"S": session_pk(browser.token)}}

    def expires_at() -> int:
        return int(aws.get_item(TableName=API_KEYS.local_name, Key=key)["Item"]["expires_at"]["N"])

    first = expires_at()
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + SLIDE_EVERY_SECONDS - 10)
    assert browser.request("GET", "/orders", csrf=False).status == 200
    assert expires_at() == first  # used within five minutes: no write

    monkeypatch.setattr(time, "time", lambda: now + SLIDE_EVERY_SECONDS + 10)
    assert browser.request("GET", "/orders", csrf=False).status == 200
    slid = expires_at()
    assert slid > first  # used later: eight hours from now

    monkeypatch.setattr(time, "time", lambda: slid + 1)  # eight hours without a request
    assert browser.request("GET", "/orders", csrf=False).status == 401
    assert browser.request("GET", "/session", csrf=False).status == 401


def test_a_forged_or_malformed_cookie_is_401(aws: Any) -> None:
    browser = signed_in()
    forged = Browser(browser.token[:-2] + "xx", browser.csrf)
    malformed = Browser("not-a-token", browser.csrf)
    for other in (forged, malformed):
        assert other.request("GET", "/orders", csrf=False).status == 401


def test_a_key_wins_over_a_cookie(aws: Any) -> None:
    """A request with a key is the key's (no CSRF token needed: a browser never sends a key by itself)."""
    browser = signed_in("dev-viewer-key")
    reply = ApiClient("dev-staff-key").request(
        "PUT",
        "/products/MUG",
        {"name": "Mug", "price": "1.00"},
        headers={"Cookie": f"oms_session={browser.token}"},
    )
    assert reply.status == 201


# --- keys over HTTP (admin) ---------------------------------------------------------------------


def test_an_admin_lists_makes_and_revokes_peoples_keys(aws: Any) -> None:
    admin = ApiClient("dev-admin-key")
    signed_in()  # a session is in the same table, and never listed

    made = admin.post("/keys", {"name": "bob", "role": "viewer"})
    listed = admin.get("/keys")

    assert made.status == 201
    assert set(made.json()) == {"key_id", "name", "role", "api_key"}
    assert made.header("Cache-Control") == "no-store"
    assert listed.status == 200
    items = listed.json()["items"]
    assert {(i["name"], i["role"], i["channel"]) for i in items} >= {
        ("dev-admin", "admin", None),
        ("bob", "viewer", None),
        ("local-channel", "channel", "web"),
    }
    assert all(set(i) == {"key_id", "name", "role", "channel", "created_at"} for i in items)
    assert made.json()["api_key"] not in listed.body.decode()
    assert len(items) == 6  # the five local keys and bob's: no session
    assert ApiClient(made.json()["api_key"]).get("/orders").status == 200

    assert admin.delete(f"/keys/{made.json()['key_id']}").status == 204
    assert admin.delete(f"/keys/{made.json()['key_id']}").status == 404
    assert ApiClient(made.json()["api_key"]).get("/orders").status == 401


@pytest.mark.parametrize(
    "body",
    [
        {"name": "alice", "role": "channel"},
        {"name": "alice", "role": "root"},
        {"name": "Alice", "role": "staff"},
        {"name": "a b", "role": "staff"},
        {"name": "", "role": "staff"},
        {"name": "x" * 41, "role": "staff"},
        {"name": "alice"},
        {"name": "alice", "role": "staff", "channel": "web"},
    ],
)
def test_a_key_over_http_is_a_persons_with_a_persons_name(aws: Any, body: dict[str, Any]) -> None:
    reply = ApiClient("dev-admin-key").post("/keys", body)
    assert reply.status == 422, reply.body


def test_two_live_people_never_share_a_name(aws: Any) -> None:
    admin = ApiClient("dev-admin-key")
    assert admin.post("/keys", {"name": "carol", "role": "staff"}).status == 201

    again = admin.post("/keys", {"name": "carol", "role": "viewer"})
    local = admin.post("/keys", {"name": "dev-staff", "role": "viewer"})

    for reply in (again, local):
        assert reply.status == 409
        assert "audit trail" in reply.json()["detail"]


def test_a_name_is_claimed_with_its_key_so_two_at_once_cannot_share_it(aws: Any) -> None:
    """The service's listing cannot see a key made a moment ago: the claim in the key's own transaction
    refuses the second (as two admins, or a double click, would race)."""
    from shared.dal.api_keys import ApiKeyStore, NameInUse

    store = ApiKeyStore(aws, API_KEYS.local_name)
    store.put("first-alice-key", "staff", None, "alice")
    store.put("first-alice-key", "staff", None, "alice")  # the same key again (a restart's seeding): no error
    with pytest.raises(NameInUse):
        store.put("second-alice-key", "viewer", None, "alice")
    assert [k["name"] for k in store.list()].count("alice") == 1
    [alice] = [k for k in store.list() if k["name"] == "alice"]
    store.revoke(alice["key_id"])  # the name is free again
    store.put("second-alice-key", "viewer", None, "alice")
    assert [(k["name"], k["role"]) for k in store.list() if k["name"] == "alice"] == [("alice", "viewer")]


@pytest.mark.parametrize("key", ["dev-staff-key", "dev-viewer-key", "dev-web-key"])
def test_only_an_admin_manages_keys(aws: Any, key: str) -> None:
    client = ApiClient(key)
    assert client.get("/keys").status == 403
    assert client.post("/keys", {"name": "mallory", "role": "admin"}).status == 403
    assert client.delete(f"/keys/{key_id(hash_key('dev-admin-key'))}").status == 403
    assert ApiClient("dev-admin-key").get("/orders").status == 200  # the admin's key was not revoked


def test_a_channel_keys_last_api_gateway_key_is_the_clis_to_revoke(aws: Any) -> None:
    """In AWS the API function has no API Gateway permissions: a key whose API Gateway key would be left on
    no key is refused, naming the command that revokes it."""
    aws.update_item(
        TableName=API_KEYS.local_name,
        Key={"pk": {"S": hash_key("dev-pos-key")}},
        UpdateExpression="SET usage_key_id = :id, usage_key = :value",
        ExpressionAttributeValues={":id": {"S": "gw-pos"}, ":value": {"S": "gw-pos-value"}},
    )
    pos = key_id(hash_key("dev-pos-key"))

    reply = ApiClient("dev-admin-key").delete(f"/keys/{pos}")

    assert reply.status == 409
    assert f"python -m infra.keys --endpoint aws revoke {pos}" in reply.json()["detail"]
    assert ApiClient("dev-pos-key").get("/orders").status == 200


def test_in_aws_a_persons_key_shares_the_staff_api_gateway_key(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.api import wiring
    from shared.config import LOCAL_STACK_ENV

    monkeypatch.delenv(LOCAL_STACK_ENV)
    wiring.key_service.cache_clear()
    admin = ApiClient("dev-admin-key")

    refused = admin.post("/keys", {"name": "dave", "role": "staff"})
    assert refused.status == 409
    assert "python -m infra.keys --endpoint aws create --role admin --name <you>" in refused.json()["detail"]

    aws.update_item(
        TableName=API_KEYS.local_name,
        Key={"pk": {"S": hash_key("dev-admin-key")}},
        UpdateExpression="SET usage_key_id = :id, usage_key = :value",
        ExpressionAttributeValues={":id": {"S": "gw-staff"}, ":value": {"S": "gw-staff-value"}},
    )
    made = admin.post("/keys", {"name": "dave", "role": "staff"})
    assert made.status == 201
    item = aws.get_item(TableName=API_KEYS.local_name, Key={"pk": {"S": hash_key(made.json()["api_key"])}})[
        "Item"
    ]
    assert (item["usage_key_id"]["S"], item["usage_key"]["S"]) == ("gw-staff", "gw-staff-value")
    # The authorizer names it for the key's sessions too, so API Gateway applies the staff plan.
    from functions.authorizer.handler import lambda_handler as authorizer
    from infra.local.workers import LambdaContext

    browser = signed_in(made.json()["api_key"])
    event = {
        "type": "REQUEST",
        "methodArn": "arn:aws:execute-api:us-east-1:000000000000:api/prod/GET/orders",
        "httpMethod": "GET",
        "headers": {"Cookie": f"oms_session={browser.token}"},
    }
    policy = authorizer(event, LambdaContext("authorizer", 256, 5, "test"))
    assert policy["usageIdentifierKey"] == "gw-staff-value"
    assert policy["context"] == {
        "role": "staff",
        "channel": "",
        "key_id": made.json()["key_id"],
        "name": "dave",
    }
