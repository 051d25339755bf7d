"""`xlrm eval-rm`: score reward models on Multilingual RewardBench (and RewardBench, local exports,
the built-in evaluation split), per language and section, with the transfer matrix and the gap of
each target-language RM to the English RM.

Each model (or judge) is a unit whose fingerprint is its content hash, the data and the scoring
settings: adding an RM to the config scores only that one, and changing only the table settings
(weights, bootstrap, seed) rescores nothing. The tables are always rebuilt from every unit's
per-pair scores (``units/<model>-<hash>.parquet``, concatenated into ``scores.parquet``) by
:func:`xlrm.eval.tables.write_tables`. ``from_scores`` builds the same tables from a scores file
without any model.

Counts in the manifest: ``in`` = pairs read × models; ``out`` = pairs scored; ``dropped_by_reason``
with every pair that was not scored (``empty``: a prompt, chosen or rejected text is empty;
``too_long``: it would need more than its prompt cut to fit ``max_length``; ``identical``: chosen
and rejected are the same tokens). Truncation is not a drop: ``truncated`` counts the pairs that
lost prompt tokens from the left, per model and language. ``in == out + sum(dropped_by_reason)``.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from xlrm.config import fingerprinted
from xlrm.errors import ConfigError
from xlrm.eval.config import EvalRMConfig, eval_languages
from xlrm.manifest import Output, StageResult, describe_path, fingerprint, run_stage

log = logging.getLogger(__name__)

#: Bump when the per-pair scores for the same model, data and settings change (rescoring every unit).
SCORER_VERSION = 1
SCORE_COLUMNS = ("id", "language", "subset", "score_chosen", "score_rejected", "model")
DROP_REASONS = {
    "empty": "a prompt, chosen or rejected text is empty",
    "too_long": "fitting max_length would need more than the prompt cut (min_prompt_tokens kept)",
    "identical": "chosen and rejected are the same tokens, so no scorer can rank them",
    "identical_after_truncation": "chosen and rejected became the same tokens after truncation",
}


@dataclass
class Unit:
    name: str
    kind: str  # classifier | dpo | hf_judge | endpoint_judge
    path: str | None = None

    @property
    def file(self) -> str:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", self.name).strip("_.") or "model"
        return f"units/{base}-{hashlib.sha256(self.name.encode()).hexdigest()[:8]}"


# ---------------------------------------------------------------------------------------------
# Entry point


def run_eval_rm(cfg: EvalRMConfig, inputs: list[str] = ()) -> dict:
    from xlrm.analysis.config import parse_model_spec
    from xlrm.models import model_specs

    models = [*cfg.models, *inputs]
    if models:
        cfg = replace(cfg, models=model_specs(list(models)))
        try:
            cfg.validate()
        except ValueError as e:
            raise ConfigError(f"eval-rm: {e}") from None
    if cfg.from_scores:
        return _run_from_scores(cfg)
    specs = [parse_model_spec(m) for m in cfg.models]
    kind = {"classifier": "classifier", "dpo": "dpo", "generative": "hf_judge"}[cfg.kind]
    units = [Unit(name, kind, path) for name, path in specs]
    if cfg.judge.base_url:
        units.append(Unit(cfg.judge_label(), "endpoint_judge", cfg.judge.base_url))
    if not units:
        raise ConfigError(
            "xlrm eval-rm needs reward models: INPUT folders or hub ids, models: in the config, a "
            "`train-rm` output folder, judge.base_url for an endpoint judge (kind generative), or "
            "--from-scores FILE for tables from existing scores"
        )
    wanted = eval_languages(cfg.languages)
    from xlrm.eval.data import describe_sources

    data_desc = describe_sources(
        cfg.data, wanted, builtin_per_section=cfg.builtin_per_section, limit=cfg.limit
    )
    reference = describe_path(cfg.reference, role="reference") if cfg.reference else None
    what = {
        u.name: {"endpoint": u.path, "model": cfg.judge.model}
        if u.kind == "endpoint_judge"
        else describe_path(u.path, role="model")
        for u in units
    }
    fps = {u.name: _unit_fingerprint(u, what[u.name], cfg, data_desc, reference) for u in units}
    described = [{"data": data_desc}] + [{"model": u.name, **what[u.name]} for u in units]
    if reference:
        described.append({"model": "reference", **reference})
    local = [u.path for u in units if u.kind != "endpoint_judge" and Path(u.path).exists()]
    local += [p for p in [cfg.reference] if p and Path(p).exists()]
    local += [s.split("=", 1)[-1] for s in cfg.data if Path(s.split("=", 1)[-1]).exists()]

    def work(ws) -> StageResult:
        return _work(ws, cfg, units, fps, wanted)

    return run_stage(
        "eval-rm",
        cfg.out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=local,
    )


def _scoring_settings(cfg: EvalRMConfig, unit: Unit) -> dict:
    settings = {
        "version": SCORER_VERSION,
        "kind": cfg.kind,
        "max_length": cfg.max_length,
        "min_prompt_tokens": cfg.min_prompt_tokens,
        "chat_template": cfg.chat_template,
    }
    if unit.kind != "endpoint_judge":
        settings.update(
            batch_tokens=cfg.batch_tokens,
            device=cfg.device,
            dtype=cfg.dtype,
            attn_implementation=cfg.attn_implementation,
            trust_remote_code=cfg.trust_remote_code,
        )
    if unit.kind in ("hf_judge", "endpoint_judge"):
        settings["judge"] = fingerprinted(cfg.judge)
    return settings


def _unit_fingerprint(
    unit: Unit, what: dict, cfg: EvalRMConfig, data_desc: list, reference: dict | None
) -> str:
    doc = {"unit": what, "data": data_desc, "scoring": _scoring_settings(cfg, unit)}
    if unit.kind == "dpo":
        doc["reference"] = reference
    return fingerprint(doc)


# ---------------------------------------------------------------------------------------------
# The work


def _work(ws, cfg: EvalRMConfig, units: list[Unit], fps: dict[str, str], wanted) -> StageResult:
    import pyarrow.parquet as pq

    if cfg.num_threads:
        import torch

        torch.set_num_threads(cfg.num_threads)
    todo = [u for u in units if not ws.reuse(u.name, fps[u.name])]
    for u in units:
        if u not in todo:
            log.info("eval-rm: %s unchanged, its scores are reused", u.name)
    if todo:
        _check_models(todo, cfg)
        from xlrm.eval.data import load_eval_data

        data = load_eval_data(cfg.data, wanted, builtin_per_section=cfg.builtin_per_section, limit=cfg.limit)
        shared: dict = {}
        for u in todo:
            table, info, extra = _score_unit(u, cfg, data, ws.path, shared)
            path = ws.path / f"{u.file}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(table, path)
            ws.finish(u.name, fps[u.name], [f"{u.file}.parquet", *extra], info)
            log.info(
                "eval-rm: %s scored %d pairs (%s pairs/s)",
                u.name,
                table.num_rows,
                info.get("timing", {}).get("pairs_per_s"),
            )
    infos = {u.name: ws.unit_info(u.name) for u in units}
    tables = [pq.read_table(ws.path / f"{u.file}.parquet") for u in units]
    scores = pa.concat_tables(tables, promote_options="default")
    pq.write_table(scores, ws.path / "scores.parquet")
    outputs = [Output("scores.parquet", "scores", scores.num_rows)]
    for u, t in zip(units, tables, strict=True):
        for f in ws.units[u.name]["files"]:
            role = "unit_scores" if f.endswith(".parquet") else "judge_records"
            outputs.append(Output(f, role, t.num_rows if role == "unit_scores" else None, unit=u.name))
    outputs += _table_outputs(cfg, scores, ws.path)
    counts = _counts(units, infos)
    summary = outputs.pop()  # _table_outputs ends with the tables' summary
    extra = {
        "models": {
            u.name: {k: infos[u.name].get(k) for k in ("model", "template", "timing", "judge")} for u in units
        },
        "tables": summary,
        "drop_reasons": {k: v for k, v in DROP_REASONS.items() if k in counts["dropped_by_reason"]},
    }
    return StageResult(counts, outputs, extra)


def _table_outputs(cfg: EvalRMConfig, scores: pa.Table, out: Path) -> list:
    from xlrm.eval.tables import write_tables

    summary = write_tables(
        scores,
        out,
        weights=cfg.weights,
        kind=cfg.kind,
        bootstrap=cfg.bootstrap,
        seed=cfg.seed,
        english=cfg.english,
        plots=cfg.plots,
    )
    outputs = [Output(f, _role(f)) for f in summary["files"]]
    return [*outputs, summary]


def _role(name: str) -> str:
    if name.startswith("results/"):
        return "results"
    if name.endswith(".png"):
        return "heatmap"
    if name.startswith("gap."):
        return "gap"
    return "transfer"


def _counts(units: list[Unit], infos: dict[str, dict]) -> dict:
    dropped: Counter = Counter()
    truncated: dict[str, dict] = {}
    n_in = n_out = 0
    for u in units:
        info = infos[u.name]
        n_in += sum(info["read"].values())
        n_out += sum(info["scored"].values())
        for per in info["dropped"].values():
            dropped.update(per)
        truncated[u.name] = {k: v for k, v in info["truncated"].items() if v}
    first = infos[units[0].name]
    counts = {
        "in": n_in,
        "out": n_out,
        "dropped_by_reason": dict(sorted(dropped.items())),
        "truncated": sum(sum(v.values()) for v in truncated.values()),
        "truncated_by_model": truncated,
        "pairs_per_language": first["read"],
        "scored_by_model": {u.name: infos[u.name]["scored"] for u in units},
        "models": len(units),
        "languages": len(first["read"]),
    }
    if n_in != n_out + sum(dropped.values()):  # a developer error: every pair read is scored or dropped
        raise RuntimeError(f"eval-rm counts do not add up: {n_in} in, {n_out} out, dropped {dict(dropped)}")
    return counts


# ---------------------------------------------------------------------------------------------
# Scoring one unit


def _options(path: str, cfg: EvalRMConfig):
    from xlrm.models import model_options

    return model_options(
        path,
        device=cfg.device,
        dtype=cfg.dtype,
        attn_implementation=cfg.attn_implementation,
        trust_remote_code=cfg.trust_remote_code,
    )


def _check_models(todo: list[Unit], cfg: EvalRMConfig) -> None:
    """Refuse a folder that is not a reward model before any data is read (configs only)."""
    from xlrm.eval.scorer import check_reward_model
    from xlrm.models import load_config

    for u in todo:
        if u.kind == "classifier":
            opts = _options(u.path, cfg)
            check_reward_model(load_config(opts), u.path)


def _free(*objs) -> None:
    del objs
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:
        pass


def _unit_table(name: str, tok_table: pa.Table, chosen, rejected, truncated, verdict=None) -> pa.Table:
    cols = {
        "id": tok_table["id"],
        "language": tok_table["language"],
        "subset": tok_table["subset"],
        "score_chosen": pa.array(np.asarray(chosen, dtype=np.float64)),
        "score_rejected": pa.array(np.asarray(rejected, dtype=np.float64)),
        "model": pa.array([name] * tok_table.num_rows, pa.string()),
        "truncated": pa.array(np.asarray(truncated, dtype=bool)),
    }
    if verdict is not None:
        cols["verdict"] = pa.array(verdict, pa.string())
    return pa.table(cols)


def _base_info(data, tok_dropped: dict, truncated: dict, scored: dict) -> dict:
    dropped = {lang: dict(data.dropped.get(lang, {})) for lang in data.languages}
    for lang, per in tok_dropped.items():
        for reason, n in per.items():
            dropped[lang][reason] = dropped[lang].get(reason, 0) + n
    return {
        "read": {lang: int(data.read[lang]) for lang in data.languages},
        "dropped": {lang: per for lang, per in dropped.items() if per},
        "truncated": {lang: int(truncated.get(lang, 0)) for lang in data.languages},
        "scored": {lang: int(scored.get(lang, 0)) for lang in data.languages},
    }


def _per_language(table: pa.Table) -> Counter:
    return Counter(table["language"].to_pylist())


def _score_unit(
    u: Unit, cfg: EvalRMConfig, data, out: Path, shared: dict
) -> tuple[pa.Table, dict, list[str]]:
    if u.kind == "classifier":
        return _score_classifier(u, cfg, data)
    if u.kind == "dpo":
        return _score_dpo(u, cfg, data, shared)
    return _score_judge(u, cfg, data, out)


def _score_classifier(u: Unit, cfg: EvalRMConfig, data):
    from xlrm import chat
    from xlrm.eval.scorer import load_classifier, packed_rewards, tokenize_eval

    scorer = load_classifier(u.name, _options(u.path, cfg))
    tok = tokenize_eval(
        data.table,
        scorer.tokenizer,
        max_length=cfg.max_length,
        min_prompt_tokens=cfg.min_prompt_tokens,
        chat_template=cfg.chat_template,
    )
    chosen, rejected, timing = packed_rewards(scorer, tok, batch_tokens=cfg.batch_tokens, desc=u.name)
    info = _base_info(data, tok.dropped, tok.truncated, _per_language(tok.table))
    info.update(model=scorer.info, template=chat.template_info(scorer.tokenizer, tok.template), timing=timing)
    _free(scorer)
    truncated = tok.table["prompt_removed"].to_numpy() > 0
    return _unit_table(u.name, tok.table, chosen, rejected, truncated), info, []


def _score_dpo(u: Unit, cfg: EvalRMConfig, data, shared: dict):
    from xlrm import chat
    from xlrm.errors import InputError
    from xlrm.eval.scorer import dpo_scores, load_causal_lm, response_logps, response_starts, tokenize_eval
    from xlrm.models import load_tokenizer
    from xlrm.train.tokenize import table_fingerprint, tokenizer_fingerprint

    policy = load_causal_lm(u.name, _options(u.path, cfg))
    ref_opts = _options(cfg.reference, cfg)
    if tokenizer_fingerprint(load_tokenizer(ref_opts)) != tokenizer_fingerprint(policy.tokenizer):
        raise InputError(
            f"the DPO reference {cfg.reference} has another tokenizer than the policy {u.path}: implicit "
            "rewards compare log-probabilities of the same tokens",
            hint="give as reference: the model the policy was trained from (the SFT model)",
        )
    tok = tokenize_eval(
        data.table,
        policy.tokenizer,
        max_length=cfg.max_length,
        min_prompt_tokens=cfg.min_prompt_tokens,
        chat_template=cfg.chat_template,
    )
    starts = response_starts(data.table, tok, policy.tokenizer)
    lp = response_logps(policy, tok, starts, batch_tokens=cfg.batch_tokens, desc=u.name)
    info = _base_info(data, tok.dropped, tok.truncated, _per_language(tok.table))
    info.update(model=policy.info, template=chat.template_info(policy.tokenizer, tok.template), timing=lp[2])
    _free(policy)
    # The reference scores the same token ids; policies rendered alike share its pass.
    key = hashlib.sha256(
        (
            table_fingerprint(tok.table.select(["chosen_ids", "rejected_ids"])) + starts.tobytes().hex()
        ).encode()
    ).hexdigest()
    if key not in shared:
        ref = load_causal_lm("reference", ref_opts)
        shared[key] = response_logps(ref, tok, starts, batch_tokens=cfg.batch_tokens, desc="reference")[:2]
        info["reference"] = ref.info
        _free(ref)
    chosen, rejected = dpo_scores(lp[:2], shared[key])
    truncated = tok.table["prompt_removed"].to_numpy() > 0
    return _unit_table(u.name, tok.table, chosen, rejected, truncated), info, []


def _judge(u: Unit, cfg: EvalRMConfig):
    """(PairwiseJudge, generator or None, loaded model or None) for a judge unit."""
    from xlrm import chat
    from xlrm.eval.judge import DEFAULT_SYSTEM, DEFAULT_TEMPLATE, PairwiseJudge

    j = cfg.judge
    kw = {
        "template": j.template or DEFAULT_TEMPLATE,
        "system": DEFAULT_SYSTEM if j.system is None else j.system,
        "max_retries": j.max_retries,
    }
    if u.kind == "endpoint_judge":
        judge = PairwiseJudge.from_endpoint(
            j.base_url,
            j.model,
            api_key_env=j.api_key_env,
            concurrency=j.concurrency,
            temperature=j.temperature,
            max_tokens=j.max_tokens,
            timeout_s=j.timeout_s,
            http_retries=j.http_retries,
            **kw,
        )
        judge.name = u.name
        return judge, None, None
    from xlrm.eval.scorer import HFJudgeGenerator, load_causal_lm

    lm = load_causal_lm(u.name, _options(u.path, cfg))
    gen = HFJudgeGenerator(
        lm, max_new_tokens=j.max_tokens, template=chat.resolve_template(lm.tokenizer, cfg.chat_template)
    )
    return PairwiseJudge(gen, batch_size=j.batch_size, name=u.name, **kw), gen, lm


def _score_judge(u: Unit, cfg: EvalRMConfig, data, out: Path):
    import time

    from xlrm import chat
    from xlrm.eval.judge import _normalize

    judge, gen, lm = _judge(u, cfg)
    rows = data.table.select(["id", "language", "subset", "prompt", "chosen", "rejected"]).to_pylist()
    too_long: Counter = Counter()
    kept: list[dict] = []
    for r in rows:
        if gen is not None and cfg.max_length:
            # a Hugging Face judge must read the whole prompt and still have room to answer
            p = _normalize([r])[0]
            need = (
                max(len(gen.render(judge.messages(p, order))) for order in ("A", "B")) + cfg.judge.max_tokens
            )
            if need > cfg.max_length:
                too_long[r["language"]] += 1
                continue
        kept.append(r)
    started = time.perf_counter()
    records, counts = [], Counter()
    by_lang: dict[str, list[dict]] = {}
    for r in kept:
        by_lang.setdefault(r["language"], []).append(r)
    for lang, pairs in sorted(by_lang.items()):
        result = judge.judge(pairs)  # ids are unique within a language
        counts.update(result.counts)
        records += [(lang, p, rec) for p, rec in zip(pairs, result.records, strict=True)]
    seconds = time.perf_counter() - started
    ids = [p["id"] for _, p, _ in records]
    tok_table = pa.table(
        {
            "id": pa.array(ids, pa.string()),
            "language": pa.array([lang for lang, _, _ in records], pa.string()),
            "subset": pa.array([p["subset"] for _, p, _ in records], pa.string()),
        }
    )
    votes = np.array([_votes(rec) for _, _, rec in records]).reshape(-1, 2)
    verdict = [rec.verdict for _, _, rec in records]
    table = _unit_table(u.name, tok_table, votes[:, 0], votes[:, 1], np.zeros(len(records), bool), verdict)
    file = f"{u.file}.judge.jsonl"
    path = out / file
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for lang, _, rec in records:
            f.write(json.dumps({"language": lang, **rec.to_dict()}, ensure_ascii=False) + "\n")
    tok_dropped = {lang: Counter({"too_long": n}) for lang, n in too_long.items()}
    info = _base_info(data, tok_dropped, {}, _per_language(table))
    model_info = lm.info if lm is not None else {"endpoint": judge.name, "model": cfg.judge.model}
    info.update(
        model=model_info,
        template=chat.template_info(lm.tokenizer, gen.template) if lm is not None else None,
        timing={
            "pairs": len(records),
            "seconds": round(seconds, 3),
            "pairs_per_s": round(len(records) / seconds, 2) if seconds > 0 else None,
        },
        judge=dict(counts),
    )
    if lm is not None:
        _free(lm, gen)
    return table, info, [file]


def _votes(rec) -> tuple[float, float]:
    """How many of the two orders preferred chosen and rejected (a tie is half a vote each; an
    unreadable order none). The verdict column, not these, decides the pair."""
    c = r = 0.0
    for order in (rec.chosen_first, rec.chosen_second):
        if order.verdict == "chosen":
            c += 1
        elif order.verdict == "rejected":
            r += 1
        elif order.verdict == "tie":
            c += 0.5
            r += 0.5
    return c, r


# ---------------------------------------------------------------------------------------------
# Tables from a scores file


def _run_from_scores(cfg: EvalRMConfig) -> dict:
    path = Path(cfg.from_scores)
    described = [describe_path(path, role="scores")]

    def work(ws) -> StageResult:
        import pyarrow.parquet as pq

        table = scores_file_table(path, kind=cfg.kind)
        pq.write_table(table, ws.path / "scores.parquet")
        outputs = [Output("scores.parquet", "scores", table.num_rows)]
        *tables, summary = _table_outputs(cfg, table, ws.path)
        counts = {
            "in": table.num_rows,
            "out": table.num_rows,
            "dropped_by_reason": {},
            "models": summary["counts"]["models"],
            "languages": summary["counts"]["languages"],
        }
        return StageResult(counts, outputs + tables, {"tables": summary, "from_scores": str(path)})

    return run_stage(
        "eval-rm",
        cfg.out,
        config=fingerprinted(cfg),
        inputs=described,
        work=work,
        force=cfg.force,
        input_paths=[path],
    )


def scores_file_table(path: str | Path, *, kind: str = "classifier") -> pa.Table:
    """A per-pair scores file, validated (:func:`xlrm.eval.scoring.read_scores`: errors name the file,
    row and field), as the ``scores.parquet`` table: labels as text, scores as float64."""
    from xlrm.eval.scoring import _read_source, read_scores

    scores = read_scores(path, kind=kind)
    columns, _, _, _ = _read_source(path)
    cols = {
        "id": pa.array(list(scores.id), pa.string()),
        "language": pa.array(list(scores.language), pa.string()),
        "subset": pa.array(list(scores.subset), pa.string()),
        "score_chosen": pa.array(_floats(columns.get("score_chosen"), len(scores))),
        "score_rejected": pa.array(_floats(columns.get("score_rejected"), len(scores))),
        "model": pa.array(list(scores.model), pa.string()),
    }
    if "verdict" in columns:
        v = columns["verdict"]
        values = v.to_pylist() if isinstance(v, pa.ChunkedArray) else list(v)
        cols["verdict"] = pa.array(
            [x.strip().lower() if isinstance(x, str) and x.strip() else None for x in values], pa.string()
        )
    return pa.table(cols)


def _floats(col, n: int) -> np.ndarray:
    if col is None:
        return np.full(n, np.nan)
    if isinstance(col, pa.ChunkedArray):
        return col.cast(pa.float64()).fill_null(float("nan")).to_numpy()
    return np.array(
        [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else np.nan for v in col]
    )
