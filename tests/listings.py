"""Hà Nội property listings for tests: the real ones (../shared/data, tests only: no licence) where the
machine has them, else listings made up from real district names, in the several spellings real data
uses, and real listing phrases, with values missing about as often."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import corpora  # noqa: E402
from queries import no_diacritics  # noqa: E402

DISTRICTS = ["Cầu Giấy", "cau giay", "Đống Đa", "Hà Đông", "ha dong", "Hoàng Mai", "Tây Hồ", "Long Biên", "Ba Đình"]
KINDS = {
    "Bán nhà riêng": "Nhà riêng", "Cho thuê căn hộ chung cư": "Căn hộ chung cư", "Bán đất thổ cư": "Đất",
    "Bán nhà mặt phố": "Nhà mặt phố", "Bán biệt thự": "Biệt thự",
}  # fmt: skip
NAMES = [name for name in DISTRICTS if not name.isascii()]
LEGAL = ["Sổ đỏ", "sổ hồng", "Sổ hồng", "Hợp đồng mua bán", "Đang chờ sổ"]
RANGES = {"price_vnd": (5e8, 3e10), "area_m2": (20.0, 200.0), "bedrooms": (1, 6)}


def load(count: int) -> list[dict[str, Any]]:
    """The first `count` real listings, or as many made up where the machine lacks them."""
    if (corpora.DATA / "hanoi-realestate-listings").exists():
        return list(corpora.listings(count))
    return made_up(count)


def made_up(count: int) -> list[dict[str, Any]]:
    """`count` listings, the same on every call."""
    rng = random.Random(20)
    docs = []
    for n in range(count):
        kind, district = rng.choice(list(KINDS)), rng.choice(NAMES)
        if rng.random() < 0.2:  # typed without diacritics, as some listings are
            district = no_diacritics(district).lower()
        doc: dict[str, Any] = {"id": f"m{n}", "title": f"{kind} {district}", "address": f"Phố {n % 40}, {district}",
                               "property_type": KINDS[kind], "nhatot": rng.random() < 0.4}  # fmt: skip
        if rng.random() < 0.9:
            doc["district"] = district
        for name, (low, high) in RANGES.items():
            if rng.random() < 0.7:
                doc[name] = rng.randint(low, high) if isinstance(low, int) else round(rng.uniform(low, high), 1)
        if rng.random() < 0.6:
            doc["legal"] = " / ".join(rng.sample(LEGAL, rng.randint(1, 2)))
        docs.append(doc)
    return docs
