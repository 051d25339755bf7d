"""The tables of ``xlrm eval-rm``: per model × language results, the transfer matrix and the gaps of
target-language RMs to the English RM.

Written into one folder::

    results/<model>/<language>.json   RewardBench's per-model layout, with counts, weights and CIs
    transfer.parquet                  long form: model, language, metric, score, CI, n, language metadata
    transfer.csv                      wide: one row per (metric, model), one column per evaluation language
    transfer.md                       the matrices (percent, with CIs) and the languages' metadata
    transfer_overall.png              heatmap of the overall matrix (needs matplotlib)
    transfer_sections.png             heatmaps of the four section matrices
    gap.parquet, gap.md               English RM minus each target-language RM on that RM's own language,
                                      with paired-bootstrap CIs, and their mean over languages

Rows of the matrix are the RMs' labels (``model``: by convention the training language), columns the
evaluation languages. Machine-readable files hold fractions (0-1); Markdown and plots show percent.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

from xlrm.eval.rewardbench import SECTION_TITLES, SECTIONS
from xlrm.eval.scoring import (
    LEVEL,
    METRICS,
    CellResult,
    Gap,
    PairScores,
    check_weights,
    interval,
    paired_gap,
    read_scores,
    score,
)

ENGLISH = "en"
META_FIELDS = ("name", "family", "script", "resource", "resource_level")
METRIC_TITLES = {"overall": "Overall", **SECTION_TITLES}


def write_tables(
    scores_table: pa.Table | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    weights: str = "observed",
    kind: str = "classifier",
    bootstrap: int = 1000,
    seed: int = 0,
    model: str | None = None,
    english: str = ENGLISH,
    plots: bool = True,
) -> dict:
    """Score ``scores_table`` (an Arrow table, a .parquet/.jsonl/.csv file of per-pair scores, or
    already-read ``PairScores``) and write every table into ``out_dir``.

    Returns ``{"files": {relative path: role}, "counts": {...}, "unmapped": {subset: pairs},
    "missing": {"model/language": [subsets]}, "notes": [...]}`` for the stage's manifest. ``model``
    labels the rows when the input has no ``model`` column; ``english`` is the label of the English RM
    the gaps are taken against; ``plots=False`` (or no matplotlib) skips the PNGs."""
    check_weights(weights)
    scores = (
        scores_table
        if isinstance(scores_table, PairScores)
        else read_scores(scores_table, kind=kind, model=model)
    )
    cells = score(scores, weights=weights, bootstrap=bootstrap, seed=seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    models, languages = scores.models, scores.languages
    meta = {code: language_info(code) for code in languages}
    files: dict[str, str] = {}
    notes: list[str] = []
    files.update(write_results(cells, out))
    files.update(write_transfer(cells, models, languages, meta, out))
    if plots:
        written, why = write_heatmaps(cells, models, languages, out)
        files.update(written)
        notes.extend(why)
    gaps = english_gaps(scores, english=english, weights=weights, bootstrap=bootstrap, seed=seed)
    if gaps:
        files.update(write_gaps(gaps, meta, out))
    else:
        notes.append(
            f"no gap table: it needs an English RM (model label {english!r}) and an RM labelled with an "
            "evaluation language, both scored on that language"
        )
    notes.extend(_gap_notes(gaps))
    return _summary(scores, cells, gaps, files, notes)


# ---------------------------------------------------------------------------------------------
# Language metadata


def language_info(code: str) -> dict:
    """Name, family, script and resource level of a language, or Nones where xlrm does not know it."""
    try:
        from xlrm.languages import language
    except ImportError:
        return dict.fromkeys(META_FIELDS)
    try:
        entry = language(code)
    except (LookupError, ValueError):  # an unknown code (xlrm's ConfigError is a ValueError)
        return dict.fromkeys(META_FIELDS)
    return {f: _plain(getattr(entry, f, None)) for f in META_FIELDS}


def _plain(value):
    """Metadata as JSON/Arrow-friendly scalars."""
    return value if value is None or isinstance(value, (str, int, float)) else str(value)


# ---------------------------------------------------------------------------------------------
# Per-cell results


def write_results(cells: Mapping[tuple[str, str], CellResult], out: Path) -> dict[str, str]:
    """One RewardBench-style JSON per model × language under ``results/<model>/<language>.json``."""
    files = {}
    model_dirs = safe_names(sorted({m for m, _ in cells}))
    lang_files = safe_names(sorted({lang for _, lang in cells}))
    for (m, lang), cell in cells.items():
        rel = f"results/{model_dirs[m]}/{lang_files[lang]}.json"
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(cell.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        files[rel] = f"results: model {m} on {lang}"
    return files


def safe_names(labels: Sequence[str]) -> dict[str, str]:
    """A file-system-safe, distinct name for each label (labels may hold '/', spaces, dots)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for label in labels:
        base = re.sub(r"[^A-Za-z0-9._-]+", "_", label).strip("_") or "_"
        if base.startswith("."):  # never '.', '..' or a hidden file
            base = "_" + base
        name, k = base, 2
        while name in used:
            name, k = f"{base}-{k}", k + 1
        used.add(name)
        out[label] = name
    return out


