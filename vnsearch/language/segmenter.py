"""pyvi's word segmentation, exactly: `words(text)` finds the multi-syllable words pyvi's
`ViTokenizer.tokenize` finds, several times faster, and this is the one module that reads pyvi's model.

pyvi spends most of its time building a dict of features for every syllable, which sklearn_crfsuite
turns into strings that crfsuite then looks up one by one. Here the same model (the crfsuite file
pickled in pyvi's `pyvi3.pkl`) and the same bigram/trigram list are read once, on first use: each
distinct syllable's feature weights are computed once, added per position with numpy in exactly the
order crfsuite adds them (so every floating-point score is bit-identical), and crfsuite's Viterbi runs
with ties broken the same way. Most programs that import vnsearch (to open an index and search) never
load the model.
"""

from __future__ import annotations

import codecs
import importlib.util
import pickle
import re
import string
import struct
from functools import cache
from itertools import accumulate
from pathlib import Path
from typing import Any

import numpy as np

# pyvi's syllabizer (`ViTokenizer.sylabelize`) as one capturing group, so `split` also returns the
# text between tokens (only whitespace) and offsets come from summing lengths.
_PYVI_SPLIT = re.compile(
    r"([A-ZĐ]+\.|Tp\.|Mr\.|Mrs\.|Ms\.|Dr\.|ThS\."
    r"|==>|->|\.\.\.|>>|\n"
    r"|\w+://[^\s]+"
    r"|[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+"
    r"|\d+(?:[\.,_]\d+)+"
    r"|[^\w\s]"
    r"|\w+)"
)


def preload() -> None:
    """Load the model now (~0.15 s), for instance before forking processes that will all segment,
    so that each inherits it instead of loading its own."""
    _model()


def words(text: str) -> list[tuple[int, int]]:
    """Return (start, end) of every multi-syllable word pyvi finds in NFC `text`.

    The words are exactly those of pyvi's `ViTokenizer.tokenize` (same tokens, same CRF model and
    labels, same joining rule; tests/test_segmenter.py checks it on real articles).
    """
    parts = _PYVI_SPLIT.split(text)
    pieces = parts[1::2]
    if len(pieces) < 2:
        return []
    inside = _model().inside(pieces)
    # Token k spans bounds[2k]..bounds[2k + 1]: the running length of gaps and tokens before it.
    bounds = list(accumulate(map(len, parts)))
    found: list[tuple[int, int]] = []
    first = -1  # index of the first token of the word being built
    for i in range(1, len(pieces)):
        if inside[i] and _joins(pieces[i - 1], pieces[i]):
            if first < 0:
                first = i - 1
        elif first >= 0:
            found.append((bounds[2 * first], bounds[2 * i - 1]))
            first = -1
    if first >= 0:
        found.append((bounds[2 * first], bounds[-2]))
    return found


def _joins(previous: str, current: str) -> bool:
    """pyvi's rule for gluing an I_W syllable to the one before it (copied from `ViTokenizer.tokenize`)."""
    return (
        current not in string.punctuation
        and previous not in string.punctuation
        and not current[0].isdigit()
        and not previous[0].isdigit()
        and not (current[0].istitle() and not previous[0].istitle())
    )


@cache
def _model() -> Crf:
    return load()


# Features pyvi gives every syllable, in the order its dict lists them, which is the order crfsuite
# adds their weights: sums of floats depend on it. Flags that are False weigh 0.0 and are left out.
_OWN_FLAGS = (("word.isupper()", str.isupper), ("word.istitle()", str.istitle), ("word.isdigit()", str.isdigit))
_VOCAB_LIMIT = 1 << 20  # distinct syllables remembered before the table starts afresh (bounds memory)


def _pyvi_models() -> Path:
    """pyvi's model folder, found without importing pyvi (whose import loads scikit-learn)."""
    spec = importlib.util.find_spec("pyvi")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pyvi is not installed; vnsearch needs its word-segmentation model")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class _Anything:
    """Stands in for every class in pyvi's pickle (sklearn_crfsuite's CRF, numpy scalars…)."""

    def __init__(self, *args: object) -> None:
        self.args = args

    def __setstate__(self, state: object) -> None:
        self.state = state


class _ModelUnpickler(pickle.Unpickler):
    """Unpickles pyvi3.pkl into plain stand-ins, so neither scikit-learn nor crfsuite is imported."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("_codecs", "encode"):
            return codecs.encode
        if module.split(".")[0] in ("sklearn_crfsuite", "numpy", "pycrfsuite"):
            return _Anything
        raise pickle.UnpicklingError(f"unexpected {module}.{name} in pyvi's model")


def _crfsuite_bytes(pickled: Path) -> bytes:
    """The crfsuite model file held in pyvi's pickled sklearn_crfsuite.CRF."""
    with pickled.open("rb") as f:
        crf = _ModelUnpickler(f).load()
    data = crf.state["modelfile"].state["__FILE_RESOURCE_DATA__"]
    if not data.startswith(b"lCRF"):
        raise ValueError(f"{pickled} does not hold a crfsuite model")
    return data


