"""The HTTP service in-process (ASGI test client): every endpoint, auth, limits and errors; then over real HTTP."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from whoosh import index as windex

from vnsearch import Index, IndexNotFound
from vnsearch.keys import Keys
from vnsearch.server import MAX_BATCH, MAX_BODY_BYTES, create_app

KEY = "test-write-key-2024"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED_ID = "htv-quan5-dan-van-2023"
README = Path(__file__).resolve().parent.parent / "README.md"
ARTICLES = [
    {"id": "a1", "title": "Hội nghị tổng kết công tác dân vận năm 2023",
     "body": "Sáng nay, Quận ủy Quận 5 đã tổ chức Hội nghị tổng kết công tác dân vận năm 2023.",
     "date": "2024-01-12", "category": "Thời sự", "author": "Minh Tòng"},
    {"id": "a2", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh.", "date": "2017-02-06",
     "category": "Kinh tế"},
    {"id": "a3", "title": "Dân vận khéo ở Quận 1", "body": "Phong trào dân vận khéo được nhân rộng.",
     "date": "2023-05-20", "category": "Thời sự"},
]  # fmt: skip


@pytest.fixture(scope="module")
def reader(sample_index: Index) -> TestClient:
    """A read-only service (no key) over the bundled sample."""
    return TestClient(create_app(sample_index.path))


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    Index.create(tmp_path / "index").add(ARTICLES)
    return tmp_path / "index"


@pytest.fixture
def client(index_path: Path) -> TestClient:
    """A writable service over ARTICLES."""
    return TestClient(create_app(index_path, keys=Keys(write=KEY), write_wait=0.3))


# Reads


def test_health_and_stats(reader: TestClient, sample_index: Index) -> None:
    assert reader.get("/health").json() == {
        "status": "ok", "documents": len(sample_index), "writable": False,
        "keys": {"search": False, "write": False, "admin": False},
    }  # fmt: skip
    stats = reader.get("/stats").json()
    assert stats["documents"] == len(sample_index) and stats["schema_version"] >= 1
    assert "path" not in stats  # the server's folders are not the clients' business


def test_search_without_diacritics_finds_the_seed_article_with_marked_words(reader: TestClient) -> None:
    response = reader.get("/search", params={"q": "quan 5 dan van", "limit": 3})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data = response.json()
    assert (data["query"], data["searched"], data["rewritten"], data["limit"], data["offset"]) == (
        "quan 5 dan van", "quan 5 dan van", False, 3, 0,
    )  # fmt: skip
    assert len(data["hits"]) == 3 and data["total"] > 3 and data["took_ms"] >= 0
    assert data["suggestion"] == "quận 5 dân vận"
    top = data["hits"][0]
    assert top["id"] == SEED_ID and top["date"].startswith("2024-01-12")
    snippet = top["snippet"]
    marked = {snippet["text"][start:end].lower() for start, end in snippet["matches"]}
    assert {"quận 5", "dân vận"} <= marked


def test_responses_are_utf8_json(reader: TestClient) -> None:
    raw = reader.get("/search", params={"q": "Quận 5 dân vận"}).content
    assert "Quận".encode() in raw and json.loads(raw.decode("utf-8"))["query"] == "Quận 5 dân vận"


def test_paging(reader: TestClient) -> None:
    first = reader.get("/search", params={"q": "dan van", "limit": 2}).json()
    second = reader.get("/search", params={"q": "dan van", "limit": 2, "offset": 2}).json()
    both = reader.get("/search", params={"q": "dan van", "limit": 4}).json()
    assert first["total"] == second["total"] == both["total"]
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h["id"] for h in both["hits"]]


def test_suggest_completes_the_last_word(reader: TestClient) -> None:
    data = reader.get("/suggest", params={"q": "cong tac dan v", "limit": 5}).json()
    assert data["query"] == "cong tac dan v" and "công tác dân vận" in data["suggestions"]
    assert len(data["suggestions"]) <= 5
    assert reader.get("/suggest", params={"q": ""}).json() == {"query": "", "suggestions": []}
    assert reader.get("/suggest", params={"q": "dan", "limit": 0}).status_code == 422


def test_telex_query_is_reported_as_searched(client: TestClient) -> None:
    data = client.get("/search", params={"q": "daan vaanj"}).json()
    assert (data["searched"], data["rewritten"], data["suggestion"]) == ("dân vận", True, None)
    assert {h["id"] for h in data["hits"]} == {"a1", "a3"}


def test_category_and_date_filters(client: TestClient) -> None:
    def ids(**params: str) -> set[str]:
        response = client.get("/search", params={"q": "dan van", **params})
        assert response.status_code == 200, response.text
        return {h["id"] for h in response.json()["hits"]}

    assert ids() == {"a1", "a3"}
    assert ids(date_from="2024-01-01") == {"a1"}
    assert ids(date_to="2023-12-31") == {"a3"}
    assert ids(date_from="2023-05-20", date_to="2023-05-20") == {"a3"}
    assert ids(category="kinh te", q="") == {"a2"}
    assert ids(category="thoi su", date_from="2024-01-12") == {"a1"}
    # A stray quote in q is plain text; it does not swallow the filter clauses.
    assert ids(category="thoi su", date_to="2023-12-31", q='dan van"') == {"a3"}
    data = client.get("/search", params={"q": "vàng", "category": "Kinh tế"}).json()
    assert data["query"] == 'category:"Kinh tế" vàng' and data["total"] == 1


def test_get_document(client: TestClient) -> None:
    assert client.get("/documents/a1").json() == ARTICLES[0]
    missing = client.get("/documents/nope")
    assert missing.status_code == 404 and missing.json() == {"detail": "no document with id 'nope'"}


def test_search_explains_each_hit_when_asked(reader: TestClient, sample_index: Index) -> None:
    plain = reader.get("/search", params={"q": "dan van"}).json()
    assert plain["hits"] and all(hit["explanation"] is None for hit in plain["hits"])
    asked = reader.get("/search", params={"q": "dan van", "explain": "true"}).json()
    posted = reader.post("/search", json={"q": "dan van", "explain": True}).json()
    assert [hit["explanation"] for hit in posted["hits"]] == [hit["explanation"] for hit in asked["hits"]]
    for hit in asked["hits"]:
        explained = hit["explanation"]
        assert explained["matched"] and explained["score"] == sample_index.explain("dan van", hit["id"]).score
        assert sum(part["value"] for part in explained["parts"]) == pytest.approx(explained["score"], abs=1e-9)
    first = asked["hits"][0]["explanation"]["parts"]
    assert {"folded", "word", "pair"} <= {part["form"] for part in first}
    assert {"idf", "tf", "normalisation", "saturation"} <= set(first[0])


def test_similar_documents(reader: TestClient, sample_index: Index) -> None:
    found = reader.get("/documents/xquad-Warsaw-0/similar", params={"limit": 5}).json()
    expected = sample_index.more_like_this("xquad-Warsaw-0", limit=5)
    assert [hit["id"] for hit in found["hits"]] == [hit.id for hit in expected] and len(expected) == 5
    assert found["query"] == expected.query and found["total"] == expected.total
    filtered = reader.get("/documents/xquad-Warsaw-0/similar", params={"filter": 'id:"xquad-Warsaw-3"'}).json()
    assert [hit["id"] for hit in filtered["hits"]] == ["xquad-Warsaw-3"]
    missing = reader.get("/documents/nope/similar")
    assert missing.status_code == 404 and missing.json() == {"detail": "no document with id 'nope'"}
    assert reader.get("/documents/xquad-Warsaw-0/similar", params={"filter": "nofield:1"}).status_code == 400


def test_search_page(reader: TestClient) -> None:
    page = reader.get("/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in page.text and "Tìm" in page.text


def test_openapi_schema_lists_the_endpoints_and_the_readme_documents_them(reader: TestClient) -> None:
    paths = reader.get("/openapi.json").json()["paths"]
    assert set(paths) == {
        "/health", "/stats", "/search", "/suggest", "/fields", "/documents", "/documents/{doc_id}", "/backups",
        "/documents/{doc_id}/similar",
    }  # fmt: skip
    readme = README.read_text(encoding="utf-8").split("## HTTP service")[1].split("\n## ")[0]
    for path, operations in paths.items():
        for method in operations:
            assert f"`{method.upper()} {path.replace('doc_id', 'id')}" in readme, (method, path)


# Limits and bad input: 4xx with a message, never a 500


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "x" * 2_001}, "q"),
        ({"q": "a", "limit": 0}, "limit"),
        ({"q": "a", "limit": 101}, "limit"),
        ({"q": "a", "offset": -1}, "offset"),
        ({"q": "a", "offset": 10_001}, "offset"),
        ({"q": "a", "limit": "ten"}, "limit"),
        ({"q": "a", "date_from": "2023-13-01"}, "date_from"),
        ({"q": "a", "date_to": "20240112"}, "date_to"),  # not seconds since 1970
        ({"q": "a", "category": 'thoi "su'}, "category"),
    ],
)
def test_search_parameter_limits(reader: TestClient, params: dict, field: str) -> None:
    response = reader.get("/search", params=params)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["detail"]] == [["query", field]]


def test_a_query_too_long_to_search_is_413_saying_so(reader: TestClient) -> None:
    question = "Quận 5 tổ chức hội nghị tổng kết công tác dân vận năm 2023 như thế nào? "  # 72 characters
    response = reader.post("/search", json={"q": question * 139})
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "q has 10,008 characters; a search takes at most 10,000"},
    )
    assert reader.post("/search", json={"q": question * 138}).json()["truncated"]  # 9,936 characters: searched
    # In a URL the limit is 2,000 characters: a 422 naming q, as for any parameter out of range.
    assert [e["loc"] for e in reader.get("/search", params={"q": question * 28}).json()["detail"]] == [["query", "q"]]
    assert reader.get("/suggest", params={"q": question * 7}).status_code == 422  # completions: 500


def test_a_pasted_passage_is_searched_and_says_which_syllables_were_left_out(
    reader: TestClient, sample_index: Index
) -> None:
    article = sample_index.get(SEED_ID)
    passage = f"{article['title']}\n{article['body']}"  # 2,500 characters, some 500 syllables
    posted = reader.post("/search", json={"q": passage, "limit": 3}).json()
    assert posted["hits"][0]["id"] == SEED_ID
    left_out = posted["truncated"]
    assert left_out == list(sample_index.search(passage).truncated) and len(left_out) > 300
    assert all(syllable in passage.lower() for syllable in left_out)
    # A URL takes 2,000 characters of it; a short query is searched whole.
    got = reader.get("/search", params={"q": passage[:2_000], "limit": 1}).json()
    assert got["hits"][0]["id"] == SEED_ID and got["truncated"]
    assert reader.post("/search", json={"q": "quận 5 dân vận"}).json()["truncated"] is None


def test_query_errors_are_400_with_the_libraries_message(reader: TestClient) -> None:
    response = reader.get("/search", params={"q": "dân vận date:2023-13"})
    assert response.status_code == 400
    assert response.json() == {"detail": "date:2023-13 is not a valid date (month must be in 1..12)"}


# Writes and auth


def test_put_creates_then_replaces_and_search_sees_it_at_once(client: TestClient) -> None:
    doc = {"title": "Bão số 3 đổ bộ", "body": "Bão Yagi gây mưa lớn ở Hà Nội.", "tags": ["bão", "thời tiết"]}
    created = client.put("/documents/b1", json=doc, headers=AUTH)
    assert (created.status_code, created.json()) == (201, {"id": "b1", "replaced": False})
    assert client.get("/search", params={"q": "bao yagi"}).json()["hits"][0]["id"] == "b1"
    replaced = client.put("/documents/b1", json={**doc, "id": "b1", "title": "Bão Yagi"}, headers=AUTH)
    assert (replaced.status_code, replaced.json()) == (200, {"id": "b1", "replaced": True})
    assert client.get("/documents/b1").json()["title"] == "Bão Yagi"


def test_ids_may_hold_slashes_and_vietnamese(client: TestClient) -> None:
    assert client.put("/documents/tin/thời-sự/1", json={"title": "Tin 1"}, headers=AUTH).status_code == 201
    assert client.get("/documents/tin%2Fth%E1%BB%9Di-s%E1%BB%B1%2F1").json() == {
        "id": "tin/thời-sự/1",
        "title": "Tin 1",
    }


def test_an_id_with_spaces_around_is_the_same_id_everywhere(client: TestClient) -> None:
    created = client.put("/documents/%20b9%20", json={"id": "b9", "title": "Tin"}, headers=AUTH)
    assert (created.status_code, created.json()) == (201, {"id": "b9", "replaced": False})
    assert client.get("/documents/%20b9").json()["id"] == "b9"
    assert client.delete("/documents/b9%20", headers=AUTH).status_code == 204


def test_put_id_must_match_the_path(client: TestClient) -> None:
    response = client.put("/documents/b1", json={"id": "b2", "title": "x"}, headers=AUTH)
    assert response.status_code == 422 and "field 'id'" in response.json()["detail"][0]["msg"]


def test_post_one_or_many(client: TestClient) -> None:
    one = client.post("/documents", json={"id": "c1", "title": "Một"}, headers=AUTH)
    assert (one.status_code, one.json()) == (200, {"added": 1, "replaced": 0})
    many = client.post("/documents", json=[{"id": "c1", "title": "Một"}, {"id": 2, "title": "Hai"}], headers=AUTH)
    assert many.json() == {"added": 1, "replaced": 1}
    assert client.get("/documents/2").json() == {"id": "2", "title": "Hai"}
    assert client.get("/health").json()["documents"] == len(ARTICLES) + 2


def test_a_bad_record_stores_nothing_and_is_named(client: TestClient) -> None:
    batch = [{"id": "d1", "title": "tốt"}, {"id": "d2", "date": "12/1/2024"}]
    response = client.post("/documents", json=batch, headers=AUTH)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("document 2: field 'date': '12/1/2024' is not an ISO date")
    assert client.get("/documents/d1").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "x"}, "Field required"),  # no id
        ({"id": "e1", "title": 5}, "field 'title' must be text, got int"),
        ({"id": True}, "Input should be a valid integer"),
        ({"id": "e1", "tags": [1, 2]}, "field 'tags' must be a list of text"),
        ({"id": "e1", "date": "12 tháng 1"}, "field 'date': '12 tháng 1' is not an ISO date"),
        ({"id": " "}, "field 'id' is empty"),
        ({"id": "e" * 513}, "field 'id' has 513 characters; the limit is 512"),
        ("a document", "Input should be a valid dictionary"),
    ],
)
def test_invalid_documents_are_422_naming_the_field(client: TestClient, body: object, message: str) -> None:
    response = client.post("/documents", json=body, headers=AUTH)
    assert response.status_code == 422
    assert any(message in e["msg"] for e in response.json()["detail"]), response.text


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ('{"id": "e1", "title": ', "JSON decode error"),
        ('{"id": "e1", "title": "\\ud800"}', "field 'title' contains a lone UTF-16 surrogate"),
        ('{"id": "e1", "rating": NaN}', "field 'rating' is nan; JSON numbers must be finite"),
        ('{"id": "e1", "meta": {"score": Infinity}}', "field 'meta'.score is inf"),
    ],
)
def test_json_that_cannot_be_stored_is_422(client: TestClient, raw: str, message: str) -> None:
    response = client.post("/documents", content=raw, headers={**AUTH, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert any(message in e["msg"] for e in response.json()["detail"]), response.text


def test_batch_size_limit(client: TestClient) -> None:
    batch = [{"id": str(n)} for n in range(MAX_BATCH + 1)]
    response = client.post("/documents", json=batch, headers=AUTH)
    assert response.status_code == 422
    assert any(f"at most {MAX_BATCH} items" in e["msg"] for e in response.json()["detail"])


def test_body_size_limit(client: TestClient) -> None:
    body = json.dumps({"id": "big", "body": "á" * (MAX_BODY_BYTES // 2)}).encode()
    declared = client.post("/documents", content=body, headers={**AUTH, "Content-Type": "application/json"})
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]

    streamed = client.post("/documents", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert client.get("/documents/big").status_code == 404


def test_delete(client: TestClient) -> None:
    assert client.delete("/documents/a2", headers=AUTH).status_code == 204
    assert client.get("/documents/a2").status_code == 404
    assert client.delete("/documents/a2", headers=AUTH).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("put", "/documents/a1", {"title": "x"}), ("post", "/documents", {"id": "a1"}), ("delete", "/documents/a1", None)],
)
def test_writes_need_the_key(client: TestClient, method: str, path: str, body: dict | None) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {KEY}"}, {"Authorization": KEY}):
        kwargs = {"headers": headers} if body is None else {"headers": headers, "json": body}
        response = client.request(method, path, **kwargs)
        assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer ")
        assert response.json()["detail"].startswith("this needs the write key (or the admin key), sent as ")
    assert client.get("/documents/a1").json() == ARTICLES[0]


def test_without_a_key_the_service_is_read_only(index_path: Path) -> None:
    client = TestClient(create_app(index_path))
    assert client.get("/health").json()["writable"] is False
    response = client.put("/documents/a1", json={"title": "x"}, headers=AUTH)
    assert response.status_code == 403 and "VNSEARCH_WRITE_KEY" in response.json()["detail"]
    assert client.get("/search", params={"q": "dan van"}).json()["total"] == 2


# One writer


def test_a_write_waits_for_another_process_writer_then_gives_up_with_503(index_path: Path) -> None:
    other = windex.open_dir(str(index_path)).writer()  # what another process holding the lock looks like
    try:
        client = TestClient(create_app(index_path, keys=Keys(write=KEY), write_wait=0.2))
        response = client.put("/documents/f1", json={"title": "x"}, headers=AUTH)
        assert response.status_code == 503 and response.headers["retry-after"] == "5"
        assert "locked" in response.json()["detail"]
        # Reads do not wait for writers.
        assert client.get("/search", params={"q": "dan van"}).json()["total"] == 2
    finally:
        other.cancel()


def test_a_write_queues_until_the_other_writer_is_done(index_path: Path) -> None:
    other = windex.open_dir(str(index_path)).writer()
    threading.Timer(0.3, other.cancel).start()
    client = TestClient(create_app(index_path, keys=Keys(write=KEY), write_wait=10))
    response = client.put("/documents/f1", json={"title": "Xếp hàng"}, headers=AUTH)
    assert response.status_code == 201
    assert client.get("/documents/f1").json()["title"] == "Xếp hàng"


def test_concurrent_writes_in_one_process_queue(client: TestClient) -> None:
    def put(n: int) -> None:
        assert client.put(f"/documents/g{n}", json={"title": f"bài {n}"}, headers=AUTH).status_code == 201

    threads = [threading.Thread(target=put, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.get("/health").json()["documents"] == len(ARTICLES) + 8


def test_the_app_survives_repeated_startup_and_shutdown(index_path: Path) -> None:
    app = create_app(index_path, keys=Keys(write=KEY))
    for title in ("một", "hai"):  # test transports run the lifespan once per session
        with TestClient(app) as client:
            assert client.put("/documents/r1", json={"title": title}, headers=AUTH).status_code in (200, 201)
            assert client.get("/search", params={"q": title}).json()["hits"][0]["id"] == "r1"


def test_missing_index_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound):
        create_app(tmp_path / "nothing")


# The real server


@pytest.fixture
def live_server(index_path: Path, tmp_path: Path) -> Iterator[str]:
    """`vnsearch.server.run` over ARTICLES in a child process, writable with KEY; yields its base URL.

    Its read timeout is cut to READ_TIMEOUT so that slow clients are dropped within the test's patience."""
    port = _free_port()
    code = (
        "import vnsearch.server as server; "
        f"server.READ_TIMEOUT_SECONDS = {READ_TIMEOUT}; server.run({str(index_path)!r}, port={port})"
    )
    env = {**os.environ, "VNSEARCH_API_KEY": KEY}
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/health")
                break
            except httpx.ConnectError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
                time.sleep(0.1)
        yield base
        assert server.poll() is None, log.read_text(encoding="utf-8")
    finally:
        server.terminate()
        try:
            server.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            server.kill()  # a shutdown stuck on open connections must not outlive the test
            raise
    logged = log.read_text(encoding="utf-8")
    assert "Traceback" not in logged and KEY not in logged and KEY[:-1] not in logged


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_server_over_http(live_server: str) -> None:
    health = httpx.get(f"{live_server}/health")
    assert health.json() == {
        "status": "ok", "documents": len(ARTICLES), "writable": True,
        "keys": {"search": False, "write": True, "admin": False},  # VNSEARCH_API_KEY is the write key
    }  # fmt: skip
    doc = {"title": "Cầu Long Biên", "body": "Cây cầu thép ở Hà Nội."}
    put = httpx.put(f"{live_server}/documents/h1", json=doc, headers=AUTH)
    assert put.status_code == 201
    hits = httpx.get(f"{live_server}/search", params={"q": "cau long bien"}).json()["hits"]
    assert hits[0]["id"] == "h1" and hits[0]["title"] == "Cầu Long Biên"
    assert httpx.get(f"{live_server}/").headers["content-type"] == "text/html; charset=utf-8"
    assert httpx.put(f"{live_server}/documents/h1", json={"title": "x"}).status_code == 401
    wrong = httpx.put(
        f"{live_server}/documents/h1", json={"title": "x"}, headers={"Authorization": f"Bearer {KEY[:-1]}"}
    )
    assert wrong.status_code == 401 and KEY[:-1] not in wrong.text  # nor in the log (live_server checks)
    assert httpx.get(f"{live_server}/documents/h1").json() == {"id": "h1", **doc}