# ---------------------------------------------------------------------------------------------
# Transfer matrix


def transfer_rows(
    cells: Mapping[tuple[str, str], CellResult], meta: Mapping[str, dict] | None = None
) -> list[dict]:
    """The long-form matrix: one row per (model, language, metric)."""
    rows = []
    for (m, lang), cell in cells.items():
        for metric in METRICS:
            ci = cell.metric_ci(metric)
            rows.append(
                {
                    "model": m,
                    "language": lang,
                    "metric": metric,
                    "score": cell.metric(metric),
                    "ci_low": None if ci is None else ci[0],
                    "ci_high": None if ci is None else ci[1],
                    "n": cell.n if metric == "overall" else cell.sections[metric].n,
                    "complete": _complete(cell, metric),
                    **{
                        f"language_{k}": v
                        for k, v in (meta or {}).get(lang, dict.fromkeys(META_FIELDS)).items()
                    },
                }
            )
        # pairs of no RewardBench section (a train-rm held-out split, a local preference set):
        # accuracy per subset, as its own metric, so that they are in the tables and not only counted
        for name, sub in cell.unmapped.items():
            rows.append(
                {
                    **rows[-1],
                    "metric": unmapped_metric(name),
                    "score": sub.accuracy,
                    "ci_low": None if sub.ci is None else sub.ci[0],
                    "ci_high": None if sub.ci is None else sub.ci[1],
                    "n": sub.n,
                    "complete": True,
                }
            )
    return rows


def unmapped_metric(subset: str) -> str:
    """The metric name of the accuracy on a subset that belongs to no section."""
    return f"subset:{subset}"


def _unmapped_names(cells: Mapping[tuple[str, str], CellResult]) -> list[str]:
    return sorted({name for cell in cells.values() for name in cell.unmapped})


def _complete(cell: CellResult, metric: str) -> bool:
    """Whether every expected subset behind this number was scored."""
    return cell.complete if metric == "overall" else not cell.sections[metric].missing


