"""The service fuzzed from its own OpenAPI schema (schemathesis): valid and invalid requests alike, no 5xx."""

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response

from vnsearch import Index
from vnsearch.engine.documents import document_id
from vnsearch.keys import Keys
from vnsearch.server import create_app

WRITE_KEY = "schema-test-write-key"
EVERY_KEY = Keys(search="schema-test-search-key", write=WRITE_KEY, admin="schema-test-admin-key")
# (the service's keys, the key every request sends): reads open and one write key; a private index with
# every scope's key, the admin key sent (it grants them all).
CONFIGURATIONS = {"write key": (Keys(write=WRITE_KEY), WRITE_KEY), "every key": (EVERY_KEY, "schema-test-admin-key")}
EXAMPLES = 40  # per operation and mode: enough to reach every 4xx path in a few seconds
OPERATIONS = [
    "GET /health", "GET /stats", "GET /search", "POST /search", "GET /fields", "GET /suggest",
    "GET /documents/{doc_id}", "GET /documents/{doc_id}/similar",
    "PUT /documents/{doc_id}", "DELETE /documents/{doc_id}", "POST /documents", "POST /backups",
]  # fmt: skip


@pytest.fixture(scope="module", params=sorted(CONFIGURATIONS))
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[schemathesis.BaseSchema, str]:
    """The service's schema under one of CONFIGURATIONS, and the key its requests send."""
    keys, sent = CONFIGURATIONS[request.param]
    path = _seeded_index(Path(tmp_path_factory.mktemp("schema")) / "index")
    app = create_app(path, keys=keys, write_wait=1.0)
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=REJECTIONS), sent


# What the service answers to invalid input: a 413 for a query too long to search (POST /search), else 4xx.
REJECTIONS = SchemathesisConfig.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": ["400", "401", "403", "404", "413", "422"]}}}
)


SEEDS = [
    {"id": "a1", "title": "Hội nghị tổng kết công tác dân vận", "body": "Quận 5 tổ chức hội nghị dân vận năm 2023.",
     "date": "2024-01-12", "category": "Thời sự", "tags": ["dân vận"]},
    {"id": "a2", "title": "Giá vàng hôm nay", "body": "Giá vàng trong nước tăng mạnh.", "date": "2017-02-06"},
]  # fmt: skip


def _seeded_index(path: Path) -> Path:
    """Two articles at `path`, so reads and searches have something to find."""
    Index.create(path).add(SEEDS)
    return path


def _reseed(path: Path) -> None:
    """Bring the index at `path` back to the two seeded articles alone."""
    with Index.open(path) as index:
        index.delete(*[doc_id for doc_id in index.ids() if doc_id not in {seed["id"] for seed in SEEDS}])
        index.add(SEEDS)


def test_every_operation_is_fuzzed(served: tuple[schemathesis.BaseSchema, str]) -> None:
    api_schema, _ = served
    assert sorted(op.ok().label for op in api_schema.get_all_operations()) == sorted(OPERATIONS)


# Each operation is driven with Hypothesis directly: schemathesis's pytest plugin (from_fixture) fails on
# pytest 9.2. Operations without parameters have no invalid input to generate.
@pytest.mark.parametrize(
    ("label", "mode"),
    [(op, GenerationMode.POSITIVE) for op in OPERATIONS]
    + [
        (op, GenerationMode.NEGATIVE)
        for op in OPERATIONS
        if op not in ("GET /health", "GET /stats", "GET /fields", "POST /backups")
    ],
)
def test_no_server_errors(served: tuple[schemathesis.BaseSchema, str], label: str, mode: GenerationMode) -> None:
    api_schema, sent = served
    operation = api_schema.find_operation_by_label(label)
    assert operation is not None

    # Authorised, so that generated requests get past the key check and reach the library.
    headers = {"Authorization": f"Bearer {sent}"}

    @given(case=operation.as_strategy(generation_mode=mode, headers=headers))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])  # fmt: skip
    def check(case: schemathesis.Case) -> None:
        # Hypothesis reseeds the global `random` for every example, and Whoosh names new segments with it:
        # without fresh entropy, two commits in one test pick the same segment name and the second fails.
        random.seed()
        # The library, not the schema, decides which ids and dates it takes (a blank id, `2023-13-01`):
        # such requests are 422s naming the field, which this check would count as failures.
        case.call_and_validate(excluded_checks=[schemathesis.checks.positive_data_acceptance])

    check()


