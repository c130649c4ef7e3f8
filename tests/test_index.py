import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index as windex

from vnsearch import DocumentError, Index, IndexExists, IndexLocked, IndexNotFound
from vnsearch.engine import disk
from vnsearch.engine.schema import SCHEMA_VERSION
from vnsearch.engine.writers import MERGE_FACTOR

ARTICLES = [
    {
        "id": "a1",
        "title": "Hội nghị tổng kết công tác dân vận",
        "body": "Quận 5 tổng kết công tác dân vận năm 2023.",
        "date": "2024-01-12",
    },
    {
        "id": "a2",
        "title": "Giá vàng hôm nay",
        "body": "Giá vàng trong nước tăng mạnh.",
        "date": "2017-02-06",
        "category": "Kinh tế",
    },
]


def test_create_refuses_to_overwrite(tmp_path: Path) -> None:
    Index.create(tmp_path / "ix").add(ARTICLES)
    with pytest.raises(IndexExists, match="overwrite=True"):
        Index.create(tmp_path / "ix")
    assert len(Index.create(tmp_path / "ix", overwrite=True)) == 0


def test_stats_count_documents_and_terms(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "a", "title": "Hà Nội", "body": "dân vận"}])
    stats = index.stats()
    # title: hà ha nội noi, the pair "ha noi", the word hà_nội ha_noi; body likewise; and the id
    assert (stats["documents"], stats["terms"], stats["schema_version"]) == (1, 15, SCHEMA_VERSION)
    assert stats["size_bytes"] > 0 and stats["last_commit"]


def test_create_never_deletes_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("giữ lại", encoding="utf-8")
    with pytest.raises(IndexExists, match="not a vnsearch index"):
        Index.create(tmp_path, overwrite=True)
    assert (tmp_path / "notes.txt").exists()


def test_open_missing_index_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFound, match="Index.create"):
        Index.open(tmp_path / "nothing")


