"""``xlrm translate``: English preference pairs → one Parquet file per target language.

    xlrm translate runs/dedup --out runs/translate --languages es it ko zh [--config run.yaml]

Reads pairs in the xlrm schema (a pair file, or the output folder of ``data`` or ``dedup``),
translates every message of prompt, chosen and rejected with the configured backend, checks each
translated pair, and writes ``<out>/<lang>.parquet`` per target language plus the source-language
pairs it read (``<source>.parquet``), so the folder holds the whole parallel set for ``train-rm``.
Each language is a unit with its own fingerprint: adding a language translates only that one.
Translations are cached in SQLite (``<out>.cache.sqlite`` unless ``cache`` says otherwise), so a
rerun or a resumed run translates nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from xlrm.config import fingerprinted
from xlrm.data.pairfile import pair_files, read_pair_rows
from xlrm.manifest import Output, StageResult, describe_path, fingerprint, run_stage
from xlrm.translate.config import TranslateConfig

log = logging.getLogger("xlrm.translate")


def run_translate(cfg: TranslateConfig, inputs: list[str]) -> dict:
    if len(inputs) != 1:
        from xlrm.errors import ConfigError

        raise ConfigError(
            f"xlrm translate reads one input (a pair file or a stage folder), got {len(inputs)}"
        )
    return translate(inputs[0], cfg.out, cfg, force=cfg.force)


# --- the stage ----------------------------------------------------------------


def _language_order(cfg: TranslateConfig) -> list[str]:
    """Target languages grouped by model (each model loads once), in the order given otherwise."""
    first: dict[str, int] = {}
    for i, lang in enumerate(cfg.languages):
        first.setdefault(cfg.model_for(lang), i)
    return sorted(cfg.languages, key=lambda lang: (first[cfg.model_for(lang)], cfg.languages.index(lang)))


def _unit_fingerprints(cfg: TranslateConfig, inputs: list[dict]) -> dict[str, str]:
    """Per target language: everything but the other languages (and their models)."""
    shared = {k: v for k, v in fingerprinted(cfg).items() if k not in ("languages", "models")}
    return {
        lang: fingerprint(
            {"shared": shared, "language": lang, "model": cfg.model_for(lang), "inputs": inputs}
        )
        for lang in cfg.languages
    }


def translate(
    input_path: str | Path,
    out_dir: str | Path,
    cfg: TranslateConfig,
    *,
    force: bool = False,
    make_backend: Callable | None = None,
    detector=None,
    on_batch: Callable[[int], None] | None = None,
) -> dict:
    """Run the stage; ``make_backend(cfg, model_id, langs)`` and ``detector`` may be injected (tests)."""
    from xlrm.translate.backends import make_backend as default_make_backend

    make_backend = make_backend or default_make_backend
    out = Path(out_dir)
    cache_path = Path(cfg.cache) if cfg.cache else out.with_name(out.name + ".cache.sqlite")
    files = pair_files(input_path)
    inputs = [describe_path(f) for f in files]
    units = _unit_fingerprints(cfg, inputs)

    def work(ws) -> StageResult:
        rows = read_pair_rows(files)
        return _work(ws, rows, cfg, units, cache_path, make_backend, detector, on_batch)

    return run_stage(
        "translate",
        out,
        config=fingerprinted(cfg),
        inputs=inputs,
        work=work,
        force=force,
        input_paths=[input_path],
    )


def _work(
    ws,
    rows: list[dict],
    cfg: TranslateConfig,
    units: dict,
    cache_path: Path,
    make_backend,
    detector,
    on_batch,
) -> StageResult:
    import pyarrow.parquet as pq

    from xlrm.data.schema import pairs_to_table
    from xlrm.translate.cache import TranslationCache
    from xlrm.translate.translator import (
        LanguageStats,
        Planner,
        malformed_reason,
        stats_dict,
        translate_language,
    )

    dropped: Counter = Counter()
    examples = []
    pairs = []
    for n, row in enumerate(rows, 1):
        reason = malformed_reason(row)
        if reason is not None:
            dropped["malformed"] += 1
            if len(examples) < 10:
                rid = row.get("id") if isinstance(row, dict) else None
                examples.append({"row": n, "id": rid, "reason": reason})
            continue
        if row["language"] != cfg.source_language:
            dropped["not_source_language"] += 1
            continue
        pairs.append(row)
    if dropped["malformed"]:
        log.warning(
            "%d malformed rows skipped, e.g. row %d (id %r): %s",
            dropped["malformed"],
            examples[0]["row"],
            examples[0]["id"],
            examples[0]["reason"],
        )
    if dropped["not_source_language"]:
        log.info(
            "%d rows are not in the source language %r and are not translated",
            dropped["not_source_language"],
            cfg.source_language,
        )

    tmp: Path = ws.path
    pq.write_table(pairs_to_table(pairs), tmp / f"{cfg.source_language}.parquet")
    planner = Planner(cfg.split_lines)
    per_lang: dict[str, dict] = {}
    models: dict[str, str] = {}
    backend = None
    current_model = None
    order = _language_order(cfg)
    cache = None
    try:
        for lang in order:
            model_id = cfg.model_for(lang)
            models[lang] = model_id
            if ws.reuse(lang, units[lang]):
                per_lang[lang] = ws.unit_info(lang)["stats"]
                log.info("%s: unchanged since the last run, kept", lang)
                continue
            if not pairs:  # nothing to translate: no model to load
                pq.write_table(pairs_to_table([]), tmp / f"{lang}.parquet")
                per_lang[lang] = stats_dict(LanguageStats(), 0, 0, 0)
                log.warning("%s: no %r pairs in the input; wrote an empty file", lang, cfg.source_language)
                ws.finish(lang, units[lang], [f"{lang}.parquet"], {"stats": per_lang[lang]})
                continue
            if model_id != current_model:
                if backend is not None:
                    backend.close()
                    backend = None
                langs = [x for x in order if cfg.model_for(x) == model_id]
                backend = make_backend(cfg, model_id, langs)
                current_model = model_id
            if cache is None:  # opened once a backend loaded, so a bad model leaves no cache file
                cache = TranslationCache(cache_path)
            if detector is None and cfg.checks.language:
                from xlrm.translate.checks import LinguaDetector

                detector = LinguaDetector(
                    [cfg.source_language, *cfg.languages, *cfg.checks.detector_languages],
                    cfg.checks.low_accuracy,
                )
            plans, plan_stats = planner.plan(pairs, backend)
            out_pairs, stats = translate_language(
                plans, backend, cache, cfg, lang, detector, on_batch=on_batch
            )
            pq.write_table(pairs_to_table(out_pairs), tmp / f"{lang}.parquet")
            per_lang[lang] = stats_dict(stats, len(pairs), len(out_pairs), plan_stats["long_splits"])
            ws.finish(lang, units[lang], [f"{lang}.parquet"], {"stats": per_lang[lang]})
            c = per_lang[lang]
            log.info(
                "%s: %d/%d pairs kept; %d segments translated, %d cache hits; %s seg/s, %s tok/s",
                lang,
                c["pairs_out"],
                c["pairs_in"],
                c["translated"],
                c["cache_hits"],
                c["segments_per_s"],
                c["tokens_per_s"],
            )
    finally:
        if backend is not None:
            backend.close()
        if cache is not None:
            cache.close()

    protected = dict(sorted(planner.protected.items()))
    by_reason: Counter = Counter({k: v for k, v in dropped.items() if v})
    for c in per_lang.values():
        by_reason.update({k: v for k, v in c["dropped"].items() if v})
    counts = {
        "in": len(rows),
        "out": sum(per_lang[lang]["pairs_out"] for lang in cfg.languages),
        "dropped_by_reason": dict(by_reason),
        "pairs": len(pairs),
        "messages": sum(len(p[f]) for p in pairs for f in ("prompt", "chosen", "rejected")),
        "protected_segments": sum(protected.values()),
        "protected_by_kind": protected,
        "languages": {lang: per_lang[lang] for lang in cfg.languages},
    }
    extra = {
        "backend": cfg.backend,
        "models": {lang: models[lang] for lang in cfg.languages},
        "cache": str(cache_path),
        "malformed_examples": examples,
    }
    outputs = [Output(f"{cfg.source_language}.parquet", "pairs", len(pairs), unit=cfg.source_language)]
    outputs += [
        Output(f"{lang}.parquet", "pairs", per_lang[lang]["pairs_out"], unit=lang) for lang in cfg.languages
    ]
    return StageResult(counts, outputs, extra)
