import io

from tests.conftest import SEED_ID
from vnsearch.demo import DEMO_QUERIES, run


def test_demo_puts_the_reference_article_first_for_both_queries(tmp_path) -> None:
    out = io.StringIO()
    run(tmp_path / "sample", out=out)
    text = out.getvalue()
    assert text.startswith(f"Indexed 241 documents into {tmp_path / 'sample'}")
    blocks = text.split("\nQuery: ")[1:]
    assert [b.splitlines()[0].split("  (")[0] for b in blocks] == list(DEMO_QUERIES)
    for block in blocks:
        first_hit = block.splitlines()[1]
        assert first_hit.startswith(" 1. ") and first_hit.endswith(f"[{SEED_ID}]")
        assert "[dân vận]" in block.splitlines()[2]