# Stateful: schemathesis chains calls along the OpenAPI links declared below, so ids a write created are
# read, replaced and deleted in the same scenario, and its stateful checks (a deleted document is gone,
# a created one can be read) run alongside a model of what each id should hold.
LINKS: dict[tuple[str, str], dict[str, str]] = {
    # (operation, response status) -> {target operation: where the id comes from}
    ("PUT /documents/{doc_id}", "201"): dict.fromkeys(("GET", "PUT", "DELETE"), "$response.body#/id"),
    ("PUT /documents/{doc_id}", "200"): dict.fromkeys(("GET", "PUT", "DELETE"), "$response.body#/id"),
    ("POST /documents", "200"): dict.fromkeys(("GET", "PUT", "DELETE"), "$request.body#/id"),
    ("GET /documents/{doc_id}", "200"): dict.fromkeys(("PUT", "DELETE"), "$response.body#/id"),
    ("DELETE /documents/{doc_id}", "204"): dict.fromkeys(("GET", "PUT"), "$request.path.doc_id"),
}
STATEFUL_SCENARIOS = 40
STATEFUL_STEPS = 8
Stored = dict[str, tuple[str, dict[str, Any]] | None]  # id -> (method, document) of its last write; None: deleted


@contextmanager
def _fresh_entropy() -> Iterator[None]:
    """Fresh entropy for Whoosh's segment names (see test_no_server_errors), but only for the block:
    schemathesis draws from the global `random` too, and must replay the same draws."""
    drawing = random.getstate()
    random.seed()
    try:
        yield
    finally:
        random.setstate(drawing)


def _with_links(raw: dict[str, Any]) -> None:
    """Declare LINKS in the raw OpenAPI schema (FastAPI does not write links)."""
    paths = raw["paths"]
    for (source, status), targets in LINKS.items():
        method, path = source.split(" ")
        response = paths[path][method.lower()]["responses"].setdefault(status, {"description": status})
        response["links"] = {
            f"{target}-document": {
                "operationId": paths["/documents/{doc_id}"][target.lower()]["operationId"],
                "parameters": {"doc_id": expression},
            }
            for target, expression in targets.items()
        }


def test_stateful_sequences(tmp_path: Path) -> None:
    path = _seeded_index(tmp_path / "index")
    app = create_app(path, keys=EVERY_KEY, write_wait=1.0)
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"Bearer {WRITE_KEY}"},
            "checks": {"positive_data_acceptance": {"enabled": False}},  # see test_no_server_errors
            "phases": {"stateful": {"inference": {"algorithms": []}}},  # only the links declared here
        }
    )
    api_schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    _with_links(api_schema.raw_schema)
    stored: Stored = {}
    reads = Counter[str]()

    class Workflow(api_schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            # Each scenario starts from the seeded index: were it to meet the documents of the ones before,
            # a PUT could answer 200 where it answered 201 when Hypothesis first drew it, and Hypothesis,
            # replaying the scenario, would find other links to follow (FlakyStrategyDefinition).
            with _fresh_entropy():
                _reseed(path)
            stored.clear()

        def call(self, case: schemathesis.Case, **kwargs: Any) -> Response:
            with _fresh_entropy():
                return super().call(case, **kwargs)

        def validate_response(self, response: Response, case: schemathesis.Case, **kwargs: Any) -> None:
            super().validate_response(response, case, **kwargs)
            _check_against_model(stored, reads, case, response)

    Workflow.run(settings=settings(max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS,
                                   phases=[Phase.generate], deadline=None, derandomize=True, database=None,
                                   suppress_health_check=list(HealthCheck)))  # fmt: skip
    # The links made the scenarios reach documents they had written, not just random ids.
    assert reads["found after PUT"] and reads["found after POST"] and reads["deleted"], reads


def _check_against_model(stored: Stored, reads: Counter[str], case: schemathesis.Case, response: Response) -> None:
    """Record what a successful write stored; a read of an id written before must return exactly that."""
    status, label = response.status_code, f"{case.method} {case.operation.path}"
    # The path parameter is percent-encoded as sent; the server decodes it and, like every path, trims
    # the id (vnsearch.index.document_id): the model keys documents the same way.
    doc_id = document_id(unquote(str(case.path_parameters.get("doc_id", ""))))
    if label == "PUT /documents/{doc_id}" and status in (200, 201):
        stored[response.json()["id"]] = ("PUT", {**case.body, "id": response.json()["id"]})
    elif label == "POST /documents" and status == 200:
        for doc in case.body if isinstance(case.body, list) else [case.body]:
            stored[document_id(doc["id"])] = ("POST", {**doc, "id": document_id(doc["id"])})
    elif label == "DELETE /documents/{doc_id}" and status == 204:
        stored[doc_id] = None
    elif label == "GET /documents/{doc_id}" and doc_id in stored:
        if (last := stored[doc_id]) is None:
            assert status == 404, (doc_id, response.content)
            reads["deleted"] += 1
        else:
            writer, doc = last
            assert (status, response.json()) == (200, doc)
            reads[f"found after {writer}"] += 1
