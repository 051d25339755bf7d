"""The Rust dedup against a small pure-Python reference written from the documented rules:
same normalisation, same exact keys (xxh3-128), same shingle hashes, same MinHash
signatures, same clusters (LSH star edges, verification, union-find, keep policy)."""

from __future__ import annotations

import os
import string
import struct
import unicodedata

import numpy as np
import pyarrow as pa
import pytest
import xxhash
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlrm import _core
from xlrm.data.schema import pairs_to_table
from xlrm.dedup import DedupConfig, dedup_table, exact_keys, signatures, table_fields
from xlrm.text import normalize

M64 = (1 << 64) - 1
WHITESPACE = {
    chr(c)
    for c in (
        0x09,
        0x0A,
        0x0B,
        0x0C,
        0x0D,
        0x20,
        0x85,
        0xA0,
        0x1680,
        *range(0x2000, 0x200B),
        0x2028,
        0x2029,
        0x202F,
        0x205F,
        0x3000,
    )
}
PUNCT_RANGES = [
    (0xA1, 0xBF),
    (0xD7, 0xD7),
    (0xF7, 0xF7),
    (0x2010, 0x2027),
    (0x2030, 0x205E),
    (0x2190, 0x23FF),
    (0x2500, 0x27BF),
    (0x2E00, 0x2E7F),
    (0x3000, 0x303F),
    (0x30FB, 0x30FB),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE6F),
    (0xFF01, 0xFF0F),
    (0xFF1A, 0xFF20),
    (0xFF3B, 0xFF40),
    (0xFF5B, 0xFF65),
]
CHAR_SCRIPT_RANGES = [
    (0x1100, 0x11FF),
    (0x2E80, 0x2FDF),
    (0x3005, 0x3007),
    (0x3021, 0x3029),
    (0x3038, 0x303B),
    (0x3040, 0x30FA),
    (0x30FC, 0x30FF),
    (0x3130, 0x318F),
    (0x31F0, 0x31FF),
    (0x3400, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFF66, 0xFF9F),
    (0x1B000, 0x1B16F),
    (0x20000, 0x3134F),
]
SENTENCE_ENDS = set(".!?") | {
    chr(c) for c in (0x3002, 0xFF61, 0xFF01, 0xFF0E, 0xFF1F, 0x061F, 0x06D4, 0x0964, 0x0965)
}


def in_ranges(c: str, ranges) -> bool:
    o = ord(c)
    return any(a <= o <= b for a, b in ranges)


def is_punct(c: str) -> bool:
    return c in string.punctuation if ord(c) < 128 else in_ranges(c, PUNCT_RANGES)


def fold(s: str, nfkc: bool = True, casefold: bool = True) -> str:
    t = unicodedata.normalize("NFKC", s) if nfkc else s
    return t.casefold() if casefold else t


def ref_normalize(s: str, nfkc=True, casefold=True, strip_punct=False, fold_whitespace=True) -> str:
    out: list[str] = []
    pending = False
    for c in fold(s, nfkc, casefold):
        if strip_punct and is_punct(c):
            continue
        if fold_whitespace and c in WHITESPACE:
            pending = bool(out)
            continue
        if pending:
            out.append(" ")
            pending = False
        out.append(c)
    return "".join(out)


def ref_exact_key(fields: list[list[str]], **opts) -> int:
    buf = bytearray()
    for messages in fields:
        buf += struct.pack("<I", len(messages))
        for m in messages:
            b = ref_normalize(m, **opts).encode("utf-8")
            buf += struct.pack("<I", len(b)) + b
    return xxhash.xxh3_128_intdigest(bytes(buf))


