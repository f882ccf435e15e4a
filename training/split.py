"""Fixed train / validation / test split with no near-duplicate across splits.

1. Every sample carries a provenance `group` (a template, a source row).
2. Near-duplicates are found by MinHash over normalised word 3-shingles
   (64 hashes, LSH with 16 bands of 4 rows) plus exact hashes of the normalised
   text; near-duplicate pairs (estimated Jaccard >= 0.5) are united with their
   groups (union-find).
3. Each connected component goes wholly to one split, chosen by a stable hash of
   its smallest member id, so the split never changes unless the data does.

`label_conflicts` uses the same near-duplicate measure, before the split, to find
rows of a labelled dataset that contradict each other.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)  # training-time only, on our own corpus
_MASK = (1 << 61) - 1
_RNG = np.random.default_rng(20240501)
_A = _RNG.integers(1, _MASK, size=64, dtype=np.int64).astype(np.uint64)
_B = _RNG.integers(0, _MASK, size=64, dtype=np.int64).astype(np.uint64)


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _shingles(text: str) -> set[int]:
    words = _WORD.findall(_norm(text))
    if len(words) < 3:
        # CJK and very short text: character 4-grams
        s = "".join(words) or _norm(text)
        grams = {s[i:i + 4] for i in range(max(1, len(s) - 3))}
    else:
        grams = {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}
    return {int.from_bytes(hashlib.blake2b(g.encode(), digest_size=7).digest(), "little") for g in grams}


def _minhash(sh: set[int]) -> np.ndarray:
    x = np.fromiter(sh, dtype=np.uint64, count=len(sh))
    with np.errstate(over="ignore"):
        h = (np.outer(_A, x) + _B[:, None]) % np.uint64(_MASK)
    return h.min(axis=1)


def _lsh(texts: list[str]) -> tuple[list[np.ndarray], dict[tuple, list[int]]]:
    """MinHash signatures and the LSH buckets (16 bands of 4 rows) of every text."""
    sigs = [_minhash(_shingles(t)) for t in texts]
    buckets: dict[tuple, list[int]] = {}
    for i, sig in enumerate(sigs):
        for b in range(16):
            buckets.setdefault((b, sig[b * 4:(b + 1) * 4].tobytes()), []).append(i)
    return sigs, buckets


def _words(text: str) -> str:
    return " ".join(_WORD.findall(_norm(text)))


def label_conflicts(texts: list[str], labels: list[int], eligible: list[bool],
                    threshold: float = 0.5) -> tuple[set[int], dict]:
    """Rows to drop because near-identical rows carry the other label.

    Among the `eligible` rows (labels that came with a dataset, not ones we built as
    contrasts), two rows conflict when they are near-duplicates by the split's own
    measure (MinHash estimate of the word 3-shingle Jaccard >= `threshold`), their
    labels differ, and neither text contains the other (a benign question and the
    same question with an instruction appended, or an attack quoted inside a benign
    question, are contrast pairs that teach the model, not contradictions). Each
    connected group of conflicting rows keeps its majority label: the minority is
    dropped, and on a tie the whole group is."""
    sigs, buckets = _lsh(texts)
    uf = _UF(len(texts))
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        members = [i for i in members if eligible[i]]
        if len(members) < 2 or len(members) > 2000 or len({labels[i] for i in members}) < 2:
            continue
        for a, i in enumerate(members):
            for j in members[a + 1:]:
                if labels[i] == labels[j] or (min(i, j), max(i, j)) in pairs:
                    continue
                if float(np.mean(sigs[i] == sigs[j])) < threshold:
                    continue
                wi, wj = _words(texts[i]), _words(texts[j])
                if wi in wj or wj in wi:
                    continue
                pairs.add((min(i, j), max(i, j)))
                uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in {k for pair in pairs for k in pair}:
        groups.setdefault(uf.find(i), []).append(i)
    drop: set[int] = set()
    for members in groups.values():
        ones = [i for i in members if labels[i] == 1]
        zeros = [i for i in members if labels[i] == 0]
        drop.update(members if len(ones) == len(zeros) else zeros if len(ones) > len(zeros) else ones)
    return drop, {"conflicting_pairs": len(pairs), "groups": len(groups), "dropped": len(drop)}


class _UF:
    def __init__(self, n: int) -> None:
        self.p = list(range(n))

    def find(self, a: int) -> int:
        while self.p[a] != a:
            self.p[a] = self.p[self.p[a]]
            a = self.p[a]
        return a

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def near_duplicate_components(texts: list[str], groups: list[str],
                              threshold: float = 0.5) -> tuple[list[int], int]:
    """The component root of every sample (same provenance group, same normalised
    words, or near-duplicates), and the number of near-duplicate unions made."""
    n = len(texts)
    uf = _UF(n)
    first_of_group: dict[str, int] = {}
    exact: dict[str, int] = {}
    for i, (t, g) in enumerate(zip(texts, groups, strict=True)):
        if g in first_of_group:
            uf.union(i, first_of_group[g])
        else:
            first_of_group[g] = i
        key = " ".join(_WORD.findall(_norm(t)))
        if key in exact:
            uf.union(i, exact[key])
        else:
            exact[key] = i
    sigs, buckets = _lsh(texts)
    pairs = 0
    for members in buckets.values():
        if len(members) < 2 or len(members) > 2000:
            continue
        head = members[0]
        for j in members[1:]:
            if uf.find(j) != uf.find(head) and float(np.mean(sigs[head] == sigs[j])) >= threshold:
                uf.union(head, j)
                pairs += 1
    return [uf.find(i) for i in range(n)], pairs


def _unit_hash(salt: str, text: str) -> float:
    return int(hashlib.sha256(f"{salt}:{text}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def assign_splits(texts: list[str], groups: list[str], ratios=(0.7, 0.15, 0.15),
                  threshold: float = 0.5, forced: list[str | None] | None = None,
                  components: tuple[list[int], int] | None = None) -> tuple[list[str], dict]:
    """Split names per sample. `forced[i]` pins sample i (and its whole component) to a
    split: generated documents are composed within a split so that neither their
    body nor their hidden instruction appears on the other side. `components` is
    `near_duplicate_components`' result, when the caller needs it too."""
    roots, pairs = components or near_duplicate_components(texts, groups, threshold)
    pinned: dict[int, str] = {}
    for i, f in enumerate(forced or []):
        if f:
            pinned.setdefault(roots[i], f)
    out = []
    for i in range(len(texts)):
        root = roots[i]
        if root in pinned:
            out.append(pinned[root])
            continue
        h = _unit_hash("split", texts[root])
        out.append("train" if h < ratios[0] else "validation" if h < ratios[0] + ratios[1] else "test")
    return out, {"components": len(set(roots)), "near_duplicate_unions": pairs}


