"""Keys with scopes: every route's scope, the answers that name the scope missing, keys read from the
environment and from a keys file, compared in constant time and never shown."""

import hmac
import logging
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from vnsearch import Index
from vnsearch.keys import VARIABLES, Keys, KeysError, same_key
from vnsearch.server import create_app

SEARCH, WRITE, ADMIN = "search-key-0123456789", "write-key-0123456789", "admin-key-0123456789"
KEYS = {"search": SEARCH, "write": WRITE, "admin": ADMIN}
ARTICLES = [
    {"id": "a1", "title": "Hội nghị tổng kết công tác dân vận năm 2023", "body": "Quận 5 tổ chức hội nghị dân vận."},
    {"id": "a2", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh."},
]
# Every route and the scope it needs (None: open to all), with a request that succeeds when let through
# and its answer. A route missing here fails test_every_route_has_a_scope: each new one needs a decision.
ROUTES = {
    ("GET", "/"): (None, "/", None, 200),
    ("GET", "/health"): (None, "/health", None, 200),
    ("GET", "/openapi.json"): (None, "/openapi.json", None, 200),
    ("GET", "/docs"): (None, "/docs", None, 200),
    ("GET", "/docs/oauth2-redirect"): (None, "/docs/oauth2-redirect", None, 200),
    ("GET", "/redoc"): (None, "/redoc", None, 200),
    ("GET", "/stats"): ("search", "/stats", None, 200),
    ("GET", "/search"): ("search", "/search?q=dan+van", None, 200),
    ("POST", "/search"): ("search", "/search", {"q": "dan van"}, 200),
    ("GET", "/fields"): ("search", "/fields", None, 200),
    ("GET", "/suggest"): ("search", "/suggest?q=dan+v", None, 200),
    ("GET", "/documents/{doc_id:path}"): ("search", "/documents/a1", None, 200),
    ("GET", "/documents/{doc_id:path}/similar"): ("search", "/documents/a1/similar", None, 200),
    ("PUT", "/documents/{doc_id:path}"): ("write", "/documents/a1", {"title": "Dân vận khéo"}, 200),
    ("POST", "/documents"): ("write", "/documents", [{"id": "a1", "title": "Dân vận khéo"}], 200),
    ("DELETE", "/documents/{doc_id:path}"): ("write", "/documents/a2", None, 204),
    ("POST", "/backups"): ("admin", "/backups", None, 201),
}
SENT = {"no key": None, "wrong key": ADMIN[:-1] + "X", **{f"{scope} key": key for scope, key in KEYS.items()}}


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    Index.create(tmp_path / "index").add(ARTICLES)
    return tmp_path / "index"


@pytest.fixture(scope="module")
def private_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("private") / "index"
    Index.create(path).add(ARTICLES)
    return path


@pytest.fixture(scope="module")
def private(private_path: Path) -> TestClient:
    """A service with every scope's key: reads need the search key."""
    return TestClient(create_app(private_path, Keys(**KEYS), write_wait=0.3))


def call(client: TestClient, index_path: Path, route: tuple[str, str], key: str | None) -> httpx.Response:
    """The route's request, sent with `key` (for a delete, the document is put back first)."""
    _, path, body, _ = ROUTES[route]
    if route[0] == "DELETE":
        with Index.open(index_path) as index:
            index.add(ARTICLES[1:])
    headers = bearer(key) if key is not None else {}
    return client.request(route[0], path, json=body, headers=headers)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_every_route_has_a_scope(private: TestClient) -> None:
    found = {
        (method, route.path)
        for route in private.app.routes
        if isinstance(route, APIRoute | Route)
        for method in route.methods - {"HEAD"}
    }
    assert found == set(ROUTES)


@pytest.mark.parametrize("sent", sorted(SENT))
@pytest.mark.parametrize("route", sorted(ROUTES), ids=" ".join)
def test_each_route_lets_through_the_keys_of_its_scope_and_above(
    private: TestClient, private_path: Path, route: tuple[str, str], sent: str
) -> None:
    scope, _, _, succeeded = ROUTES[route]
    response = call(private, private_path, route, SENT[sent])
    order = ["search", "write", "admin"]
    sent_scope = sent.removesuffix(" key")
    if scope is None or (sent_scope in order and order.index(sent_scope) >= order.index(scope)):
        assert response.status_code == succeeded, response.text
        return
    detail = response.json()["detail"]
    assert detail.startswith(f"this needs the {scope} key"), detail
    if sent_scope in order:  # a key of a lower scope
        assert response.status_code == 403 and detail.endswith(f"the key sent is the {sent_scope} key")
        assert response.headers["www-authenticate"] == f'Bearer error="insufficient_scope", scope="{scope}"'
    else:
        error = 'error="invalid_token", ' if sent == "wrong key" else ""
        assert response.status_code == 401 and response.headers["www-authenticate"] == f'Bearer {error}scope="{scope}"'
        assert ("none of this service's keys" in detail) == (sent == "wrong key")


def test_a_rejected_write_changes_nothing(private: TestClient) -> None:
    assert private.put("/documents/a1", json={"title": "x"}, headers=bearer(SEARCH)).status_code == 403
    assert private.delete("/documents/a1", headers=bearer(SEARCH + "0")).status_code == 401
    assert private.get("/documents/a1", headers=bearer(SEARCH)).json()["id"] == "a1"
    assert private.get("/documents/a1", headers=bearer(SEARCH)).json()["title"] != "x"


@pytest.mark.parametrize(
    ("configured", "answers"),
    [
        # Per scope, the answer without a key and with the highest key configured ("ok": the route's success).
        ({}, {"search": ("ok", "ok"), "write": (403, 403), "admin": (403, 403)}),
        ({"write": WRITE}, {"search": ("ok", "ok"), "write": (401, "ok"), "admin": (403, 403)}),
        ({"admin": ADMIN}, {"search": ("ok", "ok"), "write": (401, "ok"), "admin": (401, "ok")}),
        ({"search": SEARCH}, {"search": (401, "ok"), "write": (403, 403), "admin": (403, 403)}),
    ],
    ids=["no keys", "write key", "admin key", "search key"],
)
def test_scopes_without_a_key_of_their_own(index_path: Path, configured: dict[str, str], answers: dict) -> None:
    client = TestClient(create_app(index_path, Keys(**configured), write_wait=0.3))
    highest = list(configured.values())[-1] if configured else None
    for route, (scope, _, _, succeeded) in ROUTES.items():
        if scope is None:
            continue
        for key, answer in zip((None, highest), answers[scope]):
            response = call(client, index_path, route, key)
            assert response.status_code == (succeeded if answer == "ok" else answer), (route, key)
            if answer == 403:  # no key grants the scope: the answer says which variable would
                assert response.json()["detail"] == (
                    f"this needs the {scope} key{' (or the admin key)' if scope == 'write' else ''}, and the "
                    f"service was started without one (set {VARIABLES[scope]} or give it a keys file)"
                )


def test_health_stays_open_and_hides_the_count_of_a_private_index(private: TestClient, index_path: Path) -> None:
    health = private.get("/health").json()
    assert health == {"status": "ok", "documents": None, "writable": True,
                      "keys": {"search": True, "write": True, "admin": True}}  # fmt: skip
    assert private.get("/stats", headers=bearer(SEARCH)).json()["documents"] == len(ARTICLES)
    public = TestClient(create_app(index_path, Keys(admin=ADMIN))).get("/health").json()
    assert public == {"status": "ok", "documents": len(ARTICLES), "writable": True,
                      "keys": {"search": False, "write": False, "admin": True}}  # fmt: skip


def test_the_schema_declares_each_routes_key(private: TestClient, index_path: Path) -> None:
    paths = private.get("/openapi.json").json()["paths"]
    for (method, path), (scope, *_) in ROUTES.items():
        operation = paths.get(path.replace(":path", ""), {}).get(method.lower())
        if operation is None:  # the page and the documentation are not in the schema
            assert scope is None
            continue
        assert operation.get("security") == ([{f"{scope}Key": []}] if scope else None), (method, path)
        assert {"401", "403"} <= set(operation["responses"]) or scope is None
    open_reads = TestClient(create_app(index_path, Keys(write=WRITE))).get("/openapi.json").json()["paths"]
    assert "security" not in open_reads["/search"]["get"] and "401" not in open_reads["/search"]["get"]["responses"]


def test_keys_are_compared_with_compare_digest_every_one(private: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    compared = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert private.get("/stats", headers=bearer(SEARCH)).status_code == 200
    # The key sent is compared with each of the three, not only until one matches.
    assert sorted(compared) == sorted((SEARCH.encode(), key.encode()) for key in KEYS.values())


@pytest.mark.parametrize(
    ("sent", "key", "same"),
    [
        (WRITE, WRITE, True),
        (WRITE[:-1], WRITE, False),
        (WRITE + "0", WRITE, False),
        ("", WRITE, False),
        ("wrïte-key-0123456789", WRITE, False),  # what a header decoded as Latin-1 can hold
        ("Ä" * 20, "Ä" * 20, True),
    ],
)
def test_same_key(sent: str, key: str, same: bool) -> None:
    assert same_key(sent, key) is same


def test_keys_never_appear_in_logs_or_answers(private: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    answers = [
        private.put("/documents/a9", json={"title": "x"}, headers=bearer(SEARCH)),  # a lower scope
        private.get("/stats", headers=bearer(WRITE + "!")),  # a near miss
        private.get("/stats", headers={"Authorization": f"Basic {ADMIN}"}),  # the right key, the wrong scheme
        private.get("/search", params={"q": "dân vận"}, headers=bearer(ADMIN)),
        private.get("/health"),
        private.get("/openapi.json"),
    ]
    shown = caplog.text + "".join(answer.text + str(answer.headers) for answer in answers)
    assert [answer.status_code for answer in answers] == [403, 401, 401, 200, 200, 200]
    for key in (*KEYS.values(), WRITE + "!"):
        assert key not in shown
    assert SEARCH not in repr(Keys(**KEYS)) and repr(Keys(write=WRITE)) == "Keys(search=None, write=set, admin=None)"


# Keys from the environment and from a file


def test_keys_from_the_environment() -> None:
    keys = Keys.from_environment({"VNSEARCH_SEARCH_KEY": SEARCH, "VNSEARCH_API_KEY": WRITE, "VNSEARCH_ADMIN_KEY": ""})
    assert (keys.scope_of(SEARCH), keys.scope_of(WRITE), keys.own("admin")) == ("search", "write", False)
    assert Keys.from_environment({"VNSEARCH_WRITE_KEY": WRITE, "VNSEARCH_API_KEY": WRITE}).scope_of(WRITE) == "write"
    assert not any(Keys.from_environment({}).own(scope) for scope in KEYS)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"VNSEARCH_WRITE_KEY": "short"}, "VNSEARCH_WRITE_KEY: the key has 5 characters; keys have 16 to 1024"),
        ({"VNSEARCH_API_KEY": WRITE + " x"}, "VNSEARCH_API_KEY: a key is visible ASCII characters only (no spaces)"),
        ({"VNSEARCH_ADMIN_KEY": "khóa-quản-trị-0123456789"}, "VNSEARCH_ADMIN_KEY: a key is visible ASCII"),
        ({"VNSEARCH_WRITE_KEY": WRITE, "VNSEARCH_API_KEY": ADMIN}, "VNSEARCH_API_KEY (the old name of VNSEARCH_WRITE"),
        ({"VNSEARCH_SEARCH_KEY": WRITE, "VNSEARCH_WRITE_KEY": WRITE},
         "VNSEARCH_SEARCH_KEY and VNSEARCH_WRITE_KEY hold the same key; give each scope its own"),
        ({"VNSEARCH_KEYS_FILE": "keys.txt", "VNSEARCH_API_KEY": WRITE},
         "keys come from a keys file (keys.txt) or from the environment, not both: unset VNSEARCH_API_KEY"),
    ],
)  # fmt: skip
def test_unusable_keys_in_the_environment_are_named(environment: dict[str, str], message: str) -> None:
    with pytest.raises(KeysError) as raised:
        Keys.from_environment(environment)
    assert str(raised.value).startswith(message)
    assert not any(key in str(raised.value) for key in environment.values() if len(key) > 8)