# Slow and oversized requests against the real server: the timeouts and limits live in uvicorn's
# protocol, which the in-process client skips. PATIENCE bounds every wait so a regression fails, not hangs.

READ_TIMEOUT = 1.0
PATIENCE = 10.0


def _connect(base: str) -> socket.socket:
    """A raw connection to the server at `base`, whose reads give up after PATIENCE seconds."""
    url = httpx.URL(base)
    return socket.create_connection((url.host, url.port), timeout=PATIENCE)


def _answer(sock: socket.socket) -> bytes:
    """All the server sends until it closes the connection (b"" if it closes without answering)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass  # closed with our unread bytes in its buffer: what it sent before may be lost
    return received


def _request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    """An HTTP/1.1 request line and headers, up to and including the blank line."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_slow_loris_connections_are_dropped_and_never_block_other_clients(live_server: str) -> None:
    head = _request_head("PUT", "/documents/a1", {**AUTH, "Content-Type": "application/json", "Content-Length": "2"})
    silent = [_connect(live_server) for _ in range(3)]  # connect and never send a byte
    dribbling = [_connect(live_server) for _ in range(5)]
    started = time.monotonic()
    sent = 0
    with httpx.Client(base_url=live_server, timeout=PATIENCE) as client:
        # One byte per connection every 0.1 s: the head is never complete, but bytes keep coming.
        while time.monotonic() - started < 3 * READ_TIMEOUT:
            for sock in dribbling:
                try:
                    sock.send(head[sent : sent + 1])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # already dropped by the server
            sent += 1
            # Meanwhile ordinary clients are answered: the event loop is not stuck on the slow ones.
            assert client.get("/search", params={"q": "dan van"}).json()["total"] == 2
            time.sleep(0.1)
        assert sent < len(head)
        for sock in silent + dribbling:
            assert _answer(sock) == b""  # closed without an answer, and never a 500
            sock.close()
        assert client.get("/documents/a1").json() == ARTICLES[0]
        assert client.get("/health").json()["documents"] == len(ARTICLES)


