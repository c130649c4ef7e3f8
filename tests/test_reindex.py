"""`Index.reindex()` rebuilds every segment from the stored documents in one commit: the result ranks as a
fresh build of the same documents would, and searches go on answering while it runs."""

from __future__ import annotations

import threading
from pathlib import Path

from click.testing import CliRunner

from vnsearch import Index
from vnsearch.cli import main
from vnsearch.demo import sample_documents

DOCS = list(sample_documents())
QUERIES = ["dân vận quận 5", "giá vàng hôm nay", "bao so 3", "Super Bowl", "đội tuyển bóng đá Việt Nam"]


def ranked(index: Index) -> list[list[tuple[str, float]]]:
    return [[(hit.id, round(hit.score, 6)) for hit in index.search(query, limit=20)] for query in QUERIES]


def test_reindex_ranks_as_a_fresh_build_of_the_live_documents(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    for start in range(0, 200, 40):
        index.add(DOCS[start : start + 40])
    index.update({**DOCS[5], "title": "Tiêu đề mới về giá vàng"})
    index.delete(DOCS[7]["id"], DOCS[8]["id"])
    live = {doc_id: index.get(doc_id) for doc_id in index.ids()}
    before = sorted(p.name for p in index.path.glob("MAIN_*.seg"))
    assert index.reindex() == len(live) == 198
    after = sorted(p.name for p in index.path.glob("MAIN_*.seg"))
    assert not set(before) & set(after), "every segment was rewritten"
    fresh = Index.create(tmp_path / "fresh")
    fresh.add(Index.open(index.path).get(doc_id) for doc_id in Index.open(index.path).ids())
    reopened = Index.open(index.path)
    assert {doc_id: reopened.get(doc_id) for doc_id in reopened.ids()} == live
    assert ranked(reopened) == ranked(fresh)
    assert reopened.check() == []


def test_searches_answer_while_the_index_is_rebuilt(tmp_path: Path) -> None:
    index = Index.create(tmp_path / "index")
    index.add(DOCS)
    errors: list[BaseException] = []
    totals: list[int] = []
    done = threading.Event()

    def search() -> None:
        reader = Index.open(index.path)
        while not done.is_set():
            try:
                totals.append(reader.search("dân vận").total)
            except BaseException as error:  # noqa: BLE001 - any failure is what this test looks for
                errors.append(error)

    thread = threading.Thread(target=search)
    thread.start()
    try:
        assert index.reindex() == len(DOCS)
    finally:
        done.set()
        thread.join()
    assert errors == [] and len(totals) > 1
    assert set(totals) == {index.search("dân vận").total}


def test_the_reindex_command(tmp_path: Path) -> None:
    Index.create(tmp_path / "index").add(DOCS[:30])
    result = CliRunner().invoke(main, ["reindex", "--index", str(tmp_path / "index")])
    assert (result.exit_code, result.output) == (0, f"reindexed {tmp_path / 'index'}: 30 documents\n")
    assert Index.open(tmp_path / "index").search("dân vận quận 5")[0].id == "htv-quan5-dan-van-2023"
