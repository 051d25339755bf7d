"""``xlrm translate``: English preference pairs → one Parquet file per target language.

    xlrm translate pairs.parquet --out runs/x/translate --languages es it ko zh [--config run.yaml]

Reads pairs in the xlrm schema (a Parquet file, a folder of Parquet files such as a ``data``
stage output, or JSONL), translates every message of prompt, chosen and rejected with the
configured backend, checks each translated pair, and writes ``<out>/<lang>.parquet`` plus
``manifest.json``. Translations are cached in SQLite (``<out>.cache.sqlite`` unless
``cache`` says otherwise), so a rerun or a resumed run translates nothing twice.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from xlrm.config import add_config_arguments, config_from_args, to_dict
from xlrm.data.pairfile import pair_files, read_pair_rows
from xlrm.manifest import StageResult, file_sha256, run_stage
from xlrm.translate.config import TranslateConfig

HELP = "Translate English preference data into target languages (cached, checked)"
log = logging.getLogger("xlrm.translate")
_NOT_FINGERPRINTED = ("cache", "progress")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", help="pairs in the xlrm schema: Parquet file, folder of Parquet files, or JSONL(.gz)"
    )
    parser.add_argument(
        "--out", required=True, help="output folder: <lang>.parquet per language + manifest.json"
    )
    parser.add_argument("--config", help="YAML config (the whole file or its `translate:` section)")
    parser.add_argument("--force", action="store_true", help="rerun even if the output is current")
    add_config_arguments(parser, TranslateConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_from_args(TranslateConfig, args, section="translate")
    manifest = translate(args.input, args.out, cfg, force=args.force)
    if manifest.get("skipped"):
        print(f"xlrm translate: {args.out} is current (same input and config); --force reruns it")
        return 0
    for lang, c in manifest["counts"]["languages"].items():
        dropped = sum(c["dropped"].values())
        print(
            f"{lang}: {c['pairs_out']}/{c['pairs_in']} pairs kept ({dropped} dropped), "
            f"{c['translated']} segments translated, {c['cache_hits']} from the cache"
        )
    print(f"wrote {args.out}")
    return 0


# --- input ------------------------------------------------------------------


def read_pairs(path: str | Path) -> tuple[list[dict], list[dict]]:
    """→ (rows, inputs for the manifest): the pair file(s) at ``path`` as dicts, validated later."""
    files = pair_files(path)
    rows = read_pair_rows(files)
    return rows, [{"path": str(f), "sha256": file_sha256(f)} for f in files]


# --- the stage ----------------------------------------------------------------


def _language_order(cfg: TranslateConfig) -> list[str]:
    """Target languages grouped by model (each model loads once), in the order given otherwise."""
    first: dict[str, int] = {}
    for i, lang in enumerate(cfg.languages):
        first.setdefault(cfg.model_for(lang), i)
    return sorted(cfg.languages, key=lambda lang: (first[cfg.model_for(lang)], cfg.languages.index(lang)))


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
    rows, inputs = read_pairs(input_path)
    config = {k: v for k, v in to_dict(cfg).items() if k not in _NOT_FINGERPRINTED}

    def work(tmp: Path) -> StageResult:
        return _work(tmp, rows, cfg, cache_path, make_backend, detector, on_batch)

    return run_stage("translate", out, config=config, inputs=inputs, work=work, force=force)


def _work(
    tmp: Path, rows: list[dict], cfg: TranslateConfig, cache_path: Path, make_backend, detector, on_batch
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

    if detector is None and cfg.checks.language:
        from xlrm.translate.checks import LinguaDetector

        detector = LinguaDetector(
            [cfg.source_language, *cfg.languages, *cfg.checks.detector_languages], cfg.checks.low_accuracy
        )

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
            if not pairs:  # nothing to translate: no model to load
                pq.write_table(pairs_to_table([]), tmp / f"{lang}.parquet")
                models[lang] = model_id
                per_lang[lang] = stats_dict(LanguageStats(), 0, 0, 0)
                log.warning("%s: no %r pairs in the input; wrote an empty file", lang, cfg.source_language)
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
            models[lang] = model_id
            plans, plan_stats = planner.plan(pairs, backend)
            out_pairs, stats = translate_language(
                plans, backend, cache, cfg, lang, detector, on_batch=on_batch
            )
            pq.write_table(pairs_to_table(out_pairs), tmp / f"{lang}.parquet")
            per_lang[lang] = stats_dict(stats, len(pairs), len(out_pairs), plan_stats["long_splits"])
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
    counts = {
        "input_rows": len(rows),
        "pairs": len(pairs),
        "messages": sum(len(p[f]) for p in pairs for f in ("prompt", "chosen", "rejected")),
        "dropped": {"malformed": dropped["malformed"], "not_source_language": dropped["not_source_language"]},
        "protected_segments": sum(protected.values()),
        "protected_by_kind": protected,
        "languages": {lang: per_lang[lang] for lang in cfg.languages},
    }
    extra = {
        "backend": cfg.backend,
        "models": {lang: models[lang] for lang in cfg.languages},
        "cache": str(cache_path),
        "outputs": {lang: f"{lang}.parquet" for lang in cfg.languages},
        "malformed_examples": examples,
    }
    return StageResult(counts=counts, extra=extra)