def test_a_truncated_body_neither_hangs_nor_stores_anything(live_server: str) -> None:
    body = json.dumps({"title": "Bài bị cắt"}).encode()
    head = _request_head("PUT", "/documents/t1", {**AUTH, "Content-Type": "application/json", "Content-Length": "1000"})
    stalled, closed = _connect(live_server), _connect(live_server)
    for sock in (stalled, closed):
        sock.sendall(head + body)
    closed.shutdown(socket.SHUT_WR)  # the client gives up: the server sees the end of the stream
    assert _answer(closed) == b""  # nobody is left to answer, so the server just closes
    assert _answer(stalled) == b""  # the body stopped coming: dropped after the read timeout
    for sock in (stalled, closed):
        sock.close()
    assert httpx.get(f"{live_server}/documents/t1", timeout=PATIENCE).status_code == 404
    assert httpx.get(f"{live_server}/health", timeout=PATIENCE).json()["documents"] == len(ARTICLES)


@pytest.mark.parametrize("auth", [AUTH, {}], ids=["key", "no key"])
def test_oversized_requests_are_refused_without_reading_them(live_server: str, auth: dict[str, str]) -> None:
    json_type = {"Content-Type": "application/json"}
    declared = _connect(live_server)  # declares more than the limit, then sends only a little
    declared.sendall(
        _request_head("POST", "/documents", {**auth, **json_type, "Content-Length": str(MAX_BODY_BYTES + 1)})
    )
    declared.sendall(b'{"id": "big", "body": "' + b"a" * 1000)
    assert _answer(declared).startswith(b"HTTP/1.1 413")  # with or without the key: the size is checked first

    chunked = _connect(live_server)  # no length: counted as it arrives
    chunked.sendall(_request_head("POST", "/documents", {**auth, **json_type, "Transfer-Encoding": "chunked"}))
    chunk = b"a" * (1 << 20)
    try:
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            chunked.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the end, as it should
    assert _answer(chunked).startswith(b"HTTP/1.1 413")

    huge_head = _connect(live_server)  # over h11's 16 KiB limit on a request head
    huge_head.sendall(_request_head("GET", "/health", {"X-Padding": "a" * (32 << 10)})[:-4])  # never ends
    assert _answer(huge_head).startswith(b"HTTP/1.1 400")
    for sock in (declared, chunked, huge_head):
        sock.close()
    assert httpx.get(f"{live_server}/documents/big", timeout=PATIENCE).status_code == 404
    assert httpx.get(f"{live_server}/health", timeout=PATIENCE).json()["documents"] == len(ARTICLES)


