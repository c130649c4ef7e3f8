"""POST /backups: the served index backed up with the admin key into a folder the service chooses, each
backup a new folder named by the time and the commit, which Index.restore puts back; and what the disk
refuses is a 507 naming it."""

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from vnsearch import Index
from vnsearch.keys import Keys
from vnsearch.server import app_from_environment, create_app

ADMIN = "admin-key-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
ARTICLES = [
    {"id": "a1", "title": "Hội nghị tổng kết công tác dân vận năm 2023", "body": "Quận 5 tổ chức hội nghị dân vận."},
    {"id": "a2", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh."},
]
NAME = re.compile(r"(\d{8}T\d{6}\.\d{6}Z)-commit-(\d+)")


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    Index.create(tmp_path / "news").add(ARTICLES)
    return tmp_path / "news"


def test_backups_go_beside_the_index_and_restore_to_what_was_backed_up(index_path: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(index_path, Keys(admin=ADMIN)))
    started = dt.datetime.now(dt.UTC)
    first = client.post("/backups", headers=AUTH)
    assert first.status_code == 201, first.text
    made = first.json()
    folder = Path(made["path"])
    assert folder.parent == tmp_path / "news-backups"
    name = NAME.fullmatch(folder.name)
    assert name and int(name[2]) == made["generation"] >= 1
    taken = dt.datetime.strptime(name[1], "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=dt.UTC)
    assert started <= taken <= dt.datetime.now(dt.UTC)
    assert made == {
        "path": str(folder), "generation": made["generation"], "documents": 2,
        "files": len(list(folder.iterdir())), "linked": True,
    }  # fmt: skip

    assert client.put("/documents/a3", json={"title": "Bão số 3"}, headers=AUTH).status_code == 201
    second = client.post("/backups", headers=AUTH).json()
    assert (second["generation"] > made["generation"], second["documents"]) == (True, 3)
    # Each backup its own folder; nothing half-built is left beside them.
    assert sorted(p.name for p in folder.parent.iterdir()) == sorted([folder.name, Path(second["path"]).name])

    with Index.restore(folder, tmp_path / "restored") as restored:
        assert restored.check() == [] and sorted(restored.ids()) == ["a1", "a2"]
        assert [hit.id for hit in restored.search("gia vang")] == ["a2"]


def test_backups_go_where_the_service_is_told(index_path: Path, tmp_path: Path) -> None:
    client = TestClient(create_app(index_path, Keys(admin=ADMIN), backups=tmp_path / "kept" / "news"))
    made = client.post("/backups", headers=AUTH).json()
    assert Path(made["path"]).parent == tmp_path / "kept" / "news"
    assert len(Index.open(made["path"])) == 2


def test_the_workers_take_the_backups_folder_and_keys_from_the_environment(
    index_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VNSEARCH_INDEX", str(index_path))
    monkeypatch.setenv("VNSEARCH_ADMIN_KEY", ADMIN)
    monkeypatch.setenv("VNSEARCH_BACKUPS", str(tmp_path / "from-env"))
    client = TestClient(app_from_environment())
    assert client.post("/backups").status_code == 401
    assert Path(client.post("/backups", headers=AUTH).json()["path"]).parent == tmp_path / "from-env"


def test_a_backups_folder_that_cannot_be_written_is_507_and_leaves_the_index_alone(
    index_path: Path, tmp_path: Path
) -> None:
    (tmp_path / "in-the-way").write_text("không phải thư mục", encoding="utf-8")
    client = TestClient(create_app(index_path, Keys(admin=ADMIN), backups=tmp_path / "in-the-way"))
    response = client.post("/backups", headers=AUTH)
    assert response.status_code == 507
    assert response.json() == {"detail": f"cannot write backups into {tmp_path / 'in-the-way'}: File exists"}
    assert client.get("/documents/a1").json()["id"] == "a1" and Index.open(index_path).check() == []


# The service in a child process whose files may not pass 64 KiB, so the limit cannot leak into the test run.
FULL_DISK = """
import json, resource, signal, sys
from fastapi.testclient import TestClient
from vnsearch.demo import sample_documents
from vnsearch.keys import Keys
from vnsearch.server import create_app
client = TestClient(create_app(sys.argv[1], Keys(admin=sys.argv[2])))
docs = list(sample_documents())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit then fail with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))
answer = client.post("/documents", json=docs, headers={"Authorization": "Bearer " + sys.argv[2]})
print(json.dumps([answer.status_code, answer.json()]))
"""


def test_a_write_the_disk_refuses_is_507_naming_the_index(index_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-c", FULL_DISK, str(index_path), ADMIN]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    detail = f"cannot write to the index at {index_path} (File too large); its last commit is intact"
    assert json.loads(done.stdout) == [507, {"detail": detail}]
    assert sorted(Index.open(index_path).ids()) == ["a1", "a2"]