def write_transfer(
    cells: Mapping[tuple[str, str], CellResult],
    models: Sequence[str],
    languages: Sequence[str],
    meta: Mapping[str, dict],
    out: Path,
) -> dict[str, str]:
    import pyarrow.parquet as pq

    pq.write_table(_table(transfer_rows(cells, meta)), out / "transfer.parquet")
    with open(out / "transfer.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["metric", "model", *languages])
        for metric in METRICS:
            for m in models:
                w.writerow([metric, m, *(_csv_num(cells, m, lang, metric) for lang in languages)])
        for name in _unmapped_names(cells):
            for m in models:
                accs = [
                    cells[(m, lang)].unmapped.get(name) if (m, lang) in cells else None for lang in languages
                ]
                w.writerow([unmapped_metric(name), m, *("" if a is None else repr(a.accuracy) for a in accs)])
    (out / "transfer.md").write_text(transfer_markdown(cells, models, languages, meta), encoding="utf-8")
    return {
        "transfer.parquet": "transfer matrix, long form (model, language, metric, score, CI, n, language metadata)",
        "transfer.csv": "transfer matrix, wide (one row per metric and model, one column per evaluation language)",
        "transfer.md": "transfer matrices in percent with CIs, and the evaluation languages' metadata",
    }


def _table(rows: list[dict]) -> pa.Table:
    """Rows → Arrow; NaN stays NaN in float columns (Parquet keeps it; nulls mean 'no interval')."""
    return pa.Table.from_pylist(rows)


def _csv_num(cells, m: str, lang: str, metric: str) -> str:
    cell = cells.get((m, lang))
    if cell is None or math.isnan(cell.metric(metric)):
        return ""
    return repr(cell.metric(metric))


def transfer_markdown(
    cells: Mapping[tuple[str, str], CellResult],
    models: Sequence[str],
    languages: Sequence[str],
    meta: Mapping[str, dict],
) -> str:
    any_cell = next(iter(cells.values()), None)
    lines = ["# Transfer matrix", ""]
    if any_cell is not None:
        lines += [
            f"Rows: reward model (training language); columns: evaluation language. Accuracy in percent; "
            f"{int(LEVEL * 100)}% bootstrap CI in parentheses ({any_cell.resamples} resamples, seed "
            f"{any_cell.seed}); weights: {any_cell.weights}; scores: {any_cell.kind}.",
            "",
        ]
    lines += [
        "## Evaluation languages",
        "",
        "| code | name | family | script | resource |",
        "|---|---|---|---|---|",
    ]
    for lang in languages:
        info = meta.get(lang, {})
        resource = _text(info.get("resource"))
        if info.get("resource_level") is not None:
            resource += f" ({info['resource_level']})"
        cols = [_text(info.get("name")), _text(info.get("family")), _text(info.get("script")), resource]
        lines.append(f"| {lang} | " + " | ".join(cols) + " |")
    incomplete = False
    for metric in METRICS:
        lines += ["", f"## {METRIC_TITLES[metric]}", "", "| RM \\ eval | " + " | ".join(languages) + " |"]
        lines.append("|---" * (len(languages) + 1) + "|")
        for m in models:
            row = []
            for lang in languages:
                cell = cells.get((m, lang))
                row.append(_md_cell(cell, metric))
                incomplete |= cell is not None and not _complete(cell, metric)
            lines.append(f"| {m} | " + " | ".join(row) + " |")
    for name in _unmapped_names(cells):
        lines += [
            "",
            f"## Outside RewardBench's sections: `{name}`",
            "",
            "_Accuracy on the pairs of this subset (in no section, so in no score above); n pairs per cell._",
            "",
            "| RM \\ eval | " + " | ".join(languages) + " |",
            "|---" * (len(languages) + 1) + "|",
        ]
        for m in models:
            row = []
            for lang in languages:
                sub = cells[(m, lang)].unmapped.get(name) if (m, lang) in cells else None
                if sub is None:
                    row.append("—")
                    continue
                ci = f" ({_pct(sub.ci[0])}–{_pct(sub.ci[1])})" if sub.ci is not None else ""
                row.append(f"{_pct(sub.accuracy)}{ci}, n={sub.n}")
            lines.append(f"| {m} | " + " | ".join(row) + " |")
    if incomplete:
        lines += [
            "",
            "\\* some expected subsets were not scored in this cell; see its results JSON (`missing_subsets`, `notes`).",
        ]
    lines += ["", "— : not scored (no pair of the cell, or no subset of the section).", ""]
    return "\n".join(lines)


def _text(value) -> str:
    return "—" if value is None else str(value)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _md_cell(cell: CellResult | None, metric: str) -> str:
    if cell is None or math.isnan(cell.metric(metric)):
        return "—"
    text = _pct(cell.metric(metric))
    ci = cell.metric_ci(metric)
    if ci is not None:
        text += f" ({_pct(ci[0])}–{_pct(ci[1])})"
    return text + ("" if _complete(cell, metric) else "\\*")


# ---------------------------------------------------------------------------------------------
# Heatmaps


def matrix(cells: Mapping[tuple[str, str], CellResult], models, languages, metric: str) -> np.ndarray:
    """models × languages scores for one metric (NaN where a cell was not scored)."""
    return np.array(
        [
            [cells[(m, lang)].metric(metric) if (m, lang) in cells else np.nan for lang in languages]
            for m in models
        ]
    )


def write_heatmaps(cells, models, languages, out: Path) -> tuple[dict[str, str], list[str]]:
    """The overall heatmap and the four section heatmaps; ({}, [why]) without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return {}, ["no heatmaps: matplotlib is not installed (pip install 'xlrm[plots]')"]
    panels = {"transfer_overall.png": ("overall",), "transfer_sections.png": SECTIONS}
    for name, metrics in panels.items():
        fig, rects = _figure(Figure, models, languages, len(metrics))
        FigureCanvasAgg(fig)  # a canvas of our own: no pyplot state, no display backend
        for rect, metric in zip(rects, metrics, strict=True):
            _heatmap(
                fig.add_axes(rect),
                matrix(cells, models, languages, metric),
                models,
                languages,
                METRIC_TITLES[metric],
            )
        fig.savefig(out / name, dpi=110)
    return {
        "transfer_overall.png": "heatmap of the overall transfer matrix",
        "transfer_sections.png": "heatmaps of the four section transfer matrices",
    }, []


def _figure(Figure, models, languages, panels: int):
    """A figure sized to the matrix and the rectangles of its panels (one, or 2 × 2), with margins in
    inches for the labels: fixed margins, as matplotlib's constrained layout takes most of the drawing
    time."""
    cols = rows = 1 if panels == 1 else 2
    axes_w, axes_h = 0.62 * max(len(languages), 1), 0.42 * max(len(models), 1)
    left = 0.6 + 0.08 * max((len(m) for m in models), default=1)
    bottom = 0.2 + 0.08 * max((len(lang) for lang in languages), default=1) + 0.3
    top, right = 0.35, 0.15
    box_w, box_h = left + axes_w + right, bottom + axes_h + top
    fig = Figure(figsize=(cols * box_w, rows * box_h))
    rects = []
    for i in range(panels):
        r, c = divmod(i, cols)
        x0 = (c * box_w + left) / (cols * box_w)
        y0 = ((rows - 1 - r) * box_h + bottom) / (rows * box_h)
        rects.append((x0, y0, axes_w / (cols * box_w), axes_h / (rows * box_h)))
    return fig, rects


def _heatmap(ax, values: np.ndarray, models, languages, title: str) -> None:
    from matplotlib import colormaps

    pct = 100 * values
    finite = pct[np.isfinite(pct)]
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 100.0)
    cmap = colormaps["viridis"].with_extremes(bad="lightgrey")
    ax.imshow(np.ma.masked_invalid(pct), cmap=cmap, vmin=low, vmax=max(high, low + 1e-9), aspect="auto")
    ax.set_xticks(range(len(languages)), labels=list(languages))
    ax.set_yticks(range(len(models)), labels=list(models))
    ax.set_xlabel("evaluation language")
    ax.set_ylabel("RM (training language)")
    ax.set_title(title)
    middle = (low + high) / 2
    for (r, c), v in np.ndenumerate(pct):
        text = "—" if math.isnan(v) else f"{v:.1f}"
        ax.text(
            c,
            r,
            text,
            ha="center",
            va="center",
            fontsize=8,
            color="black" if not math.isnan(v) and v > middle else "white",
        )


# ---------------------------------------------------------------------------------------------
# Gaps to the English RM


def english_gaps(
    scores: PairScores,
    *,
    english: str = ENGLISH,
    weights: str = "observed",
    bootstrap: int = 1000,
    seed: int = 0,
) -> list[dict[str, Gap]]:
    """For each RM labelled with an evaluation language other than English: English RM minus that RM
    on that language, per metric, with a paired bootstrap."""
    present = set(zip(scores.model.tolist(), scores.language.tolist(), strict=True))
    targets = [m for m in scores.models if m != english and (m, m) in present and (english, m) in present]
    return [
        paired_gap(scores, english, target, target, weights=weights, bootstrap=bootstrap, seed=seed)
        for target in targets
    ]


def gap_rows(gaps: Sequence[Mapping[str, Gap]], meta: Mapping[str, dict] | None = None) -> list[dict]:
    """One row per (target language, metric), then the mean over languages per metric."""
    rows = []
    for per_metric in gaps:
        for metric, g in per_metric.items():
            rows.append(
                _gap_row(
                    g.language,
                    g.model_b,
                    g.model_a,
                    metric,
                    g.score_a,
                    g.score_b,
                    g.gap,
                    g.ci,
                    g.n_pairs,
                    g.n_unmatched,
                    "language",
                    meta,
                )
            )
    for metric in METRICS if gaps else ():
        mean = mean_gap(gaps, metric)
        rows.append(_gap_row("mean", None, gaps[0][metric].model_a, metric, *mean, None, None, "mean", None))
    return rows


def mean_gap(
    gaps: Sequence[Mapping[str, Gap]], metric: str
) -> tuple[float, float, float, tuple[float, float] | None]:
    """The mean over target languages of (English score, target score, gap) and the gap's CI: languages
    are resampled independently, so the mean of their bootstrap gaps is a bootstrap of the mean gap."""
    picked = [g[metric] for g in gaps]
    english = float(np.mean([g.score_a for g in picked]))
    target = float(np.mean([g.score_b for g in picked]))
    gap = float(np.mean([g.gap for g in picked]))
    return english, target, gap, interval(np.mean([g.samples for g in picked], axis=0))


def _gap_row(
    language,
    target_model,
    english_model,
    metric,
    english,
    target,
    gap,
    ci,
    n_pairs,
    n_unmatched,
    row_kind,
    meta,
) -> dict:
    info = (meta or {}).get(language, dict.fromkeys(META_FIELDS))
    return {
        "language": language,
        "target_model": target_model,
        "english_model": english_model,
        "metric": metric,
        "english": english,
        "target": target,
        "gap": gap,
        "ci_low": None if ci is None else ci[0],
        "ci_high": None if ci is None else ci[1],
        "n_pairs": n_pairs,
        "n_unmatched": n_unmatched,
        "row_kind": row_kind,
        **{f"language_{k}": v for k, v in info.items()},
    }


def write_gaps(gaps: Sequence[Mapping[str, Gap]], meta: Mapping[str, dict], out: Path) -> dict[str, str]:
    import pyarrow.parquet as pq

    rows = gap_rows(gaps, meta)
    pq.write_table(_table(rows), out / "gap.parquet")
    (out / "gap.md").write_text(gap_markdown(rows), encoding="utf-8")
    return {
        "gap.parquet": "English RM minus each target-language RM on its own language, per metric, paired-bootstrap CI",
        "gap.md": "the gaps in percentage points with CIs, and their mean over languages",
    }


def gap_markdown(rows: Sequence[dict]) -> str:
    by_language: dict[str, dict[str, dict]] = {}
    for r in rows:
        by_language.setdefault(r["language"], {})[r["metric"]] = r
    english = rows[0]["english_model"] if rows else ENGLISH
    lines = [
        f"# English RM ({english}) minus target-language RM, on the target language",
        "",
        f"Percentage points; positive: the English RM is more accurate. {int(LEVEL * 100)}% paired-bootstrap CI "
        "in parentheses (both RMs scored on the same resampled pairs).",
        "",
        "| language | RM | pairs | " + " | ".join(METRIC_TITLES[m] for m in METRICS) + " |",
        "|---" * (3 + len(METRICS)) + "|",
    ]
    for lang, per_metric in by_language.items():
        first = per_metric["overall"]
        cells = [_md_gap(per_metric[m]) for m in METRICS]
        label = "**mean**" if first["row_kind"] == "mean" else lang
        pairs = "" if first["n_pairs"] is None else str(first["n_pairs"])
        lines.append(f"| {label} | {_text(first['target_model'])} | {pairs} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def _md_gap(r: dict) -> str:
    if math.isnan(r["gap"]):
        return "—"
    text = f"{100 * r['gap']:+.1f}"
    if r["ci_low"] is not None:
        text += f" ({100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f})"
    return text


def _gap_notes(gaps: Sequence[Mapping[str, Gap]]) -> list[str]:
    notes = []
    for per_metric in gaps:
        g = per_metric["overall"]
        if g.n_unmatched:
            notes.append(
                f"gap on {g.language}: {g.n_unmatched} pair(s) scored by only one of {g.model_a}, {g.model_b} are "
                f"left out; the gap is over the {g.n_pairs} pairs both scored"
            )
    return notes


# ---------------------------------------------------------------------------------------------
# Summary for the manifest


def _summary(scores: PairScores, cells, gaps, files: dict[str, str], notes: list[str]) -> dict:
    unmapped: dict[str, int] = {}
    for cell in cells.values():
        for name, s in cell.unmapped.items():
            unmapped[name] = unmapped.get(name, 0) + s.n
    missing = {f"{m}/{lang}": list(c.missing_subsets) for (m, lang), c in cells.items() if c.missing_subsets}
    for (m, lang), cell in cells.items():
        notes.extend(f"{m} on {lang}: {n}" for n in cell.notes)
    return {
        "files": files,
        "counts": {
            "pairs": len(scores),
            "pairs_scored": sum(c.n for c in cells.values()),
            "pairs_unmapped": sum(unmapped.values()),
            "models": len(scores.models),
            "languages": len(scores.languages),
            "cells": len(cells),
            "cells_incomplete": len(missing),
            "missing_subsets": sum(len(v) for v in missing.values()),
            "gaps": len(gaps),
        },
        "unmapped": unmapped,
        "missing": missing,
        "notes": notes,
    }


__all__ = [
    "ENGLISH",
    "english_gaps",
    "gap_markdown",
    "gap_rows",
    "language_info",
    "matrix",
    "mean_gap",
    "safe_names",
    "transfer_markdown",
    "transfer_rows",
    "write_gaps",
    "write_heatmaps",
    "write_results",
    "write_tables",
    "write_transfer",
]
