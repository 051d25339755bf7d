"""``xlrm train-rm``: one Bradley-Terry reward model per training language.

    xlrm train-rm runs/translate --out runs/train-rm --model.path Qwen/Qwen2.5-0.5B-Instruct \\
        --train-languages en es ko

Reads pairs (a pair file, or the output folder of ``data``, ``dedup`` or ``translate``) and trains
one RM per entry of ``train_languages`` on that language's pairs, identically. When the languages
are parallel (translations of the same items), every language trains on the items all of them
share, and holds out the same items for validation, so the RMs differ only in language. Each
language is a unit with its own fingerprint (its exact training rows, the model, the settings):
adding a language trains only that one, and a killed run continues from the last checkpoint.

Writes per language ``<lang>/model`` (safetensors, config, tokenizer with the chat template used),
``<lang>/train_log.json``, ``<lang>/curves.png`` and ``<lang>/metrics.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from xlrm.config import fingerprinted
from xlrm.data.pairfile import pair_files, read_pairs
from xlrm.errors import ConfigError, InputError
from xlrm.manifest import Output, StageResult, describe_path, fingerprint, run_stage
from xlrm.train.stage_config import MULTILINGUAL, TrainRMConfig
from xlrm.train.trainer_support import launch_unit

log = logging.getLogger(__name__)
SPEC = "unit.json"
METRICS = "metrics.json"
HELDOUT = "heldout.parquet"  # a unit's held-out pairs, in the pair schema


def _model_input(cfg: TrainRMConfig) -> dict:
    """The base model's content hash (local) or its hub id and revision."""
    m = cfg.model
    local = Path(m.path) / m.gguf_file if m.gguf_file else Path(m.path)
    if local.exists() or m.path.startswith("xlrm:"):
        return {**describe_path(local, role="model"), "adapter": m.adapter}
    return {"hub": m.path, "revision": m.revision, "adapter": m.adapter, "role": "model"}


def _hash_order(keys, seed: int) -> list[str]:
    return sorted(keys, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())


def select_items(table: pa.Table, cfg: TrainRMConfig, where: str) -> tuple[dict[str, pa.Table], dict]:
    """Per training language its pairs: the items all languages share (when parallel), at most
    ``max_pairs`` of them; and the counts (items per language, shared, rows left out per reason)."""
    from xlrm.train.rm_train import item_key

    langs = [c for c in cfg.train_languages if c != MULTILINGUAL] or sorted(
        set(table.column("language").to_pylist())
    )
    present = Counter(table.column("language").to_pylist())
    missing = [c for c in langs if not present.get(c)]
    if missing:
        have = ", ".join(f"{k} ({v})" for k, v in sorted(present.items())) or "none"
        raise InputError(
            f"training language {missing[0]!r} has no pairs in {where} (languages there: {have})",
            hint="translate into it first (xlrm translate), or remove it from train_languages",
        )
    per_lang = {c: table.filter(pc.equal(table["language"], c)) for c in langs}
    keys = {c: [item_key(i, c) for i in t.column("id").to_pylist()] for c, t in per_lang.items()}
    shared = set.intersection(*(set(k) for k in keys.values()))
    parallel = len(langs) > 1 and bool(shared)
    use = shared if (parallel and cfg.shared_items_only) else None
    dropped: Counter = Counter({"not_train_language": table.num_rows - sum(present[c] for c in langs)})
    chosen = {}
    for c, t in per_lang.items():
        allowed = use if use is not None else set(keys[c])
        if cfg.max_pairs is not None:
            allowed = set(_hash_order(allowed, cfg.seed)[: cfg.max_pairs])
        mask = pa.array([k in allowed for k in keys[c]], type=pa.bool_())
        out_shared = sum(1 for k in keys[c] if use is not None and k not in use)
        dropped["not_shared_item"] += out_shared
        dropped["over_max_pairs"] += t.num_rows - out_shared - int(pc.sum(mask).as_py() or 0)
        chosen[c] = t.filter(mask)
    counts = {
        "items_per_language": {c: len(set(k)) for c, k in keys.items()},
        "shared_items": len(shared) if len(langs) > 1 else None,
        "parallel": parallel,
        "dropped": {k: v for k, v in dropped.items() if v},
    }
    return chosen, counts


def _train_unit(spec_path: Path, cfg: TrainRMConfig) -> dict:
    """Train the unit described by ``spec_path``, here or under ``accelerate launch``."""
    if cfg.num_processes > 1:
        return launch_unit(
            spec_path,
            "xlrm.train.launch",
            num_processes=cfg.num_processes,
            config=cfg.accelerate_config,
            metrics=METRICS,
        )
    from xlrm.train.launch import train_from_spec

    return train_from_spec(spec_path)


