"""A small linear text classifier run with numpy only.

The runtime must not need scikit-learn (it is a training-only dependency) and must
never unpickle anything, so the model is a plain `.npz` of arrays, read with
`allow_pickle=False`, and inference is a few numpy operations:

    features = hashed character n-grams (n = 2..5) + hashed word unigrams and
               bigrams + dense extra features (normalisation evidence)
    score    = sigmoid(weights[buckets].sum() / sqrt(#n-grams) + extra @ w_extra + bias)

Why a hashing vectoriser of our own rather than scikit-learn's `HashingVectorizer`:
its buckets come from MurmurHash3 over Python strings, and reproducing them
bit for bit without scikit-learn is slow in pure Python (one call per n-gram) and
fragile across versions. Here the hash is a polynomial over Unicode code points
computed for all positions at once with unsigned 64-bit numpy arithmetic
(wrap-around is the modulus), then spread over the buckets by Fibonacci
(multiplicative) hashing. It is deterministic across processes, platforms and
numpy versions (no `hash()`, no seed), and the training script calls this very
function, so training and inference cannot drift apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

_P = np.uint64(0x100000001B3)  # FNV prime: odd, so the rolling hash is invertible
_MIX = np.uint64(0x9E3779B97F4A7C15)  # 2^64 / golden ratio
_WORD_SALT = np.uint64(0xC2B2AE3D27D4EB4F)
_BIGRAM_Q = np.uint64(0x165667B19E3779F9)
_NGRAM_SALTS = {n: np.uint64((0x27D4EB2F165667C5 * n) & 0xFFFFFFFFFFFFFFFF) for n in range(1, 8)}
CHAR_NGRAMS = (2, 3, 4, 5)
WINDOW = 768
STRIDE = 384
CHUNK = 65536  # long texts are hashed chunk by chunk (bounded memory)


def _codepoints(text: str) -> np.ndarray:
    return np.frombuffer((" " + text + " ").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """True for the code points (BMP) that are letters, marks or digits."""
    import unicodedata

    table = np.zeros(0x10000, dtype=bool)
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        table[cp] = cat[0] in "LMN"
    return table


def _word_mask(c: np.ndarray) -> np.ndarray:
    """Letters, marks and digits of every script (CJK runs become one 'word' and are
    covered by the character n-grams); astral code points count as non-word."""
    return _word_table()[np.minimum(c, 0xFFFF).astype(np.intp)] & (c < 0x10000)


def hashed_ngrams(text: str, bits: int) -> np.ndarray:
    """Bucket ids of every char 2..5-gram and word uni/bigram of `text` (with repeats)."""
    return hashed_ngrams_at(text, bits, positions=False)[0]


def hashed_ngrams_at(text: str, bits: int, positions: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(bucket ids, start offsets in `text`) of every n-gram, for windowed scoring."""
    parts = hashed_parts(text, bits)
    if not parts:
        return np.zeros(0, dtype=np.intp), (np.zeros(0, dtype=np.int64) if positions else None)
    ids = np.concatenate([p[0] for p in parts])
    return ids, (np.concatenate([p[1] for p in parts]) if positions else None)


MAX_BITS = 20  # the injection model's table; the content model (16 bits) shifts these


def hashed_parts(text: str, bits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One (bucket ids, start offsets) pair per n-gram kind (char 2..5-grams, words,
    word bigrams); within a kind the offsets are sorted, which windowed scoring uses.

    Buckets are the top `bits` bits of the mixed hash, so a smaller table's bucket is
    the larger one's shifted right: the hashes are computed once at MAX_BITS (and
    cached for the last few texts, which the injection and content models share) and
    shifted for smaller models."""
    if bits > MAX_BITS:
        return _hashed_parts(text, bits)
    parts = _hashed_parts_cached(text) if len(text) <= 65536 + 1024 else _hashed_parts(text, MAX_BITS)
    if bits == MAX_BITS:
        return parts
    return [(ids >> (MAX_BITS - bits), pos) for ids, pos in parts]


@lru_cache(maxsize=8)
def _hashed_parts_cached(text: str) -> list[tuple[np.ndarray, np.ndarray]]:
    return _hashed_parts(text, MAX_BITS)


def block_ordered(text: str, bits: int, n_blocks: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(every n-gram id, the ids of blocks < n_blocks ordered by block, the start of each
    block in that order plus the end) at MAX_BITS; models with fewer bits shift them.
    Cached for the last few texts, like `hashed_parts`: both models read the same."""
    if bits > MAX_BITS or len(text) > 65536 + 1024:
        return _block_ordered(text, n_blocks, tuple(_hashed_parts(text, max(bits, MAX_BITS))))
    return _block_ordered_cached(text, n_blocks)