def fmix64(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & M64
    return k ^ (k >> 33)


def fold_mul(a: int, b: int) -> int:
    p = a * b
    return ((p >> 64) ^ p) & M64


def rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & M64


W_SEED, W_MUL, W_FIN, K_CJK = 0x243F6A8885A308D3, 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x2545F4914F6CDD1D


def word_token(b: bytes) -> int:
    chunks = [int.from_bytes(b[i : i + 8], "little") for i in range(0, len(b), 8)]
    h = W_SEED
    for c in chunks[:-1]:
        h = fold_mul(h ^ c, W_MUL)
    return fold_mul(fold_mul(h ^ chunks[-1], W_MUL) ^ len(b), W_FIN)


def ref_message_shingles(text: str, field: int, word_n: int = 2, char_n: int = 3, nfkc=True, casefold=True):
    salt = fmix64(field + 1)
    out: list[int] = []
    state = {"word": b"", "kind": None, "window": []}

    def emit(tokens):
        h = 0
        for t in tokens:
            h = rotl(h, 23) ^ t
        out.append(h ^ salt)

    def n_of(kind):
        return char_n if kind == "cjk" else word_n

    def end_run():
        w = state["window"]
        if 0 < len(w) < n_of(state["kind"]):
            emit(w)
        state["window"], state["kind"] = [], None

    def push(kind, t):
        if state["kind"] != kind:
            end_run()
            state["kind"] = kind
        state["window"].append(t)
        n = n_of(kind)
        if len(state["window"]) >= n:
            emit(state["window"][-n:])

    def end_word():
        if state["word"]:
            push("word", word_token(state["word"]))
            state["word"] = b""

    for c in fold(text, nfkc, casefold):
        if c in SENTENCE_ENDS:
            end_word()
            end_run()
        elif c in WHITESPACE:
            end_word()
        elif in_ranges(c, CHAR_SCRIPT_RANGES):
            end_word()
            push("cjk", fold_mul(ord(c) ^ K_CJK, W_FIN))
        elif is_punct(c):
            end_word()
        else:
            state["word"] += c.encode("utf-8")
    end_word()
    end_run()
    return out


def ref_row_shingles(fields: list[list[str]], **kw) -> set[int]:
    return {h for f, msgs in enumerate(fields) for m in msgs for h in ref_message_shingles(m, f, **kw)}


EMPTY = 0xFFFFFFFF


def ref_signature(shingles, k: int = 128, seed: int = 1):
    seed_key = fmix64(seed ^ 0x5851F42D4C957F2D)
    probe_key = fmix64((seed + 0x14057B7EF767814F) & M64)
    sig = [EMPTY] * k
    for h in shingles:
        x = fold_mul(h ^ seed_key, 0xD6E8FEB86659FD93)
        b = ((x >> 32) * k) >> 32
        sig[b] = min(sig[b], min(x & 0xFFFFFFFF, EMPTY - 1))
    filled = [v != EMPTY for v in sig]
    if not any(filled):
        return None
    orig = list(sig)
    for i in range(k):
        a = 1
        while not filled[i]:
            j = ((fmix64(probe_key ^ (i << 32) ^ a) >> 32) * k) >> 32
            if filled[j]:
                sig[i] = orig[j]
                break
            a += 1
    return sig


def ref_band_key(sig, band: int, rows: int) -> int:
    h = fmix64(band ^ 0x6A09E667F3BCC909)
    vals = sig[band * rows : (band + 1) * rows]
    for i in range(0, len(vals), 2):
        w = vals[i] | ((vals[i + 1] if i + 1 < len(vals) else 0) << 32)
        h = (fmix64(h ^ w) + w) & M64
    return h


def ref_dedup(rows: list[list[list[str]]], threshold=0.8, k=128, bands=16, r=8, keep="first"):
    """kind (0 kept, 1 exact, 2 near) and reference per row, by the documented algorithm."""
    n = len(rows)
    kind, ref, sim = [0] * n, [-1] * n, [None] * n
    prio = [sum(len(m.encode()) for f in row for m in f) for row in rows] if keep == "longest" else None

    def better(a, b):
        return prio is not None and prio[a] > prio[b]

    keys = [ref_exact_key(row) for row in rows]
    best: dict[int, int] = {}
    for i in range(n):
        if keys[i] not in best or better(i, best[keys[i]]):
            best[keys[i]] = i
    for i in range(n):
        if best[keys[i]] != i:
            kind[i], ref[i], sim[i] = 1, best[keys[i]], 1.0
    alive = [i for i in range(n) if kind[i] == 0]
    sigs = [ref_signature(ref_row_shingles(rows[i]), k) for i in alive]
    edges = set()
    for b in range(bands):
        first: dict[int, int] = {}
        for li, s in enumerate(sigs):
            if s is None:
                continue
            key = ref_band_key(s, b, r)
            if key in first:
                edges.add((first[key], li))
            else:
                first[key] = li
    need = threshold * k - 1e-9
    parent = list(range(len(alive)))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in sorted(edges):
        if sum(x == y for x, y in zip(sigs[a], sigs[b], strict=True)) >= need:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    members = sorted({x for e in edges for x in e})
    keeper: dict[int, int] = {}
    for li in members:
        root = find(li)
        if root not in keeper or better(alive[li], alive[keeper[root]]):
            keeper[root] = li
    for li in members:
        kp = keeper[find(li)]
        if kp != li:
            i = alive[li]
            kind[i], ref[i] = 2, alive[kp]
            sim[i] = sum(x == y for x, y in zip(sigs[li], sigs[kp], strict=True)) / k
    for i in range(n):
        if kind[i] == 1 and kind[ref[i]] == 2:
            ref[i], sim[i] = ref[ref[i]], sim[ref[i]]
    return kind, ref, sim


# --- strategies ------------------------------------------------------------------------

PIECES = [
    "the",
    "The",
    "MODEL",
    "reward",
    "Paris",
    "a",
    "of",
    "straße",
    "STRASSE",
    "İstanbul",
    "ΟΔΟΣ",
    "ς",
    "ǰ",
    "café",
    "cafe\u0301",
    "ﬁne",
    "Ｐｙｔｈｏｎ",
    "①",
    "½",
    "x²",
    "中文",
    "你好",
    "世界",
    "々",
    "한국어",
    "안녕하세요",
    "\u1100\u1161",
    "가\u11a8",
    "ひらがな",
    "カタカナ",
    "ｶﾞ",
    "か\u3099",
    "\u4dc0",
    "😀",
    "\u200b",
    " ",
    "  ",
    "\t",
    "\n",
    "\u3000",
    "\u00a0",
    "\u2028",
    "\x1f",
    ".",
    "!",
    "?",
    "。",
    "，",
    "、",
    "’",
    "“",
    "…",
    "‼",
    "-",
    "—",
    "(",
    ")",
    "#",
    "\u0301",
    "\u0323",
]
text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
    st.lists(
        st.one_of(
            st.sampled_from(PIECES),
            st.sampled_from([" ", ". "]),
            st.characters(exclude_categories=("Cs", "Cn", "Co")),
        ),
        max_size=30,
    ).map("".join),
)
# A few dozen examples per test keep the suite fast; XLRM_HYPOTHESIS_EXAMPLES=2000 for a deep run.
SETTINGS = settings(
    max_examples=int(os.environ.get("XLRM_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _table(rows: list[list[list[str]]], system: list[bool] | None = None) -> pa.Table:
    pairs = []
    for i, (p, c, r) in enumerate(rows):
        prompt = [{"role": "user", "content": m} for m in p]
        if system and system[i]:
            prompt = [{"role": "system", "content": "You are helpful."}, *prompt]
        pairs.append(
            {
                "id": str(i),
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": m} for m in c],
                "rejected": [{"role": "assistant", "content": m} for m in r],
                "language": "en",
                "source": "t",
            }
        )
    return pairs_to_table(pairs)


@SETTINGS
@given(st.lists(text, min_size=1, max_size=8), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_normalisation_matches_reference(texts, nfkc, casefold, strip_punct, fold_whitespace):
    opts = dict(nfkc=nfkc, casefold=casefold, strip_punct=strip_punct, fold_whitespace=fold_whitespace)
    got = normalize(texts, **opts).to_pylist()
    assert got == [ref_normalize(t, **opts) for t in texts]


row = st.tuples(*[st.lists(text, min_size=1, max_size=3)] * 3)


@SETTINGS
@given(st.lists(row, min_size=1, max_size=6), st.booleans())
def test_exact_keys_match_reference(rows, strip_punct):
    system = [i % 2 == 0 for i in range(len(rows))]
    cfg = DedupConfig(strip_punct=strip_punct)
    got = exact_keys(table_fields(_table(rows, system), cfg), cfg)
    # system messages are skipped (ignore_system defaults to on)
    assert got == [ref_exact_key([list(f) for f in r], strip_punct=strip_punct) for r in rows]


@SETTINGS
@given(st.lists(row, min_size=1, max_size=5), st.integers(1, 4), st.integers(1, 4))
def test_shingles_match_reference(rows, word_n, char_n):
    fields = table_fields(_table(rows), DedupConfig())
    hashes, offsets = _core.dedup.shingle_hashes(fields, word_ngram=word_n, char_ngram=char_n)
    for i, r in enumerate(rows):
        want = sorted(ref_row_shingles([list(f) for f in r], word_n=word_n, char_n=char_n))
        assert hashes[offsets[i] : offsets[i + 1]].tolist() == want


@SETTINGS
@given(
    st.lists(row, min_size=1, max_size=4), st.sampled_from([1, 7, 64, 128, 200]), st.integers(0, 2**64 - 1)
)
def test_signatures_match_reference(rows, k, seed):
    sigs, nonempty = signatures(table_fields(_table(rows), DedupConfig()), DedupConfig(num_perm=k, seed=seed))
    for i, r in enumerate(rows):
        want = ref_signature(ref_row_shingles([list(f) for f in r]), k, seed)
        assert bool(nonempty[i]) == (want is not None)
        assert sigs[i].tolist() == (want if want is not None else [EMPTY] * k)


# Rows drawn from a few base texts with small changes, so that exact and near duplicates occur.
BASES = [
    "The committee met on Tuesday to discuss the budget for next year. Members raised concerns about costs.",
    "Rainfall in the northern valley was unusually heavy this spring. Farmers delayed planting by weeks.",
    "오늘 회의에서는 내년 예산을 논의했습니다. 위원들은 유지 비용 상승에 대해 우려를 표했습니다.",
    "委员会周二开会讨论明年的预算。几位成员对维护费用上涨表示担忧。",
]
variant = st.tuples(
    st.integers(0, len(BASES) - 1), st.sampled_from(["", " ", "  extra", "X", "!"]), st.booleans()
).map(lambda t: (BASES[t[0]] + t[1]).upper() if t[2] else BASES[t[0]] + t[1])
near_row = st.tuples(
    st.lists(variant, min_size=1, max_size=2), st.lists(variant, min_size=1, max_size=1), st.just(["no"])
)


@SETTINGS
@given(st.lists(near_row, min_size=1, max_size=10), st.sampled_from(["first", "longest"]))
def test_clusters_match_reference(rows, keep):
    rows = [[list(f) for f in r] for r in rows]
    res = dedup_table(_table(rows), DedupConfig(keep=keep))
    kind, ref, sim = ref_dedup(rows, keep=keep)
    assert res.kind.tolist() == kind
    assert res.reference.tolist() == ref
    got_sim = res.removed["similarity"].to_pylist()
    want_sim = [s for s in sim if s is not None]
    assert got_sim == pytest.approx(want_sim, abs=1e-6)


def test_reference_agrees_on_planted_rows():
    """A fixed case with every kind of row, so a broken reference cannot pass vacuously."""
    rows = [
        [[BASES[0]], [BASES[1]], ["no"]],
        [[BASES[0] + "  "], [BASES[1].upper()], ["NO"]],
        [[BASES[0]], [BASES[1] + " extra"], ["no"]],
        [[BASES[2]], [BASES[3]], ["x"]],
        [[""], [""], [""]],
    ]
    kind, ref, _ = ref_dedup(rows)
    assert kind == [0, 1, 2, 0, 0] and ref == [-1, 0, 0, -1, -1]
    res = dedup_table(_table(rows), DedupConfig())
    assert res.kind.tolist() == kind and res.reference.tolist() == ref


def test_band_keys_drive_candidates():
    """Identical signatures share every band key; the reference helper is consistent."""
    s = ref_signature(ref_row_shingles([[BASES[0]], [], []]))
    assert len({ref_band_key(s, b, 8) for b in range(16)}) == 16
    assert np.all(np.array(s) != EMPTY)
