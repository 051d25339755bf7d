"""``xlrm align``: which labels make the better policy, the English RM's or the target RM's?

    xlrm align runs/train-rm --out runs/align --config run.yaml     # reads the `align:` section

Inputs are the labelling reward models: the output folder of ``train-rm`` (each RM named by its
training language) or ``name=path`` RM folders. Per target language the stage

1. samples K responses per training prompt from the policy (``<lang>/generations.jsonl``) and one
   answer per held-out prompt (``<lang>/answers/base.jsonl``);
2. scores every sample with each labelling RM, by default the English RM (``english``) and the
   language's own, and keeps best vs worst per prompt (``<lang>/<rm>/pairs.parquet``, the xlrm
   pair schema, and every score in ``<lang>/<rm>/scores.parquet``); the two labellings' agreement
   goes to ``agreement.parquet``;
3. trains a DPO policy per labelling (``<lang>/<rm>/policy``; with ``policies: all_languages``
   one per labelling RM on every language's pairs, ``all/<rm>/policy``);
4. answers the held-out prompts with every aligned policy (``<lang>/answers/<policy>.jsonl``) and
   judges (a) each aligned policy against the base policy and (b) the English-RM policy against
   the target-RM policy (``<lang>/judgements/<a>_vs_<b>.jsonl``);
5. writes the win rates with bootstrap intervals and mean answer lengths (``win_rates.parquet``,
   ``win_rates.md``, ``win_rates.png``).

Every step of every language is a unit with its own fingerprint, chained to the units it reads, so
changing the judge re-judges only, adding a language samples only that one, and a run killed
during DPO continues from the last checkpoint of the unit it was training.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
from collections import Counter
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from xlrm.align.config import HUB_PROMPTS, AlignConfig
from xlrm.config import fingerprinted
from xlrm.errors import ConfigError, InputError
from xlrm.manifest import Output, StageResult, describe_path, fingerprint, run_stage
from xlrm.train.trainer_support import launch_unit

log = logging.getLogger(__name__)

#: Bump when a unit's output for the same inputs changes (invalidates reuse).
ALIGN_VERSION = 1
SPEC = "dpo_spec.json"
BASE = "base"


# ---------------------------------------------------------------------------------------------
# Inputs


def _model_input(opts, role: str) -> dict:
    """A model's content hash (local) or its hub id and revision."""
    local = Path(opts.path) / opts.gguf_file if opts.gguf_file else Path(opts.path)
    if local.exists():
        return {**describe_path(local, role=role), "adapter": opts.adapter}
    return {"hub": opts.path, "revision": opts.revision, "adapter": opts.adapter, "role": role}


def _prompt_inputs(cfg: AlignConfig) -> tuple[list[dict], list[str]]:
    from xlrm.data.records import expand_paths

    described, paths = [], []
    for src in cfg.prompts.sources:
        if src in HUB_PROMPTS:
            described.append({"hub": src, "revision": cfg.prompts.revision, "role": "prompts"})
        elif src == "builtin":
            described.append({"builtin": cfg.prompts.builtin_split, "role": "prompts"})
        else:
            head, sep, tail = src.partition("=")
            path = tail if sep and head and "/" not in head and not Path(src).exists() else src
            for f in expand_paths(path):
                described.append(describe_path(f, role="prompts"))
                paths.append(str(f))
    return described, paths


def _rm_options(path: str):
    from xlrm.models import model_options

    return model_options(path, device="auto")