def run_train_rm(cfg: TrainRMConfig, inputs: list[str]) -> dict:
    if not inputs:
        raise ConfigError(
            "xlrm train-rm needs pairs: a pair file or the output folder of data, dedup or translate"
        )
    if not cfg.model.path:
        raise ConfigError("train-rm: no base model; set model.path (a folder, hub id or .gguf file)")
    files = [f for p in inputs for f in pair_files(p)]
    described = [describe_path(f) for f in files] + [_model_input(cfg)]
    settings = fingerprinted(cfg)
    shared_settings = {k: v for k, v in settings.items() if k != "train_languages"}

    def work(ws) -> StageResult:
        from xlrm.train.tokenize import table_fingerprint

        table = read_pairs(files)
        chosen, sel = select_items(table, cfg, ", ".join(map(str, inputs)))
        from xlrm.train.rm_train import split_by_item

        splits = {c: split_by_item(t, cfg.val_fraction, cfg.seed) for c, t in chosen.items()}
        if MULTILINGUAL in cfg.train_languages:
            splits[MULTILINGUAL] = tuple(
                pa.concat_tables([s[i] for s in splits.values()], promote_options="permissive")
                for i in (0, 1)
            )
        per_unit: dict[str, dict] = {}
        outputs: list[Output] = []
        for unit in cfg.train_languages:
            train, val = splits[unit]
            fp = fingerprint(
                {
                    "settings": shared_settings,
                    "model": described[-1],
                    "train": table_fingerprint(train),
                    "val": table_fingerprint(val),
                }
            )
            folder = ws.path / unit
            if ws.reuse(unit, fp):
                per_unit[unit] = ws.unit_info(unit)
                log.info("%s: unchanged since the last run, kept", unit)
            else:
                folder.mkdir(exist_ok=True)
                pq.write_table(train, folder / "train.parquet")
                pq.write_table(val, folder / "val.parquet")
                spec = {
                    "unit": unit,
                    "out_dir": str(folder),
                    "train": str(folder / "train.parquet"),
                    "val": str(folder / "val.parquet"),
                    "model": asdict(cfg.model),
                    "training": {"seed": cfg.seed, **cfg.training},
                    "tokenize": asdict(cfg.tokenize),
                    "train_top_blocks": cfg.train_top_blocks,
                    "lora": cfg.lora,
                    "gradient_checkpointing": cfg.gradient_checkpointing,
                    "progress": cfg.progress,
                }
                (folder / SPEC).write_text(json.dumps(spec, indent=1), encoding="utf-8")
                log.info("%s: training on %d pairs (%d held out)", unit, train.num_rows, val.num_rows)
                metrics = _train_unit(folder / SPEC, cfg)
                # the checkpoints only serve a resume of this unit, and they are large
                shutil.rmtree(folder / "checkpoints", ignore_errors=True)
                for f in ("train.parquet", SPEC):
                    (folder / f).unlink(missing_ok=True)
                # the held-out pairs stay, so that eval-rm can score every RM on every language's
                # held-out items (`data: [runs/rm/*/heldout.parquet]`); the mixed unit's are theirs
                if unit == MULTILINGUAL:
                    (folder / "val.parquet").unlink(missing_ok=True)
                else:
                    (folder / "val.parquet").replace(folder / HELDOUT)
                per_unit[unit] = metrics
                files_ = [f"{unit}/model", f"{unit}/train_log.json", f"{unit}/{METRICS}"]
                if unit != MULTILINGUAL:
                    files_.append(f"{unit}/{HELDOUT}")
                if (folder / "curves.png").exists():
                    files_.append(f"{unit}/curves.png")
                ws.finish(unit, fp, files_, metrics)
            outputs.append(
                Output(f"{unit}/model", "model", per_unit[unit]["pairs"]["train"]["used"], unit=unit)
            )
            outputs.append(Output(f"{unit}/train_log.json", "train_log", unit=unit))
            if unit != MULTILINGUAL:
                held = (per_unit[unit]["pairs"].get("val") or {}).get("in", 0)
                outputs.append(Output(f"{unit}/{HELDOUT}", "heldout", held, unit=unit))
            outputs.append(Output(f"{unit}/{METRICS}", "metrics", unit=unit))
            if (ws.path / unit / "curves.png").exists():
                outputs.append(Output(f"{unit}/curves.png", "plot", unit=unit))
        dropped = Counter(sel["dropped"])
        for unit, m in per_unit.items():
            if unit == MULTILINGUAL:
                continue
            for part in ("train", "val"):
                for reason, n in ((m["pairs"].get(part) or {}).get("dropped") or {}).items():
                    dropped[reason] += n
        counts = {
            "in": table.num_rows,
            "out": sum(m["pairs"]["train"]["used"] for u, m in per_unit.items() if u != MULTILINGUAL),
            "dropped_by_reason": {k: v for k, v in dropped.items() if v},
            # held-out pairs are neither trained on nor dropped
            "held_out": sum(
                (m["pairs"].get("val") or {}).get("used", 0) for u, m in per_unit.items() if u != MULTILINGUAL
            ),
            **{k: v for k, v in sel.items() if k != "dropped"},
        }
        summary = {
            u: {
                k: m.get(k)
                for k in ("val_accuracy", "val_loss", "final_train_loss", "tokens_seen", "tokens_per_s",
                          "wall_s", "global_step", "attn_implementation", "template")
            }
            | {"pairs": m["pairs"]}
            for u, m in per_unit.items()
        }  # fmt: skip
        return StageResult(counts, outputs, {"languages": summary})

    return run_stage(
        "train-rm",
        cfg.out,
        config=settings,
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[*inputs, cfg.model.path],
    )
