"""Side-by-side: xlrm dedup against what a user would otherwise pick, same process, same data.

Data: the real pairs in ../shared/data (hh-rlhf, llama-factory en/zh, medicalgpt zh,
ko-rm-judge), read in place, scaled to --rows pairs by resampling: each new row takes its
prompt, chosen and rejected from three random pairs of one language and gets one light edit;
a --planted share of rows are planted duplicates of earlier rows (exact copies, spacing/case
variants, 1–3 word edits, shuffled sentences; see benches/planted.py).

Contenders
  exact    xlrm (NFKC + case fold + whitespace fold + xxh3-128, Rust) vs a straightforward
           Python loop (unicodedata NFKC, casefold, split/join, hashlib.blake2b, set) vs the
           polars pipeline (str.normalize NFKC, to_lowercase, \\s+ → ' ', strip, is_first_distinct).
  near     xlrm MinHash-LSH from text vs datasketch MinHashLSH (same num_perm and threshold; its
           own bands × rows; timed on --datasketch-rows and extrapolated per row) vs rensa
           (R-MinHash digest matrix + RMinHashLSH, same num_perm, threshold and bands). Both
           Python libraries need tokens: they get a regex word-bigram / CJK-character tokenizer,
           timed separately.
  core     signatures + LSH only, from the same pre-computed shingle hashes: rensa
           (digest_matrix_from_flat_token_hashes + one-shot LSH duplicate flags, which skips
           verification and clustering) vs xlrm near_from_hashes (sketch, LSH, verify, cluster).
  recall   on the real pairs plus planted duplicates, every contender gets the same shingle
           hashes and the same rule (LSH candidates verified at estimated Jaccard ≥ threshold,
           union-find, keep the first).
  memory   peak RSS of a fresh process that reads the pairs and runs the Rust dedup core.

Usage: python benches/bench_dedup.py [--rows 1000000] [--repeats 3] [--json FILE]
Skips (exit 0) when ../shared/data is absent.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common import SHARED_DATA, machine, machine_line, reset_peak, status_kb, timed
from planted import VARIANTS, make_variant, plant, score
from xlrm import _core
from xlrm.dedup import DedupConfig, dedup_table, table_fields

FIELDS = ("prompt", "chosen", "rejected")


# --- data ------------------------------------------------------------------------------


def load_real() -> pa.Table:
    from xlrm.data.config import DataConfig, SourceConfig
    from xlrm.data.ingest import ingest

    sources = [
        SourceConfig(path=str(SHARED_DATA / "hh-rlhf/harmless-base-test.jsonl.gz"), language="en"),
        SourceConfig(path=str(SHARED_DATA / "llama-factory/dpo_en_demo.json"), language="en"),
        SourceConfig(path=str(SHARED_DATA / "llama-factory/dpo_zh_demo.json"), language="zh"),
        SourceConfig(path=str(SHARED_DATA / "medicalgpt/dpo_zh_500.jsonl"), language="zh"),
        SourceConfig(path=str(SHARED_DATA / "ko-rm-judge/*.jsonl"), language="ko", name="ko-rm-judge"),
    ]
    return ingest(DataConfig(sources=sources, detect_language=False)).table


def light_edit(messages: list[dict], rng: random.Random) -> list[dict]:
    """Replace one word (or one CJK character) of one message."""
    out = [dict(m) for m in messages]
    m = rng.choice(out)
    text = m["content"]
    if not text:
        return out
    if " " in text[:200]:
        words = text.split(" ")
        words[rng.randrange(len(words))] = rng.choice(("alpha", "beta", "gamma", "delta", "omega"))
        m["content"] = " ".join(words)
    else:
        i = rng.randrange(len(text))
        m["content"] = text[:i] + rng.choice("的是在了有和人这中大") + text[i + 1 :]
    return out


def scale(base: pa.Table, rows: int, planted: float, seed: int = 0):
    """``rows`` pairs resampled from ``base`` (see the module docstring); returns the table,
    the ground-truth group of every row and its planted variant kind (-1: not planted)."""
    rng = random.Random(seed)
    pairs = base.select(["id", *FIELDS, "language"]).to_pylist()
    by_lang: dict[str, list[int]] = {}
    for i, p in enumerate(pairs):
        by_lang.setdefault(p["language"], []).append(i)
    langs = [p["language"] for p in pairs]
    out: list[dict] = []
    group: list[int] = []
    variant: list[int] = []
    n_planted = int(rows * planted)
    n_new = rows - n_planted
    for i in range(n_new):
        lang = langs[rng.randrange(len(langs))]
        idx = by_lang[lang]
        a, b, c = (pairs[idx[rng.randrange(len(idx))]] for _ in range(3))
        row = {
            "id": f"r{i}",
            "prompt": a["prompt"],
            "chosen": b["chosen"],
            "rejected": c["rejected"],
            "language": lang,
            "source": "bench",
        }
        field = rng.choice(FIELDS)
        row[field] = light_edit(row[field], rng)
        out.append(row)
        group.append(i)
        variant.append(-1)
    for j in range(n_planted):
        src = rng.randrange(n_new)
        k = j % len(VARIANTS)
        v = make_variant(out[src], VARIANTS[k], rng)
        v["id"] = f"p{j}"
        out.append(v)
        group.append(src)
        variant.append(k)
    order = list(range(rows))
    rng.shuffle(order)
    out = [out[i] for i in order]
    schema = pa.schema(
        [
            ("id", pa.string()),
            *[(f, pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))) for f in FIELDS],
            ("language", pa.string()),
            ("source", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(out, schema=schema)
    return table, np.asarray(group)[order], np.asarray(variant)[order]


def row_texts(table: pa.Table) -> pa.Array:
    """One string per row: messages joined by \\x1f, fields by \\x1e (for the contenders)."""
    parts = []
    for f in FIELDS:
        col = table[f].combine_chunks()
        contents = pc.struct_field(col.flatten(), "content")
        lists = pa.ListArray.from_arrays(pc.subtract(col.offsets, col.offsets[0]), contents)
        parts.append(pc.binary_join(lists, "\x1f"))
    return pc.binary_join_element_wise(*parts, "\x1e").cast(pa.large_string())


# --- contenders ------------------------------------------------------------------------


def python_exact(texts: list[str]) -> np.ndarray:
    """Per message: NFKC, casefold, whitespace fold; fields and messages kept apart."""
    seen: set[bytes] = set()
    keep = np.zeros(len(texts), dtype=bool)
    for i, s in enumerate(texts):
        norm = "\x1e".join(
            "\x1f".join(
                " ".join(unicodedata.normalize("NFKC", m).casefold().split()) for m in field.split("\x1f")
            )
            for field in s.split("\x1e")
        )
        h = hashlib.blake2b(norm.encode("utf-8"), digest_size=16).digest()
        if h not in seen:
            seen.add(h)
            keep[i] = True
    return keep


def polars_exact(df) -> np.ndarray:
    """str.normalize, to_lowercase, whitespace runs → one space, no space around the message and
    field separators, then is_first_distinct."""
    import polars as pl

    norm = (
        pl.col("text")
        .str.normalize("NFKC")
        .str.to_lowercase()
        .str.replace_all(r"\s+", " ")
        .str.replace_all(r" ?([\x1e\x1f]) ?", "$1")
        .str.strip_chars()
    )
    return df.select(norm.is_first_distinct()).to_series().to_numpy()


_TOKEN = re.compile(
    r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]|[^\W_]+"
)


def py_shingles(text: str) -> list[str]:
    """What a Python user would write: NFKC + casefold, regex tokens, per-field bigrams."""
    out: list[str] = []
    for fi, part in enumerate(text.split("\x1e")):
        toks = _TOKEN.findall(unicodedata.normalize("NFKC", part).casefold())
        if len(toks) < 2:
            out += [f"{fi}|{t}" for t in toks]
        else:
            out += [f"{fi}|{a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
    return out


def datasketch_near(texts: list[str], threshold: float, num_perm: int) -> int:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    dups = 0
    for i, t in enumerate(texts):
        m = MinHash(num_perm=num_perm)
        m.update_batch([s.encode("utf-8") for s in py_shingles(t)])
        if lsh.query(m):
            dups += 1
        lsh.insert(str(i), m)
    return dups


def rensa_near(texts: list[str], threshold: float, num_perm: int, bands: int, chunk: int = 20000):
    """Returns (duplicate flags, seconds spent tokenizing in Python)."""
    import rensa

    lsh = rensa.RMinHashLSH(threshold, num_perm, bands)
    flags = []
    tok_s = 0.0
    for start in range(0, len(texts), chunk):
        t0 = time.perf_counter()
        toks = [py_shingles(t) for t in texts[start : start + chunk]]
        tok_s += time.perf_counter() - t0
        mat = rensa.RMinHash.digest_matrix_from_token_sets(toks, num_perm, 42)
        flags.append(np.asarray(lsh.insert_matrix_and_query_duplicate_flags(mat, start_key=start)))
    return np.concatenate(flags), tok_s


def rensa_core(hashes: np.ndarray, offsets: np.ndarray, threshold: float, num_perm: int, bands: int):
    import rensa

    mat = rensa.RMinHash.digest_matrix_from_flat_token_hashes(hashes, offsets, num_perm, 42)
    return rensa.RMinHashLSH(threshold, num_perm, bands).query_duplicate_flags_matrix_one_shot(mat)


def true_jaccard_of_removed(
    table: pa.Table, kind, reference, threshold: float, sample: int = 20000, seed: int = 0
) -> dict:
    """Exact Jaccard of the shingle sets of removed near-duplicates and their keepers. Resampling
    a few thousand real pairs makes genuine near-duplicates by chance (e.g. two rows sharing a
    long chosen response while prompt and rejected are short), so the planted groups alone
    understate precision; this checks the decisions against the similarity they estimate."""
    idx = np.flatnonzero(kind == 2)
    rng = np.random.default_rng(seed)
    if len(idx) > sample:
        idx = np.sort(rng.choice(idx, sample, replace=False))
    rows = np.unique(np.concatenate([idx, reference[idx]]))
    pos = {int(r): i for i, r in enumerate(rows)}
    h, o = _core.dedup.shingle_hashes(table_fields(table.take(pa.array(rows)), DedupConfig()))
    sets = [set(h[o[i] : o[i + 1]].tolist()) for i in range(len(rows))]
    js = (
        np.array(
            [
                len(a & b) / len(a | b)
                for a, b in ((sets[pos[int(i)]], sets[pos[int(reference[i])]]) for i in idx)
            ]
        )
        if len(idx)
        else np.ones(1)
    )
    return {
        "sampled": int(len(idx)),
        "median": float(np.median(js)),
        "mean": float(js.mean()),
        "share_ge_t_minus_0.1": float((js >= threshold - 0.1).mean()),
        "share_ge_t": float((js >= threshold).mean()),
    }


# --- recall on the planted set, same shingles for everyone ----------------------------


class UnionFind:
    def __init__(self, n: int):
        self.p = list(range(n))

    def find(self, x: int) -> int:
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.p[max(ra, rb)] = min(ra, rb)


def clusters_to_outcome(n: int, edges) -> tuple[np.ndarray, np.ndarray]:
    uf = UnionFind(n)
    for a, b in edges:
        uf.union(a, b)
    roots = np.array([uf.find(i) for i in range(n)])
    kind = np.where(roots != np.arange(n), 2, 0).astype(np.uint8)
    return kind, np.where(kind == 2, roots, -1)


def recall_comparison(
    table: pa.Table, group, variant, threshold: float, num_perm: int, bands: int, rows: int
) -> dict:
    import rensa
    from datasketch import MinHash, MinHashLSH

    fields = table_fields(table, DedupConfig())
    hashes, offsets = _core.dedup.shingle_hashes(fields)
    n = table.num_rows
    lists = [hashes[offsets[i] : offsets[i + 1]] for i in range(n)]
    need = threshold - 1e-9
    out = {}

    kind, ref, sim, _, _ = _core.dedup.near_from_hashes(
        hashes, offsets, threshold=threshold, num_perm=num_perm, bands=bands, rows=rows
    )
    out["xlrm"] = score(kind, ref, group, variant)

    token_bytes = [[int(h).to_bytes(8, "little") for h in x] for x in lists]
    mhs = rensa.RMinHash.from_token_sets(token_bytes, num_perm, 42)
    digests = np.asarray([m.digest() for m in mhs], dtype=np.uint64)
    lsh = rensa.RMinHashLSH(threshold, num_perm, bands)
    lsh.insert_many(mhs)
    edges = []
    for i, cands in enumerate(lsh.query_all(mhs)):
        for j in cands:
            if j < i and (digests[i] == digests[j]).mean() >= need:
                edges.append((j, i))
    out["rensa"] = score(*clusters_to_outcome(n, edges), group, variant)

    ds = MinHashLSH(threshold=threshold, num_perm=num_perm)
    mins = []
    edges = []
    for i, x in enumerate(token_bytes):
        m = MinHash(num_perm=num_perm)
        m.update_batch(x)
        for key in ds.query(m):
            j = int(key)
            if m.jaccard(mins[j]) >= need:
                edges.append((j, i))
        ds.insert(str(i), m)
        mins.append(m)
    out["datasketch"] = score(*clusters_to_outcome(n, edges), group, variant)
    out["datasketch"]["bands_rows"] = list(ds.b_r) if hasattr(ds, "b_r") else [ds.b, ds.r]
    return out


def memory_child(path: str, threshold: float, num_perm: int) -> None:
    """Run in a fresh process: RSS after reading, then the peak during the Rust dedup core."""
    table = pq.read_table(path)
    fields = table_fields(table, DedupConfig())
    text_bytes = sum(
        pc.sum(pc.binary_length(pc.struct_field(pc.list_flatten(table[f]), "content"))).as_py()
        for f in FIELDS
    )
    gc.collect()
    rss_read = status_kb("VmRSS") * 1024
    reset_peak()
    res = _core.dedup.dedup(fields, threshold=threshold, num_perm=num_perm)
    peak_core = status_kb("VmHWM") * 1024
    kept = table.filter(pa.array(res["kind"] == 0))
    peak_api = status_kb("VmHWM") * 1024
    print(
        json.dumps(
            {
                "rows": table.num_rows,
                "text_bytes": text_bytes,
                "rss_after_read": rss_read,
                "peak_rss_core": peak_core,
                "peak_rss_with_kept_table": peak_api,
                "bands": res["bands"],
                "candidate_pairs": res["candidate_pairs"],
                "kept": kept.num_rows,
            }
        )
    )


# --- main ------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--planted", type=float, default=0.2, help="share of planted duplicates")
    ap.add_argument("--repeats", type=int, default=3, help="runs per fast contender (median)")
    ap.add_argument("--slow-repeats", type=int, default=1, help="runs of the pure-Python exact loop")
    ap.add_argument("--datasketch-rows", type=int, default=5000)
    ap.add_argument("--core-rows", type=int, default=200_000, help="rows for the same-hashes core comparison")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--num-perm", type=int, default=128)
    ap.add_argument("--skip", nargs="*", default=[], choices=["exact", "near", "core", "recall", "memory"])
    ap.add_argument("--json", help="write all figures here")
    ap.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.threshold, args.num_perm)
        return 0
    if not SHARED_DATA.is_dir():
        print(f"bench_dedup: skipped, public data not found at {SHARED_DATA}")
        return 0

    t, k = args.threshold, args.num_perm
    bands, rows_per_band = _core.dedup.lsh_params(t, k)
    report: dict = {
        "machine": machine(),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "threshold": t,
        "num_perm": k,
        "bands": bands,
        "rows_per_band": rows_per_band,
    }
    print(f"machine: {machine_line(report['machine'])}")

    base = load_real()
    print(f"real pairs: {base.num_rows}")

    if "recall" not in args.skip:
        from xlrm.data.schema import pairs_to_table, table_to_pairs

        clean = dedup_table(base, DedupConfig(threshold=0.5)).kept  # drop natural near-duplicates first
        rows, group, variant = plant(table_to_pairs(clean), fraction=0.4, seed=1)
        rec = recall_comparison(pairs_to_table(rows), group, variant, t, k, bands, rows_per_band)
        report["recall"] = rec
        print(
            f"\nrecall/precision on {len(rows)} real pairs with {int((variant >= 0).sum())} planted "
            f"duplicates (same shingles for all, threshold {t}):"
        )
        for name, s in rec.items():
            print(
                f"  {name:10s} recall {s['recall']:.4f}  precision {s['precision']:.4f}  "
                f"by variant {[round(v, 3) for v in s['recall_by_variant'].values()]}"
            )

    t0 = time.perf_counter()
    table, group, variant = scale(base, args.rows, args.planted)
    text_mb = (
        sum(
            pc.sum(pc.binary_length(pc.struct_field(pc.list_flatten(table[f]), "content"))).as_py()
            for f in FIELDS
        )
        / 1e6
    )
    print(f"\nscaled to {table.num_rows} pairs, {text_mb:.0f} MB of text ({time.perf_counter() - t0:.0f} s)")
    report["rows"], report["text_mb"] = table.num_rows, text_mb
    texts_arrow = row_texts(table)
    n = table.num_rows

    if "exact" not in args.skip:
        import polars as pl

        # system turns count, as in the contenders' row strings
        cfg = DedupConfig(near=False, ignore_system=False)

        def xlrm_exact():  # the same output as the contenders: a keep mask
            return _core.dedup.dedup(table_fields(table, cfg), near=False)["kind"] == 0

        x, keep_x = timed(xlrm_exact, args.repeats)
        x_api, res = timed(lambda: dedup_table(table, cfg), args.repeats)
        df = pl.DataFrame({"text": texts_arrow})
        pol, keep_pl = timed(lambda: polars_exact(df), args.repeats)
        del df
        texts = texts_arrow.to_pylist()
        py, keep_py = timed(lambda: python_exact(texts), args.slow_repeats)
        del texts
        report["exact"] = {
            "xlrm_s": x,
            "xlrm_dedup_table_s": x_api,
            "python_s": py,
            "polars_s": pol,
            "xlrm_removed": int(n - keep_x.sum()),
            "python_removed": int(n - keep_py.sum()),
            "polars_removed": int(n - keep_pl.sum()),
        }
        print(
            f"\nexact dedup with normalisation, {n} pairs (median of {args.repeats}; python {args.slow_repeats}):"
        )
        print(
            f"  xlrm    {x:8.2f} s  {n / x:12,.0f} rows/s  removed {n - keep_x.sum()}  (keep mask; "
            f"dedup_table with kept/removed tables: {x_api:.2f} s)"
        )
        print(
            f"  polars  {pol:8.2f} s  {n / pol:12,.0f} rows/s  removed {n - keep_pl.sum()}  "
            f"-> xlrm {pol / x:.1f}x faster"
        )
        print(
            f"  python  {py:8.2f} s  {n / py:12,.0f} rows/s  removed {n - keep_py.sum()}  "
            f"-> xlrm {py / x:.1f}x faster"
        )

    if "near" not in args.skip:
        cfg = DedupConfig(exact=False)

        def xlrm_near():  # like the contenders: which rows are duplicates of which
            return _core.dedup.dedup(table_fields(table, cfg), exact=False)

        x, res = timed(xlrm_near, args.repeats)
        x_api, _ = timed(lambda: dedup_table(table, cfg), 1)
        s = score(res["kind"], res["reference"], group, variant)
        s["true_jaccard"] = true_jaccard_of_removed(table, res["kind"], res["reference"], t)
        texts = texts_arrow.to_pylist()
        sub = texts[: args.datasketch_rows]
        ds, _ = timed(lambda: datasketch_near(sub, t, k), 1)
        ds_full = ds / len(sub) * n
        (rn, (flags, tok_s)) = timed(lambda: rensa_near(texts, t, k, bands), 1)
        del texts
        planted = variant >= 0
        # rensa flags one row of a duplicate pair (the later one in insertion order); a planted
        # pair counts as found when either its base row or the planted row is flagged
        base_row = {int(g): i for i, (g, v) in enumerate(zip(group, variant, strict=True)) if v < 0}
        base_of = np.array([base_row[int(g)] for g in group[planted]])
        pair_found = flags[planted] | flags[base_of]
        report["near"] = {
            "xlrm_s": x,
            "xlrm_dedup_table_s": x_api,
            "xlrm_recall": s["recall"],
            "xlrm_precision": s["precision"],
            "xlrm_true_jaccard": s["true_jaccard"],
            "datasketch_rows": len(sub),
            "datasketch_s_measured": ds,
            "datasketch_s_extrapolated": ds_full,
            "rensa_s": rn,
            "rensa_tokenize_s": tok_s,
            "rensa_pair_flag_recall": float(pair_found.mean()),
        }
        print(f"\nnear-dup MinHash-LSH, {n} pairs, {k} perms, threshold {t}:")
        tj = s["true_jaccard"]
        print(
            f"  xlrm        {x:8.2f} s  {n / x:12,.0f} rows/s  (dedup_table with kept/removed tables: "
            f"{x_api:.1f} s)\n              planted recall {s['recall']:.4f}; removed rows from their own "
            f"planted group {s['precision']:.4f} (the rest are chance near-copies made by resampling "
            f"{base.num_rows} pairs); exact Jaccard with the keeper ≥ {t - 0.1:.1f}: "
            f"{tj['share_ge_t_minus_0.1']:.4f} (median {tj['median']:.3f}, {tj['sampled']} sampled)"
        )
        print(
            f"  datasketch  {ds_full:8.0f} s  {n / ds_full:12,.0f} rows/s  (measured on {len(sub)} rows: "
            f"{ds:.1f} s, extrapolated per row) -> xlrm {ds_full / x:.0f}x faster"
        )
        print(
            f"  rensa       {rn:8.2f} s  {n / rn:12,.0f} rows/s  (of which Python tokenizing {tok_s:.1f} s; "
            f"sketch+LSH {rn - tok_s:.1f} s) -> xlrm {rn / x:.1f}x faster, {(rn - tok_s) / x:.1f}x "
            f"without its tokenizing; flags one row of {pair_found.mean():.4f} of planted pairs "
            f"(LSH candidates, not verified)"
        )

    if "core" not in args.skip:
        m = min(args.core_rows, n)
        sub = table.slice(0, m)
        hashes, offsets = _core.dedup.shingle_hashes(table_fields(sub, DedupConfig()))
        xc, _ = timed(
            lambda: _core.dedup.near_from_hashes(
                hashes, offsets, threshold=t, num_perm=k, bands=bands, rows=rows_per_band
            ),
            args.repeats,
        )
        rc, _ = timed(lambda: rensa_core(hashes, offsets, t, k, bands), args.repeats)
        report["core"] = {"rows": m, "shingles": int(len(hashes)), "xlrm_s": xc, "rensa_s": rc}
        print(f"\nsignatures + LSH from the same {len(hashes):,} shingle hashes of {m} pairs:")
        print(f"  xlrm  {xc:8.3f} s  {m / xc:12,.0f} rows/s  (sketch, LSH, verify, cluster)")
        print(f"  rensa {rc:8.3f} s  {m / rc:12,.0f} rows/s  (sketch, LSH flags only) -> xlrm {rc / xc:.2f}x")
        del hashes, offsets

    if "memory" not in args.skip:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "pairs.parquet")
            pq.write_table(table, path)
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    path,
                    "--threshold",
                    str(t),
                    "--num-perm",
                    str(k),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        mem = json.loads(out.stdout.strip().splitlines()[-1])
        mib = 1 << 20
        extra = mem["peak_rss_core"] - mem["rss_after_read"]
        # signatures (4 bytes a slot), band keys (8 a band), one hash map per thread (<= 40 bytes a
        # row), per-row vectors (32), candidate pairs (16 each while collected)
        threads = os.cpu_count() or 1
        bound = mem["rows"] * (4 * k + 8 * bands + 40 * threads + 32) + 16 * mem["candidate_pairs"]
        mem["formula_bytes"] = bound
        report["memory"] = mem
        print(
            f"\nmemory, fresh process, {mem['rows']} pairs: text {mem['text_bytes'] / mib:.0f} MiB; "
            f"RSS after reading {mem['rss_after_read'] / mib:.0f} MiB; peak during the Rust core "
            f"{mem['peak_rss_core'] / mib:.0f} MiB (+{extra / mib:.0f} MiB; bound n·(4·num_perm + 8·bands + "
            f"40·threads + 32) + 16·candidate pairs = {bound / mib:.0f} MiB); peak with the kept table "
            f"{mem['peak_rss_with_kept_table'] / mib:.0f} MiB"
        )

    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, default=float) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