def _resolve_rms(cfg: AlignConfig, inputs: list[str]) -> tuple[dict[str, str], str | None]:
    """The labelling RMs by name (those some language uses) and the judge RM's path (kind rm)."""
    from xlrm.analysis.config import parse_model_spec
    from xlrm.models import model_specs

    given: dict[str, str] = {}
    for spec in model_specs(inputs):
        name, path = parse_model_spec(spec)
        if name in given:
            raise InputError(f"two labelling RMs are named {name!r}", hint="name them with name=path")
        given[name] = path
    used = sorted({r for lang in cfg.languages for r in cfg.labellers_for(lang)})
    missing = [r for r in used if r not in given]
    if missing:
        need = [lang for lang in cfg.languages if missing[0] in cfg.labellers_for(lang)]
        raise InputError(
            f"no labelling RM named {missing[0]!r} (needed for {', '.join(need)}); the inputs give "
            f"{', '.join(sorted(given)) or 'none'}",
            hint=f"train it with `xlrm train-rm --train-languages {missing[0]}` and pass that folder, or give "
            f"{missing[0]}=path; the English RM's name is set by `english`",
        )
    judge = None
    if cfg.judge.kind == "rm":
        name = cfg.judge.path or cfg.english
        judge = given.get(name, name if cfg.judge.path else None)
        if judge is None or not (judge in given.values() or Path(judge).exists()):
            raise InputError(
                f"judge.path {name!r} is neither a labelling RM's name ({', '.join(sorted(given))}) nor a folder",
                hint="set judge.path to an RM name or folder, or use judge.kind hf / endpoint",
            )
    return {r: given[r] for r in used}, judge


def _check_reward_models(paths: dict[str, str]) -> None:
    """Refuse a folder that is not a reward model before anything is sampled (configs only)."""
    from xlrm.eval.scorer import check_reward_model
    from xlrm.models import load_config

    for name, path in paths.items():
        try:
            check_reward_model(load_config(_rm_options(path)), path)
        except InputError as e:
            raise InputError(
                f"labelling RM {name!r}: {e}", hint="pass the output folder of `xlrm train-rm`"
            ) from None


# ---------------------------------------------------------------------------------------------
# Small helpers


class _Lazy:
    """A model loaded on first use and freed on request (so reused units load nothing)."""

    def __init__(self, load):
        self._load, self._obj = load, None

    def get(self):
        if self._obj is None:
            self._obj = self._load()
        return self._obj

    def free(self) -> None:
        if self._obj is None:  # never loaded: nothing to release (gc.collect costs ~0.5 s)
            return
        self._obj = None
        gc.collect()
        try:
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
        except ImportError:
            pass


