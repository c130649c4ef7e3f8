import subprocess
import sys

import vnsearch


def test_public_names() -> None:
    assert vnsearch.__all__ == [
        "AddResult", "Backup", "DocumentError", "DocumentNotFound", "Explanation", "Hit", "Index", "IndexExists",
        "IndexLocked", "IndexNotFound", "QueryError", "Recency", "Results", "Snippet", "StorageError", "Token",
        "VnsearchError", "analyze", "fields",
    ]  # fmt: skip
    for name in vnsearch.__all__:
        assert getattr(vnsearch, name).__doc__


def test_import_does_not_load_pyvi() -> None:
    code = (
        "import sys, vnsearch; print(sorted(m for m in sys.modules"
        " if m.split('.')[0] in ('pyvi', 'sklearn', 'sklearn_crfsuite')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_import_loads_the_engine_only_when_a_name_is_used() -> None:
    code = (
        "import sys, vnsearch; heavy = lambda: sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'whoosh'});"
        "before = heavy(); vnsearch.Index; print(before, heavy(), 'Index' in dir(vnsearch))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[] ['numpy', 'whoosh'] True"


def test_searching_an_existing_index_does_not_load_pyvi(tmp_path) -> None:
    vnsearch.Index.create(tmp_path / "ix").add([{"id": "1", "body": "công tác dân vận"}])
    code = (
        "import sys, vnsearch; hits = vnsearch.Index.open(sys.argv[1]).search('dân vận');"
        "print(hits[0].id, 'pyvi' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ix")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "False"]


def test_errors_share_a_base_class() -> None:
    for name in ("DocumentError", "DocumentNotFound", "IndexExists", "IndexLocked", "IndexNotFound", "QueryError"):
        assert issubclass(getattr(vnsearch, name), vnsearch.VnsearchError)