# Hostile requests


@pytest.mark.parametrize(
    "raw", ["../../etc/passwd", "%2e%2e/%2e%2e/vnsearch.json", "..%2f..%2fMAIN_WRITELOCK", "a%00b", "%2e%2e", "/x//y/"]
)
def test_path_tricks_in_ids_are_only_ids(client: TestClient, index_path: Path, raw: str) -> None:
    outside = sorted(p.name for p in index_path.parent.iterdir())
    put = client.put(f"/documents/{raw}", json={"title": "Đường dẫn lạ"}, headers=AUTH)
    assert put.status_code in (201, 404, 422), put.text
    if put.status_code == 201:
        stored_id = put.json()["id"]
        assert client.get(f"/documents/{raw}").json() == {"id": stored_id, "title": "Đường dẫn lạ"}
        assert client.delete(f"/documents/{raw}", headers=AUTH).status_code == 204
    assert client.get(f"/documents/{raw}").status_code in (404, 422)
    assert sorted(p.name for p in index_path.parent.iterdir()) == outside
    assert Index.open(index_path).check() == []
    assert sorted(Index.open(index_path).ids()) == ["a1", "a2", "a3"]


# Declared fields: filters, sorting and facets over HTTP


@pytest.fixture
def homes(tmp_path: Path) -> TestClient:
    from vnsearch import fields

    index = Index.create(tmp_path / "homes", fields={
        "title": fields.Text(weight=2.0), "district": fields.Keyword(facet=True), "price_vnd": fields.Number(),
        "posted": fields.Date(), "verified": fields.Bool()})  # fmt: skip
    index.add([
        {"id": "h1", "title": "Bán căn hộ chung cư 2 phòng ngủ", "district": "Cầu Giấy", "price_vnd": 3.2e9,
         "posted": "2025-06-02", "verified": True},
        {"id": "h2", "title": "Chung cư mini gần hồ", "district": "cau giay", "price_vnd": 2.1e9,
         "posted": "2025-05-20"},
        {"id": "h3", "title": "Nhà riêng 4 tầng", "district": "Đống Đa", "posted": "2025-06-10", "verified": True},
    ])  # fmt: skip
    return TestClient(create_app(index.path))