def _write_jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    with open(tmp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _train_unit(spec_path: Path, cfg: AlignConfig) -> dict:
    """Train the DPO unit described by ``spec_path``, here or under ``accelerate launch``."""
    if cfg.num_processes > 1:
        return launch_unit(
            spec_path,
            "xlrm.align.dpo",
            num_processes=cfg.num_processes,
            config=cfg.accelerate_config,
            metrics="metrics.json",
        )
    from xlrm.align.dpo import train_from_spec

    return train_from_spec(spec_path)


# ---------------------------------------------------------------------------------------------
# Plan: policies and comparisons


def _policies(cfg: AlignConfig) -> dict[str, dict]:
    """DPO units by folder: ``name`` (in tables), ``labels`` ([(lang, rm)] whose pairs it trains
    on) and, per language, which policy name it is there."""
    units: dict[str, dict] = {}
    for lang in cfg.languages:
        for rm in cfg.labellers_for(lang):
            if cfg.policies == "per_language":
                folder, name = f"{lang}/{rm}", f"{rm}-rm"
            elif cfg.labellers:
                folder, name = f"all/{rm}", f"{rm}-rm"
            else:
                role = "english" if rm == cfg.english else "target"
                folder, name = f"all/{role}", f"{'en' if role == 'english' else 'target'}-rm"
            units.setdefault(folder, {"name": name, "labels": []})["labels"].append((lang, rm))
    if cfg.policies == "all_languages" and not cfg.labellers and "all/target" in units:
        # English's samples are labelled by the English RM alone: the target policy learns them too
        units["all/target"]["labels"] += [
            (lang, cfg.english) for lang in cfg.languages if lang == cfg.english
        ]
    for u in units.values():
        u["languages"] = list(dict.fromkeys(lang for lang, _ in u["labels"]))
    return units


def _comparisons(cfg: AlignConfig, units: dict[str, dict]) -> dict[str, list[tuple[str, str, str]]]:
    """Per language: (a, b, kind) with kind ``aligned_vs_base`` (every aligned policy against the
    base) or ``english_vs_target`` (the policy whose pairs in this language the English RM
    labelled against each policy whose pairs another RM labelled)."""
    out = {}
    for lang in cfg.languages:
        here = []
        for u in units.values():
            rms_here = [rm for lg, rm in u["labels"] if lg == lang]
            if rms_here:
                here.append((u["name"], rms_here[0]))
        comps = [(name, BASE, "aligned_vs_base") for name, _ in here]
        english = [name for name, rm in here if rm == cfg.english]
        if english:
            comps += [(english[0], name, "english_vs_target") for name, rm in here if rm != cfg.english]
        out[lang] = comps
    return out


# ---------------------------------------------------------------------------------------------
# The stage


def run_align(cfg: AlignConfig, inputs: list[str]) -> dict:
    from xlrm.align.dpo import check_training_keys
    from xlrm.align.sampling import check_backend
    from xlrm.models import model_options

    if not inputs:
        raise ConfigError(
            "xlrm align needs the labelling reward models: the output folder of `xlrm train-rm` "
            "(or name=path RM folders)"
        )
    if not cfg.policy.path:
        raise ConfigError("align: no policy; set policy.path (a folder, hub id or .gguf file)")
    check_backend(cfg.sampling.backend)
    check_training_keys(cfg.training)
    policy_opts = model_options(cfg.policy)
    rms, judge_rm = _resolve_rms(cfg, inputs)
    _check_reward_models(
        {**rms, **({"judge": judge_rm} if judge_rm and judge_rm not in rms.values() else {})}
    )
    prompt_desc, prompt_paths = _prompt_inputs(cfg)
    rm_desc = {name: describe_path(path, role=f"rm:{name}") for name, path in rms.items()}
    described = [*rm_desc.values(), _model_input(policy_opts, "policy"), *prompt_desc]
    judge_desc = None
    if judge_rm is not None:
        judge_desc = next((d for n, d in rm_desc.items() if rms[n] == judge_rm), None) or describe_path(
            judge_rm, role="judge"
        )
        if judge_rm not in rms.values():
            described.append(judge_desc)
    elif cfg.judge.kind == "hf":
        judge_desc = _model_input(model_options(cfg.judge.path), "judge")
        described.append(judge_desc)
    settings = fingerprinted(cfg)
    local_policy = [cfg.policy.path] if Path(cfg.policy.path).exists() else []

    def work(ws) -> StageResult:
        return _work(ws, cfg, policy_opts, rms, judge_rm, described, rm_desc, judge_desc)

    return run_stage(
        "align",
        cfg.out,
        config=settings,
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[*inputs, *local_policy, *prompt_paths],
    )


def _work(ws, cfg: AlignConfig, policy_opts, rms, judge_rm, described, rm_desc, judge_desc) -> StageResult:
    from xlrm.align.prompts import load_prompts

    out: Path = ws.path
    prompts, prompt_counts = load_prompts(cfg.prompts, cfg.languages)
    pq.write_table(prompts, out / "prompts.parquet")
    rows = prompts.to_pylist()
    train = {
        lang: [r for r in rows if r["language"] == lang and r["split"] == "train"] for lang in cfg.languages
    }
    held = {
        lang: [r for r in rows if r["language"] == lang and r["split"] == "eval"] for lang in cfg.languages
    }
    policy_fp = next(d for d in described if d.get("role") == "policy")
    outputs = [Output("prompts.parquet", "prompts", prompts.num_rows)]
    report: dict = {"languages": {lang: {"prompts": prompt_counts["split"][lang]} for lang in cfg.languages}}

    base = _Lazy(lambda: _load_policy(policy_opts))
    template_info = {}

    # 1. samples of the base policy, and its answers to the held-out prompts
    sample_fp, answer_fp = {}, {}
    sampling = {k: v for k, v in asdict(cfg.sampling).items() if k not in ("vllm", "eval_temperature")}
    for lang in cfg.languages:
        fp = fingerprint({"v": ALIGN_VERSION, "policy": policy_fp, "prompts": [(p["id"], p["prompt"]) for p in train[lang]],
                          "k": cfg.k, "sampling": sampling})  # fmt: skip
        unit, file = f"sample/{lang}", f"{lang}/generations.jsonl"
        sample_fp[lang] = fp
        if not ws.reuse(unit, fp):
            gens = _sample(
                base,
                cfg,
                policy_opts,
                train[lang],
                n=cfg.k,
                temperature=cfg.sampling.temperature,
                stream=f"{lang}/train",
            )
            _write_jsonl(out / file, gens)
            ws.finish(
                unit, fp, [file], {**_sample_counts(gens), "template": _template_info(cfg, base, policy_opts)}
            )
        report["languages"][lang]["samples"] = ws.unit_info(unit)
        template_info = ws.unit_info(unit).get("template", template_info)
        outputs.append(Output(file, "generations", cfg.k * len(train[lang]), unit=lang))
    for lang in cfg.languages:
        answer_fp[(lang, BASE)] = _answers(
            ws, cfg, base, policy_opts, held[lang], lang, BASE, policy_fp, outputs
        )
    base.free()

    # 2. labelling
    label_fp, scores = {}, {}
    label_report: dict = {}
    for rm in rms:
        scorer = _Lazy(lambda rm=rm: _load_rm(rm, rms[rm]))
        for lang in cfg.languages:
            if rm not in cfg.labellers_for(lang):
                continue
            fp = fingerprint({"v": ALIGN_VERSION, "samples": sample_fp[lang], "rm": rm_desc[rm]["sha256"], "min_margin": cfg.min_margin,
                              "max_length": cfg.max_length, "min_prompt_tokens": cfg.min_prompt_tokens})  # fmt: skip
            unit = f"label/{lang}/{rm}"
            files = [f"{lang}/{rm}/pairs.parquet", f"{lang}/{rm}/scores.parquet"]
            label_fp[(lang, rm)] = fp
            if not ws.reuse(unit, fp):
                info = _label(
                    scorer, cfg, rm, lang, _read_jsonl(out / f"{lang}/generations.jsonl"), train[lang], out
                )
                ws.finish(unit, fp, files, info)
            info = ws.unit_info(unit)
            label_report.setdefault(lang, {})[rm] = info
            outputs.append(Output(files[0], "pairs", info["pairs"], unit=f"{lang}/{rm}"))
            outputs.append(Output(files[1], "scores", info["scored_prompts"], unit=f"{lang}/{rm}"))
            scores[(lang, rm)] = _read_scores(out / files[1])
        scorer.free()
    agreement = _agreement(cfg, scores, out)
    if agreement:
        outputs.append(Output("agreement.parquet", "agreement", len(agreement)))
    for lang in cfg.languages:
        report["languages"][lang]["labelling"] = label_report.get(lang, {})
        if lang in agreement:
            report["languages"][lang]["agreement"] = agreement[lang]

    # 3. DPO
    units = _policies(cfg)
    dpo_fp: dict[str, str] = {}
    policy_report = {}
    for folder, u in units.items():
        fp = fingerprint({"v": ALIGN_VERSION, "labels": [label_fp[k] for k in u["labels"]], "policy": policy_fp,
                          "training": cfg.training, "lora": cfg.lora, "gc": cfg.gradient_checkpointing})  # fmt: skip
        unit = f"dpo/{folder}"
        dpo_fp[folder] = fp
        files = [f"{folder}/policy", f"{folder}/train_log.json", f"{folder}/metrics.json"]
        if not ws.reuse(unit, fp):
            metrics = _dpo(cfg, policy_opts, out, folder, u)
            ws.finish(unit, fp, files, metrics)
        m = ws.unit_info(unit)
        policy_report[folder] = {"name": u["name"], "labels": [f"{lang}/{rm}" for lang, rm in u["labels"]]} | {
            k: m.get(k) for k in ("pairs", "global_step", "final_train_loss", "mean_train_loss", "final_reward_accuracy",
                                  "final_reward_margin", "resumed_from", "precompute_ref_log_probs", "wall_s")
        }  # fmt: skip
        outputs.append(Output(files[0], "policy", m["pairs"]["used"], unit=folder))
        outputs.append(Output(files[1], "train_log", unit=folder))
        outputs.append(Output(files[2], "metrics", unit=folder))

    # 4. answers of the aligned policies
    for folder, u in units.items():
        opts = _policy_folder_options(policy_opts, out / folder / "policy")
        lazy = _Lazy(lambda opts=opts: _load_policy(opts))
        for lang in u["languages"]:
            answer_fp[(lang, u["name"])] = _answers(
                ws, cfg, lazy, opts, held[lang], lang, u["name"], dpo_fp[folder], outputs
            )
        lazy.free()

    # 5. judging
    comparisons = _comparisons(cfg, units)
    judge = _Lazy(lambda: _make_judge(cfg, judge_rm))
    # the interval settings and the label only shape the table: changing them re-judges nothing
    verdict_settings = {
        k: v for k, v in fingerprinted(cfg.judge).items() if k not in ("bootstrap", "ci", "name")
    }
    judge_settings = {"judge": verdict_settings, "model": judge_desc, "max_length": cfg.max_length,
                      "min_prompt_tokens": cfg.min_prompt_tokens}  # fmt: skip
    table_rows, judge_counts = [], Counter()
    for lang, comps in comparisons.items():
        for a, b, kind in comps:
            fp = fingerprint(
                {"v": ALIGN_VERSION, "a": answer_fp[(lang, a)], "b": answer_fp[(lang, b)], **judge_settings}
            )
            unit, file = f"judge/{lang}/{a}_vs_{b}", f"{lang}/judgements/{a}_vs_{b}.jsonl"
            if not ws.reuse(unit, fp):
                recs = _judge(judge.get(), out, lang, a, b)
                _write_jsonl(out / file, recs)
                ws.finish(unit, fp, [file], dict(Counter(r["verdict"] for r in recs)))
            recs = _read_jsonl(out / file)
            judge_counts.update(r["verdict"] for r in recs)
            outputs.append(Output(file, "judgements", len(recs), unit=f"{lang}/{a}_vs_{b}"))
            table_rows.append(_table_row(cfg, lang, a, b, kind, recs))
    judge.free()
    from xlrm.align.judging import write_tables

    for f in write_tables(table_rows, out, ci=cfg.judge.ci, agreement=agreement, plots=cfg.plots):
        outputs.append(
            Output(
                f,
                "win_rates" if not f.endswith(".png") else "plot",
                len(table_rows) if not f.endswith(".png") else None,
            )
        )

    dropped = Counter()
    n_in = n_out = 0
    for per in label_report.values():
        for info in per.values():
            n_in += info["prompts"]
            n_out += info["pairs"]
            dropped.update(info["dropped"])
    counts = {
        "in": n_in,
        "out": n_out,
        "dropped_by_reason": {k: v for k, v in dropped.items() if v},
        "prompts": {k: v for k, v in prompt_counts.items() if k != "split"},
        "judged_prompts": sum(judge_counts.values()),
        "judge_verdicts": dict(judge_counts),
        "judge_undecided": judge_counts.get("undecided", 0),
    }
    extra = {
        **report,
        "policies": policy_report,
        "template": template_info,
        "judge": {"kind": cfg.judge.kind, "name": _judge_name(cfg, judge_rm)},
        "win_rates": table_rows,
    }
    return StageResult(counts, outputs, extra)


# ---------------------------------------------------------------------------------------------
# Steps


def _load_policy(opts):
    from xlrm.align.sampling import load_policy

    return load_policy(opts)


def _template_info(cfg: AlignConfig, lazy: _Lazy, opts) -> dict:
    """Where the policy's chat template came from (``fallback`` for a tokenizer without one)."""
    if cfg.sampling.backend == "hf":
        return lazy.get().info["template"]
    from xlrm import chat
    from xlrm.models import load_tokenizer

    tok = load_tokenizer(opts)
    return chat.template_info(tok, chat.resolve_template(tok))


def _policy_folder_options(base_opts, folder: Path):
    from xlrm.models import model_options

    return model_options(str(folder), device=base_opts.device, dtype=base_opts.dtype,
                         attn_implementation=base_opts.attn_implementation)  # fmt: skip


def _sample(
    lazy: _Lazy, cfg: AlignConfig, opts, prompts: list[dict], *, n: int, temperature: float, stream: str
) -> list[dict]:
    s = cfg.sampling
    if s.backend == "vllm":
        from xlrm import chat
        from xlrm.align.sampling import generate_vllm
        from xlrm.models import load_tokenizer

        gens = generate_vllm(
            opts, prompts, n=n, max_new_tokens=s.max_new_tokens, temperature=temperature, top_p=s.top_p,
            seed=s.seed, stream=stream, template=chat.resolve_template(load_tokenizer(opts)), engine_kwargs=s.vllm,
        )  # fmt: skip
    else:
        from xlrm.align.sampling import generate

        gens = generate(
            lazy.get(), prompts, n=n, max_new_tokens=s.max_new_tokens, temperature=temperature, top_p=s.top_p,
            seed=s.seed, batch_size=s.batch_size, stream=stream, progress=cfg.progress,
        )  # fmt: skip
    by_id = {p["id"]: p for p in prompts}
    return [{"id": g["id"], "language": by_id[g["id"]]["language"], "prompt": by_id[g["id"]]["prompt"],
             **{k: v for k, v in g.items() if k != "id"}} for g in gens]  # fmt: skip


def _sample_counts(gens: list[dict]) -> dict:
    return {
        "responses": len(gens),
        "empty": sum(not g["response"] for g in gens),
        "unfinished": sum(not g["finished"] for g in gens),
        "mean_tokens": round(float(np.mean([g["tokens"] for g in gens])), 2) if gens else None,
    }


def _answers(
    ws, cfg: AlignConfig, lazy: _Lazy, opts, prompts, lang: str, name: str, model_fp, outputs
) -> str:
    """One answer per held-out prompt from a policy (a unit); returns the unit's fingerprint."""
    s = cfg.sampling
    fp = fingerprint({"v": ALIGN_VERSION, "policy": model_fp, "prompts": [(p["id"], p["prompt"]) for p in prompts],
                      "max_new_tokens": s.max_new_tokens, "temperature": s.eval_temperature, "top_p": s.top_p,
                      "seed": s.seed, "batch_size": s.batch_size, "backend": s.backend})  # fmt: skip
    unit, file = f"answers/{lang}/{name}", f"{lang}/answers/{name}.jsonl"
    if not ws.reuse(unit, fp):
        gens = _sample(lazy, cfg, opts, prompts, n=1, temperature=s.eval_temperature, stream=f"{lang}/eval")
        _write_jsonl(ws.path / file, gens)
        ws.finish(unit, fp, [file], _sample_counts(gens))
    outputs.append(Output(file, "answers", len(prompts), unit=f"{lang}/{name}"))
    return fp


def _load_rm(name: str, path: str):
    from xlrm.eval.scorer import load_classifier

    return load_classifier(name, _rm_options(path))


def _label(
    scorer: _Lazy, cfg: AlignConfig, rm: str, lang: str, gens: list[dict], prompts: list[dict], out: Path
) -> dict:
    from xlrm import chat
    from xlrm.align.labelling import label, score_responses

    by_id: dict[str, list[dict]] = {}
    for g in gens:
        by_id.setdefault(g["id"], []).append(g)
    ids = [p["id"] for p in prompts if p["id"] in by_id]
    groups = [sorted(by_id[i], key=lambda g: g["sample"]) for i in ids]
    prompt_by_id = {p["id"]: p for p in prompts}
    s = scorer.get()
    arrays, info = score_responses(
        s,
        [
            (prompt_by_id[i]["prompt"], [g["response"] for g in grp])
            for i, grp in zip(ids, groups, strict=True)
        ],
        language=lang,
        max_length=cfg.max_length,
        min_prompt_tokens=cfg.min_prompt_tokens,
        batch_tokens=cfg.batch_tokens,
        desc=f"{rm} labels {lang}",
    )
    score_map = dict(zip(ids, arrays, strict=True))
    pairs, dropped = label(gens, prompt_by_id, score_map, labeller=rm, min_margin=cfg.min_margin)
    folder = out / lang / rm
    folder.mkdir(parents=True, exist_ok=True)
    from xlrm.data.schema import PAIR_SCHEMA

    extra = [("prompt_id", pa.string()), ("score_chosen", pa.float64()), ("score_rejected", pa.float64()),
             ("margin", pa.float64()), ("sample_chosen", pa.int64()), ("sample_rejected", pa.int64()),
             ("labeller", pa.string())]  # fmt: skip
    schema = pa.schema(list(PAIR_SCHEMA) + [pa.field(n, t) for n, t in extra])
    pq.write_table(pa.Table.from_pylist(pairs, schema=schema), folder / "pairs.parquet")
    score_rows = [{"id": i, "sample": g["sample"], "score": float(a[k])} for i, grp, a in zip(ids, groups, arrays, strict=True)
                  for k, g in enumerate(grp)]  # fmt: skip
    pq.write_table(
        pa.Table.from_pylist(
            score_rows,
            schema=pa.schema([("id", pa.string()), ("sample", pa.int64()), ("score", pa.float64())]),
        ),
        folder / "scores.parquet",
    )
    margins = [p["margin"] for p in pairs]
    return {
        "prompts": len(ids),
        "pairs": len(pairs),
        "dropped": {k: v for k, v in dropped.items() if v},
        "scored_prompts": sum(int(np.isfinite(a).sum() >= 2) for a in arrays),
        "scoring_dropped": info["dropped"],
        "mean_margin": round(float(np.mean(margins)), 6) if margins else None,
        "rm": {**s.info, "template": chat.template_info(s.tokenizer, chat.resolve_template(s.tokenizer))},
        "timing": info["timing"],
    }


def _read_scores(path: Path) -> dict[str, np.ndarray]:
    t = pq.read_table(path).to_pylist()
    out: dict[str, list] = {}
    for r in sorted(t, key=lambda r: (r["id"], r["sample"])):
        out.setdefault(r["id"], []).append(np.nan if r["score"] is None else r["score"])
    return {k: np.array(v, dtype=float) for k, v in out.items()}


def _agreement(cfg: AlignConfig, scores: dict, out: Path) -> dict:
    """Per language with an English and a (different) target labelling: how alike they choose."""
    from xlrm.align.labelling import agreement

    result = {}
    for lang in cfg.languages:
        labellers = cfg.labellers_for(lang)
        if cfg.english not in labellers:
            continue
        for target in [r for r in labellers if r != cfg.english][:1]:
            gens = _read_jsonl(out / lang / "generations.jsonl")
            responses: dict[str, list[str]] = {}
            for g in sorted(gens, key=lambda g: (g["id"], g["sample"])):
                responses.setdefault(g["id"], []).append(g["response"])
            a, b = scores[(lang, cfg.english)], scores[(lang, target)]
            responses = {i: r for i, r in responses.items() if i in a and i in b}
            result[lang] = {
                "english": cfg.english,
                "target": target,
                **agreement(a, b, responses, cfg.min_margin),
            }
    if result:
        pq.write_table(
            pa.Table.from_pylist([{"language": k, **v} for k, v in result.items()]), out / "agreement.parquet"
        )
    return result


def _dpo(cfg: AlignConfig, policy_opts, out: Path, folder: str, u: dict) -> dict:
    tables = [pq.read_table(out / lang / rm / "pairs.parquet") for lang, rm in u["labels"]]
    pairs = pa.concat_tables(tables)
    unit_dir = out / folder
    unit_dir.mkdir(parents=True, exist_ok=True)
    pq.write_table(pairs, unit_dir / "dpo_pairs.parquet")
    spec = {
        "unit": folder,
        "out_dir": str(unit_dir),
        "pairs": str(unit_dir / "dpo_pairs.parquet"),
        "model": asdict(policy_opts),
        "training": dict(cfg.training),
        "lora": cfg.lora,
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "progress": cfg.progress,
    }
    (unit_dir / SPEC).write_text(json.dumps(spec, indent=1), encoding="utf-8")
    log.info(
        "DPO %s: %d pairs (%s)", folder, pairs.num_rows, ", ".join(f"{lang}/{rm}" for lang, rm in u["labels"])
    )
    metrics = _train_unit(unit_dir / SPEC, cfg)
    # the checkpoints only serve a resume of this unit, and they are large
    shutil.rmtree(unit_dir / "checkpoints", ignore_errors=True)
    for f in ("dpo_pairs.parquet", SPEC):
        (unit_dir / f).unlink(missing_ok=True)
    (unit_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, default=str), encoding="utf-8")
    return metrics