def test_keys_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keys"
    path.write_text(f"\ufeff# vnsearch keys\n\nsearch = {SEARCH}\n  write={WRITE}  \n", encoding="utf-8")
    keys = Keys.from_file(path)
    assert (keys.scope_of(SEARCH), keys.scope_of(WRITE), keys.own("admin")) == ("search", "write", False)
    assert Keys.from_environment({"VNSEARCH_KEYS_FILE": str(path)}).scope_of(WRITE) == "write"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"write {WRITE}\n", "{path}:1: expected scope=key, the scope one of search, write, admin"),
        (f"# keys\nwriter={WRITE}\n", "{path}:2: expected scope=key"),
        (f"write={WRITE}\nwrite={ADMIN}\n", "{path}:2: a second write key (the first is at {path}:1)"),
        ("admin=\n", "{path}:1: the key has 0 characters; keys have 16 to 1024"),
        (f"admin={'x' * 15}\n", "{path}:1: the key has 15 characters"),
        (f"search={WRITE}\nadmin={WRITE}\n", "{path}:1 and {path}:2 hold the same key; give each scope its own"),
        ("# nothing yet\n\n", "{path}: holds no keys; write one scope=key a line (search, write, admin)"),
        (b"write=\xff\xfe-not-utf-8-0123456789\n", "{path}: cannot be read as a keys file ("),
    ],
)
def test_a_malformed_keys_file_is_named_with_its_line(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = tmp_path / "keys.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(KeysError) as raised:
        Keys.from_file(path)
    assert str(raised.value).startswith(message.format(path=path))
    assert not any(key in str(raised.value) for key in (WRITE, ADMIN, "x" * 15))


def test_a_missing_keys_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match=f"^{tmp_path / 'none'}: cannot be read as a keys file"):
        Keys.from_file(tmp_path / "none")