def test_documents_are_checked_against_the_declared_fields_not_the_article_ones(tmp_path: Path) -> None:
    from vnsearch import fields

    index = Index.create(tmp_path / "shop", fields={
        "title": fields.Text(), "category": fields.Keyword(multi=True), "date": fields.Number()})  # fmt: skip
    client = TestClient(create_app(index.path, keys=Keys(write=KEY)))
    shirt = {"id": "p1", "title": "Áo sơ mi nam", "category": ["Thời trang", "Nam"], "date": 2024}
    assert client.post("/documents", json=shirt, headers=AUTH).status_code == 200
    found = client.get("/search", params={"q": "ao so mi", "filter": "category:nam date>=2000"}).json()
    assert [hit["id"] for hit in found["hits"]] == ["p1"]
    wrong = client.post("/documents", json={**shirt, "date": "2024-01-12"}, headers=AUTH)
    assert wrong.status_code == 422 and "field 'date'" in wrong.json()["detail"][0]["msg"]


def test_a_search_body_that_json_cannot_carry_back_is_422(homes: TestClient) -> None:
    json_body = {"Content-Type": "application/json"}
    nan = homes.post("/search", content='{"q": "nhà", "filter": {"price_vnd": {"gte": NaN}}}', headers=json_body)
    assert nan.status_code == 422 and "search.filter.price_vnd.gte is nan" in nan.text
    lone = homes.post("/search", content='{"q": "nh\\ud800"}', headers=json_body)
    assert lone.status_code == 422 and "search.q contains a lone UTF-16 surrogate" in lone.text