def test_add_replace_update_delete(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    assert index.add(ARTICLES).added == 2
    result = index.add([{**ARTICLES[0], "title": "Tiêu đề mới"}])
    assert (result.added, result.replaced, len(index)) == (0, 1, 2)
    assert index.get("a1")["title"] == "Tiêu đề mới"
    assert index.update({"id": "a3", "body": "Bài mới"}) is False
    assert index.update({"id": "a3", "body": "Bài sửa"}) is True
    assert index.get("a3")["body"] == "Bài sửa"
    assert index.delete("a1", "missing") == 1
    assert len(index) == 2 and index.get("a1") is None
    assert index.search("dân vận").total == 0


def test_ids_of_another_type_are_refused_not_turned_into_text(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES)
    with pytest.raises(TypeError, match=r"separate arguments: delete\(\*ids\)"):
        index.delete(["a1", "a2"])
    with pytest.raises(TypeError, match="got NoneType"):
        index.get(None)
    assert len(index) == 2 and index.delete(*["a1", "a2"]) == 2


def test_ids_are_trimmed_alike_when_adding_getting_and_deleting(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add([{**ARTICLES[0], "id": " a1 "}])
    assert index.get("a1")["id"] == index.get(" a1\t")["id"] == "a1"
    assert index.delete(" a1 ") == 1 and len(index) == 0


def test_duplicate_ids_in_one_batch_keep_the_last(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add([{"id": "x", "body": "một"}, {"id": "x", "body": "hai"}])
    assert len(index) == 1 and index.get("x")["body"] == "hai"


def test_unknown_fields_are_stored_and_returned(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add([{**ARTICLES[1], "author": "Minh Tòng", "views": 12}])
    assert index.get("a2") == {**ARTICLES[1], "author": "Minh Tòng", "views": 12}
    hit = index.search("vàng")[0]
    assert (hit.id, hit.date, hit.category, hit.fields["author"]) == ("a2", "2017-02-06", "Kinh tế", "Minh Tòng")


def test_null_fields_come_back_as_given(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    doc = {"id": "n1", "title": None, "body": None, "date": None, "tags": None, "author": None}
    index.add([doc, {"id": "n2", "title": None, "body": "Tin nhanh"}])
    assert index.get("n1") == doc
    assert index.get("n2") == {"id": "n2", "title": None, "body": "Tin nhanh"}
    assert [(hit.id, hit.title) for hit in index.search("tin")] == [("n2", "")]


def test_add_streams_and_commits_in_batches(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    seen_committed = []

    def articles() -> Iterator[dict]:
        for i in range(35):
            if i == 25:
                seen_committed.append(len(Index.open(index.path)))
            yield {"id": str(i), "body": f"bài báo số {i}"}

    assert index.add(articles(), batch_size=10).added == 35
    assert seen_committed == [20]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"title": "không có id"}, "'id' is missing"),
        ({"id": "x", "body": 12}, "'body' must be text"),
        ({"id": "x", "date": "12 tháng 1"}, "'date'.*not an ISO date"),
        ({"id": ["x"]}, "'id' must be text"),
        ("not a dict", "must be an object"),
        ({"id": "x", "tags": 5}, "'tags'"),
    ],
)
def test_bad_document_names_record_and_field(tmp_path: Path, bad: object, message: str) -> None:
    index = Index.create(tmp_path / "ix")
    with pytest.raises(DocumentError, match=f"document 2: .*{message}"):
        index.add([ARTICLES[0], bad, ARTICLES[1]])
    assert index.get("a1") is not None, "documents before the bad one are committed"
    assert len(index) == 1


def test_on_error_skips_bad_records_and_keeps_the_rest(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    errors: list[DocumentError] = []
    result = index.add([ARTICLES[0], {"body": "thiếu id"}, ARTICLES[1]], on_error=errors.append)
    assert (result.added, result.skipped, len(index)) == (2, 1, 2)
    assert "document 2" in str(errors[0])


def test_failing_source_still_commits_what_was_read(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")

    def articles() -> Iterator[dict]:
        yield ARTICLES[0]
        raise OSError("disk read failed")

    with pytest.raises(OSError):
        index.add(articles())
    assert len(Index.open(index.path)) == 1


@pytest.mark.parametrize("batch", [1, 200])
def test_failed_commit_releases_the_lock_and_keeps_the_last_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES[:1])
    more = [{"id": f"n{i}", "title": "Giá xăng", "body": "Giá xăng giảm."} for i in range(batch)]
    with monkeypatch.context() as patch:
        patch.setattr(disk, "publish", _disk_full)  # the table of contents cannot be written
        with pytest.raises(OSError, match="No space"):
            index.add(more)
    assert [hit.id for hit in Index.open(index.path).search("dân vận")] == ["a1"]
    assert index.add(more).added == batch


def _disk_full(*args: object) -> None:
    raise OSError(28, "No space left on device")


def test_small_commits_merge_among_themselves_and_leave_large_segments_alone(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(
        [{"id": f"lon-{i}", "title": "Giá vàng", "body": f"Giá vàng hôm nay, bản tin {i}."} for i in range(30)],
        batch_size=30,
    )

    def segments() -> list[tuple[str, int]]:
        toc = windex.open_dir(str(index.path))._read_toc()
        return sorted((s.segment_id(), s.doc_count_all()) for s in toc.segments)

    (large,) = segments()
    for i in range(MERGE_FACTOR):  # single updates merge in line (`Index.add` merges in the background)
        index.update({"id": f"nho-{i}", "title": "Dân vận", "body": f"Công tác dân vận số {i}."})
        assert large in segments() and len(segments()) == i + 2
    index.update({"id": "nho-cuoi", "title": "Dân vận", "body": "Công tác dân vận cuối."})
    assert large in segments() and len(segments()) == 2  # ten one-document segments and the new one became one
    assert len(index) == 31 + MERGE_FACTOR and index.search("dân vận").total == MERGE_FACTOR + 1


def test_second_writer_gets_index_locked(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    writer = windex.open_dir(str(index.path)).writer()
    try:
        with pytest.raises(IndexLocked, match="locked"):
            Index.open(index.path).add(ARTICLES)
    finally:
        writer.cancel()
    assert Index.open(index.path).add(ARTICLES).added == 2


def test_index_written_in_one_process_is_searched_in_another(tmp_path: Path) -> None:
    Index.create(tmp_path / "ix").add(ARTICLES)
    code = (
        "import sys; from vnsearch import Index; r = Index.open(sys.argv[1]).search('dan van'); print(r.total, r[0].id)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ix")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "a1"]


def test_date_and_category_filters(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES)
    assert [h.id for h in index.search("date:2024")] == ["a1"]
    assert [h.id for h in index.search("date:2017-01..2017-12 giá")] == ["a2"]
    assert [h.id for h in index.search("category:kinh-te")] == ["a2"]
    assert [h.id for h in index.search('category:"Kinh tế" vàng')] == ["a2"]
    assert index.search("category:kinh-te dân vận").total == 0


def test_paging(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add({"id": str(i), "body": f"tin tức số {i}"} for i in range(25))
    first, second = index.search("tin tức", limit=10), index.search("tin tức", limit=10, offset=10)
    assert first.total == second.total == 25
    assert not {h.id for h in first} & {h.id for h in second}
    assert len(index.search("tin tức", limit=10, offset=20)) == 5


def test_threads_share_an_index_writes_queue_and_searches_see_commits(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            index.add([{"id": f"{n}-{i}", "body": f"công tác dân vận số {i}"} for i in range(5)])
        except BaseException as error:  # noqa: BLE001 - the test reports any failure
            errors.append(error)

    def search() -> None:
        try:
            for _ in range(20):
                index.search("dân vận")
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = (
        [threading.Thread(target=write, args=(n,)) for n in range(4)]
        + [threading.Thread(target=search) for _ in range(3)]
    )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(index) == 20 and index.search("dân vận", limit=50).total == 20


def test_results_to_dict_is_json_ready(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES)
    data = json.loads(json.dumps(index.search("dan van").to_dict(), ensure_ascii=False))
    assert (data["query"], data["searched"], data["total"]) == ("dan van", "dan van", 1)
    hit = data["hits"][0]
    start, end = hit["snippet"]["matches"][0]
    assert hit["id"] == "a1" and hit["snippet"]["text"][start:end] == "dân vận"


def test_search_without_snippets(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES)
    hit = index.search("dân vận", snippets=False)[0]
    assert (hit.id, hit.snippet.text, hit.snippet.matches) == ("a1", "", ())


def test_a_search_survives_a_commit_deleting_files_while_it_opens_the_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whoosh retries opening a commit whose files another commit just deleted; its own refresh then
    closed the old readers twice (ReaderClosed: searches answered 500 under writes)."""
    from whoosh import reading

    index = Index.create(tmp_path / "ix")
    index.add(ARTICLES[:1])
    index.add(ARTICLES[1:])
    assert index.search("dân vận").total == 1  # this thread's snapshot of two segments
    index.update({"id": "a3", "title": "Dân vận khéo", "body": "Công tác dân vận."})
    opened = reading.SegmentReader.__init__
    failures = [OSError(2, "No such file or directory: as if a commit had just deleted it")]

    def flaky(self: reading.SegmentReader, *args: object, **kwargs: object) -> None:
        if failures:
            raise failures.pop()
        opened(self, *args, **kwargs)

    monkeypatch.setattr(reading.SegmentReader, "__init__", flaky)
    assert index.search("dân vận").total == 2 and not failures