def fold_of(texts: list[str], roots: list[int], k: int) -> list[int]:
    """A cross-fitting fold in 0..k-1 per sample: whole components, by a stable hash
    independent of the split's, so folds never cut a template or a near-duplicate."""
    return [min(k - 1, int(_unit_hash("fold", texts[r]) * k)) for r in roots]


@dataclass
class FittingPlan:
    """Which texts the base layers are fitted on and which they score held out.

    `folds` pairs (fit ids, held-out ids); `stack` are the held-out texts the stacker,
    the Platt scalings and the 1%-FPR threshold are fitted on; `pool` is every text the
    layers are fitted on in some fold."""

    pool: np.ndarray
    folds: list[tuple[np.ndarray, np.ndarray]]
    stack: np.ndarray


def fitting_plan(texts: list[str], pinned: list[bool], idx: dict[str, np.ndarray], roots: list[int],
                 folds: int) -> FittingPlan:
    """folds=0: fit on train, stack on validation. folds=k: cross-fit over train +
    validation, so the stacker learns from six times as many held-out texts and the
    shipped layers (refitted on both) from a fifth more.

    Generated documents are composed within a split from bodies and hidden-instruction
    templates of that split (documents.py), so a template recurs across the documents
    of one split. Cross-fitting train's documents would score them with layers that
    saw their templates, which test documents never are; so validation's documents
    form fold 0 with the texts hashed there, train's documents are spread over the
    other folds, and only validation's documents are scored for the stacker: as
    before, the stacker sees documents whose templates the layers never saw."""
    train, val = idx["train"], idx["validation"]
    pool = np.concatenate([train, val])
    if not folds:
        return FittingPlan(pool, [(train, val)], val)
    fold = np.array(fold_of(texts, roots, folds))
    pinned_roots = {r for r, p in zip(roots, pinned, strict=True) if p}
    pinned = np.array([r in pinned_roots for r in roots], dtype=bool)  # whole components, as in assign_splits
    is_val = np.zeros(len(texts), dtype=bool)
    is_val[val] = True
    fold[pinned & is_val] = 0
    spread = pinned & ~is_val
    fold[spread] = 1 + np.array(fold_of(texts, roots, folds - 1))[spread]
    pairs = [(pool[fold[pool] != k], pool[fold[pool] == k]) for k in range(folds)]
    return FittingPlan(pool, pairs, pool[~spread[pool]])