def test_fields_describe_the_index(homes: TestClient) -> None:
    answer = homes.get("/fields").json()
    assert answer["strict"] is False
    assert answer["fields"]["district"] == {"type": "keyword", "facet": True, "multi": False, "exact": False}
    assert answer["fields"]["title"] == {"type": "text", "weight": 2.0}


def test_get_and_post_search_filter_sort_and_count_alike(homes: TestClient) -> None:
    clauses = 'district:"Cầu Giấy" price_vnd>=2e9'
    got = homes.get("/search", params={"q": "chung cu", "filter": clauses, "sort": "-price_vnd",
                                       "facets": "district,verified"}).json()  # fmt: skip
    wanted = {"district": "Cầu Giấy", "price_vnd": {"gte": 2e9}}
    posted = homes.post("/search", json={"q": "chung cu", "filter": wanted, "sort": ["-price_vnd"],
                                         "facets": ["district", "verified"]}).json()  # fmt: skip
    for answer in (got, posted):
        assert [hit["id"] for hit in answer["hits"]] == ["h1", "h2"] and answer["total"] == 2
        assert answer["facets"] == {"district": [["Cầu Giấy", 2]], "verified": [[True, 1]]}
        assert answer["hits"][0]["field"] == "title"
    browse = homes.post("/search", json={"filter": {"verified": True}, "sort": "-posted"}).json()
    assert [hit["id"] for hit in browse["hits"]] == ["h3", "h1"]
    recent = homes.post("/search", json={"q": "nhà chung cư", "recency": {"field": "posted", "half_life": 3}}).json()
    assert recent["total"] == 3


