"""Static sentence embeddings and a small MLP over them, run with numpy only.

The injection detector's second classifier reads meaning rather than n-grams: a
text's embedding is the mean of per-token vectors distilled from the
all-MiniLM-L6-v2 sentence transformer (training/distill_embeddings.py, model2vec),
and a one-hidden-layer perceptron scores it. Everything ships in the detector's
`.npz` (read with `allow_pickle=False`): the WordPiece vocabulary, the vectors
quantised to int8 with one scale per row, and the MLP weights.

Why a WordPiece tokenizer of our own rather than the `tokenizers` package: that
package costs 1.7-2.6 ms per 4 KB prompt on one core here (normalisation, offsets and
special tokens we do not need), which is the guard's whole p50 budget, and it would
be a compiled runtime dependency for one lookup. The table only has to be indexed
the same way at training and at run time (both call `WordPiece.ids`), so this follows
BERT's uncased scheme (lower-case, strip accents, split punctuation and Han
characters, greedy longest-match word pieces) without matching it byte for byte.
Whitespace-separated chunks are memoised, so the hot path is `str.split` and dict
lookups; a chunk is split into pieces (one `str.translate`, linear time, no regex)
only the first time it is seen.

Long texts are scored in windows of `WINDOW_TOKENS` tokens (half overlapping) and
the highest window wins, so an instruction buried in a long document is not
averaged away by its benign surroundings.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

WINDOW_TOKENS = 256
STRIDE_TOKENS = 128
MAX_WORD_CHARS = 100  # BERT's limit: a longer run of letters is one unknown token
MAX_CACHED_CHUNK = 400  # longer whitespace chunks are tokenized but not memoised
CACHE_LIMIT = 200_000  # memoised chunks; the cache is emptied when it grows past this
MAX_PIECE_SHARE = 0.25  # windows with more word pieces than this are not scored
# MLP weights smaller than this are read as zero: weight decay leaves thousands of them
# near 1e-38, and a product with a subnormal float32 takes the CPU's slow microcode
# path (the 6 x 258 x 256 product took 0.85 ms instead of 10 us). No feature exceeds
# ~10 in magnitude, so the flushed weights changed no logit by more than 1e-37.
NEGLIGIBLE_WEIGHT = 1e-30
_HAN = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0), (0x2A700, 0x2CEB0),
        (0x2F800, 0x2FA20))
_EMOJI = (0x1F000, 0x1FB00)


@lru_cache(maxsize=1)
def _split_table() -> dict[int, str | None]:
    """`str.translate` table applied after NFD and lower-casing: combining marks
    vanish (accents stripped), control characters become spaces, and punctuation,
    symbols, Han characters and emoji are set apart as pieces of their own."""
    table: dict[int, str | None] = {}
    for cp in range(0x10000):
        cat = unicodedata.category(chr(cp))
        if cat == "Mn":
            table[cp] = None
        elif cat[0] in "PS":
            table[cp] = f" {chr(cp)} "
        elif cat[0] == "C" and cat != "Cn":
            table[cp] = " "
    for lo, hi in (*_HAN, _EMOJI):
        for cp in range(lo, hi):
            table[cp] = f" {chr(cp)} "
    return table


class WordPiece:
    """Greedy longest-match-first WordPiece over a BERT vocabulary (`##` continuations)."""

    def __init__(self, vocab: list[str], unknown: str = "[UNK]") -> None:
        self.index = {tok: i for i, tok in enumerate(vocab)}
        self.unknown = self.index.get(unknown, 0)
        self.longest = max((len(t) for t in vocab), default=1)
        # a word with no ASCII letter can only match tokens with none either, and those
        # are short (single Cyrillic or kana letters and pieces): searching from the
        # longest ASCII token's length wasted 20 lookups per letter on kana and Cyrillic
        bare = [t[2:] if t.startswith("##") else t for t in vocab]
        self.longest_non_ascii = max((len(t) for t in bare if t and not any(c.isascii() for c in t)),
                                     default=1)
        self._cache: dict[str, tuple[int, ...]] = {}
        self._words: dict[str, list[int]] = {}

    def ids(self, text: str) -> np.ndarray:
        """Token ids of `text`, in order (no [CLS]/[SEP])."""
        cache = self._cache
        if len(cache) > CACHE_LIMIT:
            cache.clear()
        if len(self._words) > CACHE_LIMIT:
            self._words.clear()
        chunks = text.split()
        # this call's own table: another thread may empty the shared memo meanwhile
        found: dict[str, tuple[int, ...]] = {}
        get = cache.get
        for chunk in set(chunks):
            got = get(chunk)
            if got is None:
                got = self._chunk_ids(chunk)
                if len(chunk) <= MAX_CACHED_CHUNK:  # a huge chunk is not worth keeping
                    cache[chunk] = got
            found[chunk] = got
        return np.fromiter(chain.from_iterable(map(found.__getitem__, chunks)), dtype=np.intp)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._words.clear()

    def _chunk_ids(self, chunk: str) -> tuple[int, ...]:
        if chunk.isascii():
            lowered = chunk.lower()
            if lowered.isalnum():
                return tuple(self._word_ids(lowered))
        else:
            lowered = unicodedata.normalize("NFD", chunk.lower())
        out: list[int] = []
        words = self._words
        for piece in lowered.translate(_split_table()).split():
            got = words.get(piece)
            if got is None:
                got = words[piece] = self._word_ids(piece)
            out.extend(got)
        return tuple(out)

    def _word_ids(self, word: str) -> list[int]:
        whole = self.index.get(word)
        if whole is not None:
            return [whole]
        if len(word) > MAX_WORD_CHARS:
            return [self.unknown]
        index, out, start = self.index, [], 0
        longest = self.longest if any(c.isascii() for c in word) else self.longest_non_ascii
        while start < len(word):
            end = min(len(word), start + longest)
            found = None
            while end > start:
                sub = word[start:end] if start == 0 else "##" + word[start:end]
                found = index.get(sub)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return [self.unknown]
            out.append(found)
            start = end
        return out


@dataclass
class StaticEmbeddingModel:
    """Token table (int8 x per-row scale) + MLP (ReLU hidden layer, one logit)."""

    tokenizer: WordPiece
    table: np.ndarray  # (vocab, dims) int8
    scale: np.ndarray  # (vocab,) float32
    w1: np.ndarray  # (dims + 2, hidden) float32: then log(#tokens), share of word pieces
    b1: np.ndarray
    w2: np.ndarray  # (hidden,)
    b2: float
    window: int = WINDOW_TOKENS
    stride: int = STRIDE_TOKENS
    max_piece_share: float = MAX_PIECE_SHARE

    def __post_init__(self) -> None:
        # tokens that are not a whole known word: continuation pieces and [UNK]; their
        # share says how far the text is from the English vocabulary the vectors know
        pieces = np.zeros(len(self.tokenizer.index), dtype=np.float32)
        for tok, i in self.tokenizer.index.items():
            if tok.startswith("##") or i == self.tokenizer.unknown:
                pieces[i] = 1.0
        self._pieces = pieces
        # blocks are padded with an id one past the vocabulary: its scale is 0, and the
        # table lookup clips it to the last row, which the zero scale then cancels
        self._zero_row = len(self.scale)
        self._scale0 = np.append(self.scale, np.float32(0.0)).astype(np.float32)

    @classmethod
    def from_arrays(cls, arrays) -> StaticEmbeddingModel:
        vocab = str(arrays["embed_vocab"]).split("\n")
        return cls(tokenizer=WordPiece(vocab), table=np.asarray(arrays["embed_table"], dtype=np.int8),
                   scale=np.asarray(arrays["embed_scale"], dtype=np.float32),
                   w1=flush_negligible(arrays["mlp_w1"]),
                   b1=flush_negligible(arrays["mlp_b1"]),
                   w2=flush_negligible(arrays["mlp_w2"]).ravel(),
                   b2=float(np.asarray(arrays["mlp_b2"]).ravel()[0]),
                   window=int(arrays["embed_window"]), stride=int(arrays["embed_stride"]),
                   max_piece_share=float(arrays["embed_max_piece_share"]))

    def window_features(self, text: str) -> np.ndarray:
        """One row per window: the L2-normalised mean token vector, log(1 + #tokens), and
        the share of its tokens that are word pieces or unknown."""
        return self.features_of_ids(self.tokenizer.ids(text))[0]

    def features_of_ids(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(features, window starts, window ends) of a token-id sequence."""
        dims = self.table.shape[1]
        starts, ends = token_windows(len(ids), self.window, self.stride)
        if len(ids) == 0:
            return np.zeros((1, dims + 2), dtype=np.float32), starts, ends
        blocks, block_pieces = self._block_sums(ids)
        # a window is `window // stride` consecutive blocks (fewer at the end)
        per = max(1, self.window // self.stride)
        csum = np.vstack([np.zeros((1, dims), dtype=np.float32), np.cumsum(blocks, axis=0)])
        pcum = np.concatenate([[0.0], np.cumsum(block_pieces)])
        first = starts // self.stride
        last = np.minimum(first + per, len(blocks)) if len(starts) > 1 else np.array([len(blocks)])
        sums, pieces = csum[last] - csum[first], pcum[last] - pcum[first]
        counts = (ends - starts).astype(np.float32)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        feats = np.empty((len(sums), dims + 2), dtype=np.float32)
        feats[:, :dims] = sums / np.maximum(norms, 1e-9)
        feats[:, dims] = np.log1p(counts)
        feats[:, dims + 1] = pieces / np.maximum(counts, 1.0)
        return feats, starts, ends

    def _block_sums(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per block of `stride` tokens: the sum of its scaled vectors and its number of
        word pieces. One batched matrix product per 64 blocks (a cumulative sum over
        every token row was ten times slower), so memory stays bounded on huge texts."""
        stride, dims = self.stride, self.table.shape[1]
        n = len(ids)
        n_blocks = -(-n // stride)
        out = np.empty((n_blocks, dims), dtype=np.float32)
        group = 64 * stride
        for g0 in range(0, n, group):
            seg = ids[g0:g0 + group]
            k = -(-len(seg) // stride)
            padded = np.full(k * stride, self._zero_row, dtype=np.intp)  # the padding's scale is 0
            padded[:len(seg)] = seg
            vecs = self.table.take(padded, axis=0, mode="clip").astype(np.float32).reshape(k, stride, dims)
            scale = self._scale0[padded].reshape(k, 1, stride)
            b0 = g0 // stride
            out[b0:b0 + k] = np.matmul(scale, vecs)[:, 0, :]
        pieces = np.add.reduceat(self._pieces[ids], np.arange(0, n, stride))
        return out, pieces

    def logits_of(self, feats: np.ndarray) -> np.ndarray:
        hidden = np.maximum(feats @ self.w1 + self.b1, 0.0)
        return hidden @ self.w2 + self.b2

    def readable(self, feats: np.ndarray) -> np.ndarray:
        """Windows the vectors can read: at most `max_piece_share` of their tokens are
        word pieces or unknown. The table is distilled from an English model; French or
        Chinese comes out as piece soup, and an MLP reading it learns only that most
        foreign-language text in its training data was an attack."""
        return feats[:, -1] <= self.max_piece_share

    def logit(self, text: str) -> float | None:
        """The highest readable window's logit; None when no window is readable.

        Which windows are readable is known from the token ids alone, so the vectors are
        only summed over the stretch of tokens those windows cover: most of a Russian or
        Japanese text is never looked up in the table (the same windows, the same result)."""
        ids = self.tokenizer.ids(text)
        starts, ends = token_windows(len(ids), self.window, self.stride)
        if len(ids):
            running = np.concatenate(([0.0], np.cumsum(self._pieces[ids], dtype=np.float64)))
            share = (running[ends] - running[starts]) / np.maximum(ends - starts, 1)
            readable = share <= self.max_piece_share
            if not readable.any():
                return None
            lo, hi = int(starts[readable].min()), int(ends[readable].max())
            if lo > 0 or hi < len(ids):
                ids = ids[lo:hi]  # lo is a window start, so blocks and windows line up again
        feats = self.features_of_ids(ids)[0]
        feats = feats[self.readable(feats)]
        if len(feats) == 0:
            return None
        return float(self.logits_of(feats).max())


def flush_negligible(values) -> np.ndarray:
    """float32 copy of `values` with every |value| < NEGLIGIBLE_WEIGHT set to 0 (see there)."""
    out = np.array(values, dtype=np.float32)
    out[np.abs(out) < NEGLIGIBLE_WEIGHT] = 0.0
    return out


def token_windows(n_tokens: int, window: int = WINDOW_TOKENS,
                  stride: int = STRIDE_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the windows a text of `n_tokens` tokens is scored on."""
    if n_tokens <= window:
        return np.array([0]), np.array([n_tokens])
    starts = np.arange(0, n_tokens - (window - stride), stride)
    return starts, np.minimum(starts + window, n_tokens)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: row ~= table * scale (training/export helper)."""
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    table = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return table, scale
