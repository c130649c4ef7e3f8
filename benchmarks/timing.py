"""The one percentile definition every benchmark reports, so that their p50 and p95 compare.

Nearest rank: the q-th percentile is the smallest measured value that at least q% of the values do not
exceed. It is always one of the measurements (no interpolation between two of them), and it is the
definition Elasticsearch's and most load tools' "p95" readers expect.
"""

from __future__ import annotations

import math
from collections.abc import Iterable


def percentile(values: Iterable[float], q: float) -> float:
    """The `q`-th percentile (0 < q <= 100) of `values` by nearest rank; 0.0 when there are none."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    if not 0 < q <= 100:
        raise ValueError(f"a percentile is between 0 (excluded) and 100, got {q}")
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]