@pytest.mark.parametrize(
    "wanted",
    [
        {"filter": {"quan": "Cầu Giấy"}}, {"filter": 'price_vnd>=abc'}, {"filter": {"district": {"gte": 1}}},
        {"sort": "title"}, {"facets": ["price_vnd"]}, {"recency": {"field": "district"}}, {"filter": '"unbalanced'},
    ],
)  # fmt: skip
def test_bad_searches_are_400_with_the_reason(homes: TestClient, wanted: dict) -> None:
    answer = homes.post("/search", json={"q": "nhà", **wanted})
    assert answer.status_code == 400 and answer.json()["detail"]
    if "filter" in wanted and isinstance(wanted["filter"], str):
        assert homes.get("/search", params={"q": "nhà", "filter": wanted["filter"]}).status_code == 400


@pytest.mark.parametrize(
    ("wanted", "loc"),
    [
        ({"limit": True}, ["body", "limit"]), ({"limit": "3"}, ["body", "limit"]),
        ({"offset": 1.5}, ["body", "offset"]), ({"facet_limit": False}, ["body", "facet_limit"]),
        ({"recency": {"field": "posted", "half_life": "3"}}, ["body", "recency", "half_life"]),
    ],
)  # fmt: skip
def test_a_search_body_of_the_wrong_json_types_is_422(homes: TestClient, wanted: dict, loc: list[str]) -> None:
    answer = homes.post("/search", json={"q": "nhà", **wanted})
    assert answer.status_code == 422 and [e["loc"] for e in answer.json()["detail"]] == [loc]