def _cqdb_strings(data: bytes, base: int, count: int) -> list[str]:
    """Strings 0..count-1 of the crfsuite string database (CQDB) at `base`, through its id index."""
    _, _, _, byteorder, _, backward = struct.unpack_from("<4sIIIII", data, base)
    if byteorder != 0x62445371:
        raise ValueError("crfsuite model written with another byte order")
    strings = []
    for offset in struct.unpack_from(f"<{count}I", data, base + backward):
        size = struct.unpack_from("<I", data, base + offset + 4)[0]
        start = base + offset + 8
        strings.append(data[start : start + size - 1].decode("utf-8", "surrogateescape"))
    return strings


def _refs(data: bytes, chunk: int, count: int) -> list[tuple[int, ...]]:
    """Feature ids referenced by each label or attribute, in the model's order."""
    refs = []
    for offset in struct.unpack_from(f"<{count}I", data, chunk + 12):
        n = struct.unpack_from("<I", data, offset)[0]
        refs.append(struct.unpack_from(f"<{n}I", data, offset + 4))
    return refs


class Crf:
    """pyvi's CRF over its two labels, B_W and I_W; `inside(syllables)` marks the I_W ones."""

    def __init__(self, model: bytes, words: str):
        (_, _, _, _, _, n_labels, n_attrs, off_features, off_labels, off_attrs, off_labelrefs, off_attrrefs) = (
            struct.unpack_from("<4sI4sIIIIIIIII", model, 0)
        )
        n_features = struct.unpack_from("<I", model, off_features + 8)[0]  # the header's count is left at 0
        labels = _cqdb_strings(model, off_labels, n_labels)
        if sorted(labels) != ["B_W", "I_W"]:
            raise ValueError(f"unexpected labels {labels} in pyvi's model")
        self._inside = labels.index("I_W")
        features = [struct.unpack_from("<IIId", model, off_features + 12 + 20 * i) for i in range(n_features)]
        self._trans = [[0.0, 0.0], [0.0, 0.0]]
        for label, fids in enumerate(_refs(model, off_labelrefs, n_labels)):
            for fid in fids:
                self._trans[label][features[fid][2]] = features[fid][3]
        self._weights: dict[str, tuple[float, float]] = {}
        for name, fids in zip(_cqdb_strings(model, off_attrs, n_attrs), _refs(model, off_attrrefs, n_attrs)):
            pair = [0.0, 0.0]
            dsts = [features[fid][2] for fid in fids]
            if len(set(dsts)) != len(dsts):  # one feature per (attribute, label) makes one addition each
                raise ValueError(f"attribute {name!r} has several features for one label")
            for fid in fids:
                pair[features[fid][2]] = features[fid][3]
            self._weights[name] = (pair[0], pair[1])
        self._flag_weights = {name: np.array(self._weight(name)) for name in (
            "-1:word.istitle()", "-1:word.isupper()", "-1:word.bi_gram()", "-2:word.tri_gram()",
            "+1:word.istitle()", "+1:word.isupper()", "+1:word.bi_gram()", "+2:word.tri_gram()",
        )}  # fmt: skip
        self._load_ngrams(words)
        self._reset_vocabulary()

    def _weight(self, attribute: str) -> tuple[float, float]:
        # crfsuite receives attributes as C strings: anything after a NUL is never seen.
        return self._weights.get(attribute.partition("\0")[0], (0.0, 0.0))

    def _load_ngrams(self, words: str) -> None:
        """Index pyvi's bigram/trigram list as integer codes over the syllables that occur in it."""
        bigrams, trigrams = [], []
        for line in words.split("\n"):
            parts = line.split(" ")
            if len(parts) == 2:
                bigrams.append(parts)
            elif len(parts) == 3:
                trigrams.append(parts)
        # A token never contains a space, so `" ".join(pair).lower() in bi_grams` (pyvi's test) holds
        # exactly when the lowercased tokens equal an entry's space-separated parts.
        self._syllable_ids = {s: i for i, s in enumerate(dict.fromkeys(p for e in bigrams + trigrams for p in e))}
        self._base = len(self._syllable_ids) + 1
        ids = self._syllable_ids
        self._bigrams = np.unique(np.array([ids[a] * self._base + ids[b] for a, b in bigrams], dtype=np.int64))
        self._trigrams = np.unique(
            np.array([(ids[a] * self._base + ids[b]) * self._base + ids[c] for a, b, c in trigrams], dtype=np.int64)
        )

    def _reset_vocabulary(self) -> None:
        self._rows: dict[str, int] = {}
        self._own = np.zeros((1024, 2))
        self._before = np.zeros((1024, 2))  # weights of this syllable seen from the next position
        self._after = np.zeros((1024, 2))  # ... and from the previous position
        self._title = np.zeros(1024, dtype=bool)
        self._upper = np.zeros(1024, dtype=bool)
        self._syllable = np.zeros(1024, dtype=np.int64)

    def _learn(self, tokens: list[str]) -> None:
        """Compute and store the per-syllable part of pyvi's features for syllables not seen yet."""
        start, end = len(self._rows), len(self._rows) + len(tokens)
        while end > len(self._own):
            for name in ("_own", "_before", "_after", "_title", "_upper", "_syllable"):
                array = getattr(self, name)
                setattr(self, name, np.concatenate([array, np.zeros_like(array)]))
        lowers = [token.lower() for token in tokens]
        self._own[start:end] = [self._own_weights(token, lower) for token, lower in zip(tokens, lowers)]
        self._before[start:end] = [self._weight("-1:word.lower():" + lower) for lower in lowers]
        self._after[start:end] = [self._weight("+1:word.lower():" + lower) for lower in lowers]
        self._title[start:end] = [token.istitle() for token in tokens]
        self._upper[start:end] = [token.isupper() for token in tokens]
        self._syllable[start:end] = [self._syllable_ids.get(lower, -1) for lower in lowers]
        self._rows.update(zip(tokens, range(start, end)))

    def _own_weights(self, token: str, lower: str) -> tuple[float, float]:
        """The sum of the features of a syllable itself (bias, its lowercase form, its case and digit flags)."""
        w0 = w1 = 0.0
        for name in ["bias", "word.lower():" + lower] + [flag for flag, test in _OWN_FLAGS if test(token)]:
            weight = self._weight(name)
            w0 += weight[0]
            w1 += weight[1]
        return w0, w1

    def _scores(self, tokens: list[str]) -> list[list[float]]:
        """Per-position state scores, summed in pyvi's feature order; adding 0.0 leaves a sum unchanged."""
        if len(self._rows) >= _VOCAB_LIMIT:
            self._reset_vocabulary()
        found = list(map(self._rows.get, tokens))
        if None in found:
            self._learn(list(dict.fromkeys(t for t, row in zip(tokens, found) if row is None)))
            found = list(map(self._rows.get, tokens))
        index = np.array(found)
        prev, nxt = index[:-1], index[1:]
        flag = self._flag_weights
        syllable = self._syllable[index]
        known = syllable >= 0
        pair = syllable[:-1] * self._base + syllable[1:]
        bigram = known[:-1] & known[1:] & _member(pair, self._bigrams)
        triple = pair[:-1] * self._base + syllable[2:]
        trigram = known[:-2] & known[1:-1] & known[2:] & _member(triple, self._trigrams)
        state = self._own[index]
        state[1:] += self._before[prev]
        state[1:] += flag["-1:word.istitle()"] * self._title[prev, None]
        state[1:] += flag["-1:word.isupper()"] * self._upper[prev, None]
        state[1:] += flag["-1:word.bi_gram()"] * bigram[:, None]
        state[2:] += flag["-2:word.tri_gram()"] * trigram[:, None]
        state[:-1] += self._after[nxt]
        state[:-1] += flag["+1:word.istitle()"] * self._title[nxt, None]
        state[:-1] += flag["+1:word.isupper()"] * self._upper[nxt, None]
        state[:-1] += flag["+1:word.bi_gram()"] * bigram[:, None]
        state[:-2] += flag["+2:word.tri_gram()"] * trigram[:, None]
        return state.tolist()

    def inside(self, tokens: list[str]) -> list[bool]:
        """For each of pyvi's tokens, whether pyvi's CRF labels it I_W (inside a word); 2+ tokens."""
        scores = self._scores(tokens)
        (t00, t01), (t10, t11) = self._trans
        # crfsuite's Viterbi: the first label wins ties (`max < score` is strict).
        a0, a1 = scores[0]
        back0: list[bool] = []
        back1: list[bool] = []
        for s0, s1 in scores[1:]:
            x, y = a0 + t00, a1 + t10
            from1 = x < y
            back0.append(from1)
            m0 = (y if from1 else x) + s0
            x, y = a0 + t01, a1 + t11
            from1 = x < y
            back1.append(from1)
            a1 = (y if from1 else x) + s1
            a0 = m0
        label = a0 < a1
        path = [label]
        for t in range(len(back0) - 1, -1, -1):
            label = back1[t] if label else back0[t]
            path.append(label)
        path.reverse()
        return path if self._inside == 1 else [not label for label in path]


def _member(values: np.ndarray, table: np.ndarray) -> np.ndarray:
    """values ∈ table, for a sorted `table`."""
    at = np.minimum(np.searchsorted(table, values), len(table) - 1)
    return table[at] == values


def load() -> Crf:
    """Read pyvi's CRF model and word list from its installed package (about 0.2 s)."""
    models = _pyvi_models()
    # pyvi reads words.txt with codecs.open, which translates no line endings: bytes.decode matches it.
    return Crf(_crfsuite_bytes(models / "pyvi3.pkl"), (models / "words.txt").read_bytes().decode("utf-8"))