def _judge_name(cfg: AlignConfig, judge_rm: str | None) -> str:
    j = cfg.judge
    if j.kind == "rm":
        return f"rm:{j.path or cfg.english}"
    if j.kind == "hf":
        return j.name or f"hf:{Path(j.path).name}"
    return j.name or j.model


def _make_judge(cfg: AlignConfig, judge_rm: str | None):
    from xlrm import chat
    from xlrm.align.judging import GenerativeJudge, RMJudge
    from xlrm.eval.judge import DEFAULT_SYSTEM, DEFAULT_TEMPLATE, PairwiseJudge

    j = cfg.judge
    name = _judge_name(cfg, judge_rm)
    if j.kind == "rm":
        return RMJudge(_load_rm(name, judge_rm), max_length=cfg.max_length, min_prompt_tokens=cfg.min_prompt_tokens,
                       batch_tokens=cfg.batch_tokens, name=name)  # fmt: skip
    kw = {"template": j.template or DEFAULT_TEMPLATE, "system": DEFAULT_SYSTEM if j.system is None else j.system,
          "max_retries": j.max_retries}  # fmt: skip
    if j.kind == "endpoint":
        judge = PairwiseJudge.from_endpoint(
            j.base_url, j.model, api_key_env=j.api_key_env, concurrency=j.concurrency, temperature=j.temperature,
            max_tokens=j.max_tokens, timeout_s=j.timeout_s, http_retries=j.http_retries, **kw,
        )  # fmt: skip
        judge.name = name
        return GenerativeJudge(judge, name)
    from xlrm.eval.scorer import HFJudgeGenerator, load_causal_lm
    from xlrm.models import model_options

    lm = load_causal_lm(name, model_options(j.path))
    gen = HFJudgeGenerator(lm, max_new_tokens=j.max_tokens, template=chat.resolve_template(lm.tokenizer))
    return GenerativeJudge(PairwiseJudge(gen, batch_size=j.batch_size, name=name, **kw), name)