@lru_cache(maxsize=8)
def _block_ordered_cached(text: str, n_blocks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _block_ordered(text, n_blocks, tuple(_hashed_parts_cached(text)))


def _block_ordered(text: str, n_blocks: int,
                   parts: tuple[tuple[np.ndarray, np.ndarray], ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros(n_blocks + 1, dtype=np.intp)
    every = np.concatenate([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
    if n_blocks == 0:
        return every, every, np.zeros(1, dtype=np.intp)
    # each kind's offsets are sorted, so a block is one slice per kind
    edges = np.arange(n_blocks + 1) * STRIDE
    cuts = [np.searchsorted(pos, edges).tolist() for _, pos in parts]
    segments = [ids[c[b]:c[b + 1]] for b in range(n_blocks) for (ids, _), c in zip(parts, cuts, strict=True)]
    sizes = [sum(c[b + 1] - c[b] for c in cuts) for b in range(n_blocks)]
    bounds = np.zeros(n_blocks + 1, dtype=np.intp)
    np.cumsum(sizes, out=bounds[1:])
    return every, np.concatenate(segments), bounds


def _hashed_parts(text: str, bits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    c = _codepoints(text)
    shift = np.uint64(64 - bits)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    h = c.copy()
    last = max(len(text) - 1, 0)
    with np.errstate(over="ignore"):
        for n in range(2, max(CHAR_NGRAMS) + 1):
            if len(c) < n:
                break
            h = h[:-1] * _P + c[n - 1:]
            if n in CHAR_NGRAMS:
                # offsets are in the padded string (" " + text + " "): shift back by one
                pos = np.minimum(np.maximum(np.arange(-1, len(h) - 1), 0), last)
                parts.append(((((h + _NGRAM_SALTS[n]) * _MIX) >> shift).astype(np.intp), pos))
        words, starts = _word_hashes(c)
        if len(words):
            wpos = np.maximum(starts - 1, 0)
            parts.append(((((words + _WORD_SALT) * _MIX) >> shift).astype(np.intp), wpos))
            if len(words) > 1:
                bigrams = words[:-1] * _BIGRAM_Q + words[1:]
                parts.append(((((bigrams + _NGRAM_SALTS[7]) * _MIX) >> shift).astype(np.intp), wpos[:-1]))
    return parts


def windows(length: int) -> list[tuple[int, int]]:
    """The windows a text of `length` characters is scored on: the whole text when it
    is short, else WINDOW-sized windows every STRIDE characters."""
    if length <= WINDOW + WINDOW // 2:
        return [(0, length)]
    starts = range(0, length - WINDOW // 2, STRIDE)
    return [(s, min(s + WINDOW, length)) for s in starts]


@lru_cache(maxsize=4)
def _powers(length: int) -> tuple[np.ndarray, np.ndarray]:
    """P^j and P^-j (mod 2^64) for j < length."""
    p_inv = pow(int(_P), -1, 1 << 64)
    with np.errstate(over="ignore"):
        fwd = np.full(length, _P, dtype=np.uint64)
        fwd[0] = 1
        fwd = np.cumprod(fwd, dtype=np.uint64)
        inv = np.full(length, np.uint64(p_inv), dtype=np.uint64)
        inv[0] = 1
        inv = np.cumprod(inv, dtype=np.uint64)
    return fwd, inv


def _word_hashes(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polynomial hash of each maximal run of word characters, vectorised with prefix
    sums: hash(s..e) = (H[e] - H[s-1]) * P^e where H[i] = sum c[j] * P^-j."""
    m = _word_mask(c)
    if not m.any():
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    mi = m.astype(np.int8)
    edges = np.diff(np.concatenate(([0], mi, [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    size = 1 << max(12, int(len(c) - 1).bit_length())
    fwd, inv = _powers(size)
    with np.errstate(over="ignore"):
        pref = np.cumsum(c * inv[: len(c)], dtype=np.uint64)
        before = np.where(starts > 0, pref[np.maximum(starts - 1, 0)], np.uint64(0))
        return (pref[ends] - before) * fwd[ends], starts


@dataclass(frozen=True)
class LinearTextModel:
    """Weights of a one-vs-rest logistic model over hashed n-grams + extra features."""

    weights: np.ndarray  # (2**bits, K) float32 or float16
    extra: np.ndarray  # (E, K)
    bias: np.ndarray  # (K,)
    classes: tuple[str, ...]
    bits: int
    calibration: np.ndarray  # (K, 2): Platt scaling a, b applied to the raw logit

    @classmethod
    def load(cls, path: Path | str) -> LinearTextModel:
        with np.load(path, allow_pickle=False) as z:
            classes = tuple(str(s) for s in z["classes"].tolist())
            # float16 on disk to keep the package small, float32 in memory for speed
            return cls(weights=np.ascontiguousarray(z["weights"], dtype=np.float32),
                       extra=z["extra"].astype(np.float32),
                       bias=z["bias"].astype(np.float32), classes=classes, bits=int(z["bits"]),
                       calibration=z["calibration"].astype(np.float32))

    @classmethod
    def load_packaged(cls, name: str) -> LinearTextModel:
        ref = resources.files("aiposture").joinpath("data", "models", name)
        with resources.as_file(ref) as path:
            return cls.load(path)

    def save(self, path: Path | str, **meta: str) -> None:
        np.savez_compressed(path, weights=self.weights, extra=self.extra, bias=self.bias,
                            classes=np.array(self.classes), bits=np.int64(self.bits),
                            calibration=self.calibration,
                            **{f"meta_{k}": np.array(v) for k, v in meta.items()})

    def logits(self, text: str, extra: list[float] | np.ndarray | None = None) -> np.ndarray:
        """Raw logits per class for one text: the maximum over its windows (see
        `windows`), so a short injected instruction inside a long document is not
        diluted by the benign text around it."""
        ex = np.zeros(self.extra.shape[0], dtype=np.float32) if extra is None \
            else np.asarray(extra, dtype=np.float32)
        base = ex @ self.extra + self.bias
        best = np.full(len(self.classes), -np.inf, dtype=np.float32)
        for off in range(0, max(len(text), 1), CHUNK):
            chunk = text[off:off + CHUNK + WINDOW]
            best = np.maximum(best, self.window_logits(chunk).max(axis=0))
            if off + CHUNK + WINDOW >= len(text):
                break
        return base + best

    def window_logits(self, text: str) -> np.ndarray:
        """(n_windows, K) n-gram logits of each window (no bias, no extra features).

        Windows are two STRIDE-sized blocks long and start on block boundaries, so each
        window's sum is the sum of two block sums. The n-gram ids come ordered by block
        (`block_ordered`), so a block sum is one `reduceat` segment of a 1-D gather per
        class: no sort, linear in the text. (`bincount` with weights and 2-D row gathers
        cost eight times as much here.)"""
        spans = windows(len(text))
        k = len(self.classes)
        wt = self._by_class()
        shift = MAX_BITS - self.bits if self.bits <= MAX_BITS else 0
        if len(spans) == 1:
            ids = block_ordered(text, self.bits)[0]
            if not len(ids):
                return np.zeros((1, k), dtype=np.float32)
            ids = ids >> shift if shift else ids
            scale = np.float32(1.0 / math.sqrt(len(ids)))
            return np.array([[wt[j][ids].sum(dtype=np.float32) * scale for j in range(k)]], dtype=np.float32)
        ids, bounds = block_ordered(text, self.bits, n_blocks=len(spans) + 1)[1:]
        ids = ids >> shift if shift else ids
        n = len(ids)
        counts = np.diff(bounds)
        empty = counts == 0
        win_counts = (counts[:-1] + counts[1:]).astype(np.float64)
        norm = 1.0 / np.sqrt(np.maximum(win_counts, 1.0))
        # one slot past the last n-gram holds 0: an empty trailing block's segment
        # starts there, and reduceat needs its indices inside the array
        gathered = np.zeros(n + 1, dtype=np.float32)
        out = np.empty((len(spans), k), dtype=np.float32)
        for j in range(k):
            np.take(wt[j], ids, out=gathered[:n])
            sums = np.add.reduceat(gathered, bounds[:-1], dtype=np.float64)
            sums[empty] = 0.0  # reduceat yields the element itself for an empty segment
            out[:, j] = (sums[:-1] + sums[1:]) * norm
        return out

    def span_logits(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """(n_spans, K) n-gram logits of each (start, end) span of `text`, read as if it
        were a window of its own: the n-grams that start inside it, summed and divided
        by sqrt(their number). One gather and one cumulative sum per n-gram kind and
        class, whatever the number of spans (each kind's offsets are sorted)."""
        k = len(self.classes)
        if not spans:
            return np.zeros((0, k), dtype=np.float32)
        starts = np.array([s for s, _ in spans])
        ends = np.array([e for _, e in spans])
        sums = np.zeros((len(spans), k), dtype=np.float64)
        counts = np.zeros(len(spans), dtype=np.float64)
        wt = self._by_class()
        for ids, pos in hashed_parts(text, self.bits):
            lo, hi = np.searchsorted(pos, starts), np.searchsorted(pos, ends)
            counts += hi - lo
            for j in range(k):
                running = np.zeros(len(ids) + 1, dtype=np.float64)
                np.cumsum(wt[j][ids], out=running[1:])
                sums[:, j] += running[hi] - running[lo]
        return (sums / np.sqrt(np.maximum(counts, 1.0))[:, None]).astype(np.float32)

    def _by_class(self) -> np.ndarray:
        """Weights laid out class-major (K, buckets): one contiguous gather per class."""
        wt = self.__dict__.get("_wt")
        if wt is None:
            wt = np.ascontiguousarray(self.weights.T, dtype=np.float32)
            object.__setattr__(self, "_wt", wt)
        return wt

    def probabilities(self, text: str, extra: list[float] | np.ndarray | None = None) -> np.ndarray:
        z = self.logits(text, extra)
        z = self.calibration[:, 0] * z + self.calibration[:, 1]
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