def _judge(judge, out: Path, lang: str, a: str, b: str) -> list[dict]:
    ans_a = {g["id"]: g for g in _read_jsonl(out / lang / "answers" / f"{a}.jsonl")}
    ans_b = {g["id"]: g for g in _read_jsonl(out / lang / "answers" / f"{b}.jsonl")}
    ids = [i for i in ans_a if i in ans_b]
    items = [
        {"id": i, "prompt": ans_a[i]["prompt"], "a": ans_a[i]["response"], "b": ans_b[i]["response"]}
        for i in ids
    ]
    records = judge.judge(items, lang) if items else []
    return [
        {"language": lang, "policy_a": a, "policy_b": b, "answer_a": it["a"], "answer_b": it["b"], **rec}
        for it, rec in zip(items, records, strict=True)
    ]


def _table_row(cfg: AlignConfig, lang: str, a: str, b: str, kind: str, recs: list[dict]) -> dict:
    from xlrm.align.judging import win_rate_row

    return win_rate_row(
        [r["verdict"] for r in recs],
        [r["answer_a"] for r in recs],
        [r["answer_b"] for r in recs],
        language=lang,
        comparison=kind,
        policy_a=a,
        policy_b=b,
        judge=_judge_name(cfg, None),
        n_boot=cfg.judge.bootstrap,
        ci=cfg.judge.ci,
    )
