"""Per-pair reward-model scores → RewardBench accuracies per subset, section and language, with
bootstrap confidence intervals.

Input: one row per (model, language, pair) with ``id``, ``language``, ``subset``, ``score_chosen``,
``score_rejected`` and optionally ``model`` (the RM's label, e.g. its training language). Generative
judges may give a ``verdict`` (``chosen`` | ``rejected`` | ``tie`` | ``undecided``) instead of the two scores.

Rules (RewardBench's):

- a pair is right when the chosen reply scores higher. A tie is wrong for a classifier or DPO model
  (``kind="classifier"`` / ``"dpo"``) and worth half for a generative judge (``kind="generative"``);
- a section's score is the mean of its subsets' accuracies weighted by example counts; in Reasoning the
  math subset weighs as much as all code subsets together; a language's score is the mean of its four
  sections;
- weights come from the data scored (``observed``), RewardBench's published counts (``rewardbench``) or
  Multilingual RewardBench's (``m-rewardbench``).

Nothing is dropped silently: subsets a language lacks are listed (and the section averages the rest),
a section with no subsets is NaN with a note (and the overall says it averages fewer sections), and
subsets no suite knows are counted as ``unmapped`` and kept out of the sections.

Confidence intervals are percentile bootstraps over pairs, resampled within subsets (so subset sizes,
and hence observed weights, stay fixed). A pair's outcome is 0, ½ or 1, so a resample of a subset is
fully described by how many of its pairs it draws with each outcome: that is one multinomial draw per
subset instead of ``n`` index draws, exactly the same distribution and far faster. The paired
bootstrap for the gap between two models draws the *joint* outcome of each pair (nine classes), which
is the same as resampling the same pair indices for both.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from xlrm.errors import ConfigError, InputError
from xlrm.eval.rewardbench import (
    PUBLISHED_COUNTS,
    SECTION_TITLES,
    SECTIONS,
    WEIGHT_MODES,
    expected_subsets,
    is_math,
    section_of,
)

KINDS = ("classifier", "generative", "dpo")
# "undecided": a judge that gave no readable verdict in some order counts as wrong, as in
# xlrm.eval.judge.JudgeResult.accuracy (never dropped: that would flatter a judge that fails to answer).
VERDICTS = {"chosen": 1.0, "rejected": 0.0, "tie": 0.5, "undecided": 0.0}
METRICS = ("overall", *SECTIONS)
KEY_FIELDS = ("id", "language", "subset")
SCORE_FIELDS = ("score_chosen", "score_rejected")
LEVEL = 0.95
DEFAULT_MODEL = "model"
TABLE_NAME = "<scores table>"

_READ_HINT = "scores need columns id, language, subset, score_chosen, score_rejected (and optionally model)"


# ---------------------------------------------------------------------------------------------
# Per-pair outcomes


def pair_outcomes(
    score_chosen: np.ndarray | None,
    score_rejected: np.ndarray | None,
    *,
    kind: str = "classifier",
    verdict: Sequence[str | None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's outcome (1 right, 0 wrong, 0.5 a generative tie) and whether it was a tie.

    A verdict, where given (generative judges only), decides the pair; otherwise the two scores do."""
    check_kind(kind)
    n = len(verdict) if verdict is not None else len(score_chosen)
    outcome = np.zeros(n)
    tie = np.zeros(n, dtype=bool)
    has_verdict = np.array([v is not None for v in verdict]) if verdict is not None else np.zeros(n, bool)
    if has_verdict.any() and kind != "generative":
        raise ConfigError(f"verdicts are only read for kind='generative', not kind={kind!r}")
    if (~has_verdict).any():
        sc = np.asarray(score_chosen, dtype=float)[~has_verdict]
        sr = np.asarray(score_rejected, dtype=float)[~has_verdict]
        tied = sc == sr
        tie[~has_verdict] = tied
        # RewardBench: classifiers and DPO need a strict win; its generative script gives a tie half.
        outcome[~has_verdict] = np.where(tied, 0.5 if kind == "generative" else 0.0, (sc > sr).astype(float))
    for i in np.flatnonzero(has_verdict):
        outcome[i] = VERDICTS[verdict[i]]
        tie[i] = verdict[i] == "tie"
    return outcome, tie


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")


def check_weights(weights: str) -> None:
    if weights not in WEIGHT_MODES:
        raise ConfigError(f"weights must be one of {', '.join(WEIGHT_MODES)}, got {weights!r}")


# ---------------------------------------------------------------------------------------------
# Reading and validating a scores input


@dataclass(frozen=True)
class PairScores:
    """Validated per-pair outcomes; ``row`` is each pair's 1-based row in ``file`` (the line for JSONL)."""

    file: str
    kind: str
    model: np.ndarray
    language: np.ndarray
    subset: np.ndarray
    id: np.ndarray
    outcome: np.ndarray
    tie: np.ndarray
    row: np.ndarray

    def __len__(self) -> int:
        return len(self.id)

    @property
    def models(self) -> list[str]:
        return ordered(self.model)

    @property
    def languages(self) -> list[str]:
        return ordered(self.language)


def ordered(labels: Iterable[str], first: str = "en") -> list[str]:
    """Distinct labels sorted, with ``first`` (English) leading, as tables show them."""
    distinct = sorted(set(labels))
    return sorted(distinct, key=lambda x: x != first)


def read_scores(
    source: pa.Table | str | os.PathLike, *, kind: str = "classifier", model: str | None = None
) -> PairScores:
    """Read and validate scores from an Arrow table or a .parquet / .jsonl(.gz) / .csv file.

    ``model`` labels every row when the input has no ``model`` column. Raises InputError naming the
    file, the 1-based row and the field of the first problem."""
    check_kind(kind)
    columns, rows, file, textual = _read_source(source)
    return _validate(columns, rows, file, kind=kind, model=model or DEFAULT_MODEL, textual=textual)


def _read_source(source) -> tuple[dict, np.ndarray, str, bool]:
    """Columns (Arrow arrays or Python lists), row numbers, the file's name, whether values are text."""
    if isinstance(source, pa.Table):
        return (
            {n: source.column(n) for n in source.column_names},
            np.arange(1, source.num_rows + 1),
            TABLE_NAME,
            False,
        )
    path = Path(source)
    name = str(path)
    if not path.is_file():
        raise InputError(
            "no such scores file", file=name, hint="pass a .parquet, .jsonl or .csv file of per-pair scores"
        )
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        columns, rows = _read_jsonl(path)
        return columns, rows, name, False
    if path.name.endswith(".parquet"):
        table = _read_parquet(path)
        return {n: table.column(n) for n in table.column_names}, np.arange(1, table.num_rows + 1), name, False
    if path.name.endswith(".csv"):
        table = _read_csv(path)
        return {n: table.column(n) for n in table.column_names}, np.arange(1, table.num_rows + 1), name, True
    raise InputError(
        "unsupported scores file type", file=name, hint="use .parquet, .jsonl, .jsonl.gz or .csv"
    )


def _read_parquet(path: Path) -> pa.Table:
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except (pa.ArrowException, OSError) as e:
        raise InputError(f"not a readable Parquet file ({e})", file=str(path)) from None


def _read_csv(path: Path) -> pa.Table:
    import pyarrow.csv as pacsv

    # Labels stay text ("001" is an id, not the number 1); scores are inferred and checked later.
    text = {c: pa.string() for c in ("id", "language", "subset", "model", "verdict")}
    try:
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=text))
    except (pa.ArrowException, OSError) as e:
        raise InputError(
            f"not a readable CSV file ({e})", file=str(path), hint="the first line must name the columns"
        ) from None


def _read_jsonl(path: Path) -> tuple[dict[str, list], np.ndarray]:
    opener = gzip.open if path.name.endswith(".gz") else open
    objects: list[dict] = []
    lines: list[int] = []
    with opener(path, "rt", encoding="utf-8") as f:
        try:
            for line_no, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                obj = _json_object(text, path, line_no)
                objects.append(obj)
                lines.append(line_no)
        except UnicodeDecodeError as e:
            raise InputError(f"file is not UTF-8 (byte {e.start} of a line)", file=str(path)) from None
    names = list(dict.fromkeys(k for obj in objects for k in obj))
    return {n: [obj.get(n) for obj in objects] for n in names}, np.asarray(lines, dtype=np.int64)


def _json_object(text: str, path: Path, line_no: int) -> dict:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"malformed JSON: {e.msg} at column {e.colno}", file=str(path), row=line_no
        ) from None
    if not isinstance(obj, dict):
        raise InputError(f"expected a JSON object, got {type(obj).__name__}", file=str(path), row=line_no)
    return obj


def _validate(
    columns: dict, rows: np.ndarray, file: str, *, kind: str, model: str, textual: bool
) -> PairScores:
    n = len(rows)
    for name in KEY_FIELDS:
        if name not in columns:
            raise InputError("missing column", file=file, field=name, hint=_READ_HINT)
    has_verdict = "verdict" in columns
    has_scores = all(name in columns for name in SCORE_FIELDS)
    if not has_scores and not (kind == "generative" and has_verdict):
        missing = next(name for name in SCORE_FIELDS if name not in columns)
        hint = _READ_HINT + (
            "; a generative judge may give a verdict column instead" if kind == "generative" else ""
        )
        raise InputError("missing column", file=file, field=missing, hint=hint)
    ids = _strings(columns["id"], "id", rows, file, allow_int=True)
    language = _strings(columns["language"], "language", rows, file)
    subset = _strings(columns["subset"], "subset", rows, file)
    models = (
        _strings(columns["model"], "model", rows, file)
        if "model" in columns
        else np.full(n, model, dtype=object)
    )
    verdict = _verdicts(columns["verdict"], rows, file, kind) if has_verdict else [None] * n
    needs_scores = np.array([v is None for v in verdict], dtype=bool)
    if needs_scores.any() and not has_scores:
        row = rows[np.flatnonzero(needs_scores)[0]]
        raise InputError(
            "no verdict and no scores",
            file=file,
            row=int(row),
            field="verdict",
            hint="give each row a verdict: chosen, rejected or tie",
        )
    sc = sr = None
    if has_scores:
        sc = _floats(columns["score_chosen"], "score_chosen", rows, file, textual, needs_scores)
        sr = _floats(columns["score_rejected"], "score_rejected", rows, file, textual, needs_scores)
    _check_unique(models, language, ids, rows, file)
    outcome, tie = pair_outcomes(sc, sr, kind=kind, verdict=verdict)
    return PairScores(file, kind, models, language, subset, ids, outcome, tie, rows)


def _strings(col, name: str, rows: np.ndarray, file: str, allow_int: bool = False) -> np.ndarray:
    """A label column as an object array of non-empty strings."""
    if isinstance(col, pa.ChunkedArray) and (
        pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
    ):
        values = col.to_numpy(zero_copy_only=False)
    else:
        values = np.asarray(col.to_pylist() if isinstance(col, pa.ChunkedArray) else col, dtype=object)
    for i, v in enumerate(values):
        if isinstance(v, str) and v.strip():
            continue
        if allow_int and isinstance(v, int) and not isinstance(v, bool):
            values[i] = str(v)
            continue
        what = "missing" if v is None or v == "" else f"not a text label ({v!r})"
        raise InputError(
            f"{name} is {what}", file=file, row=int(rows[i]), field=name, hint=f"every row needs a {name}"
        )
    return values


def _verdicts(col, rows: np.ndarray, file: str, kind: str) -> list[str | None]:
    values = col.to_pylist() if isinstance(col, pa.ChunkedArray) else list(col)
    out: list[str | None] = []
    for i, v in enumerate(values):
        if v is None or (isinstance(v, str) and not v.strip()):
            out.append(None)
            continue
        if kind != "generative":
            raise InputError(
                f"a verdict is given but kind is {kind!r}",
                file=file,
                row=int(rows[i]),
                field="verdict",
                hint="verdicts come from generative judges: score with kind='generative', or drop the column",
            )
        key = v.strip().lower() if isinstance(v, str) else v
        if key not in VERDICTS:
            raise InputError(
                f"unknown verdict {v!r}",
                file=file,
                row=int(rows[i]),
                field="verdict",
                hint="use chosen, rejected, tie or undecided",
            )
        out.append(key)
    return out


def _floats(col, name: str, rows: np.ndarray, file: str, textual: bool, needed: np.ndarray) -> np.ndarray:
    """A score column as float64; the rows in ``needed`` must hold finite numbers."""
    x = _numbers(col, name, rows, file, textual, needed)
    bad = np.flatnonzero(needed & ~np.isfinite(x))
    if len(bad):
        i = bad[0]
        raw = "missing or NaN" if math.isnan(x[i]) else f"{x[i]}"
        raise InputError(
            f"score is {raw}; scores must be finite numbers",
            file=file,
            row=int(rows[i]),
            field=name,
            hint="rescore the pair, or remove the row (a NaN score usually means the model's output overflowed or the text was empty)",
        )
    return x


def _numbers(col, name: str, rows: np.ndarray, file: str, textual: bool, needed: np.ndarray) -> np.ndarray:
    """Values as float64 (NaN where missing); a non-numeric value in a row that needs it is an error."""
    if isinstance(col, pa.ChunkedArray):
        t = col.type
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t):
            return col.cast(pa.float64()).fill_null(float("nan")).to_numpy()
        values = col.to_pylist()
    else:
        values = col
    out = np.full(len(values), np.nan)
    for i, v in enumerate(values):
        if v is None:
            continue
        number = _number(v, textual)
        if number is None:
            if needed[i]:
                raise InputError(
                    f"score is not a number ({v!r})",
                    file=file,
                    row=int(rows[i]),
                    field=name,
                    hint="scores must be numbers (the reward model's scalar output)",
                )
            continue
        out[i] = number
    return out


def _number(v, textual: bool) -> float | None:
    """A value as a float, or None when it is not a number (text counts only in a CSV file)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if textual and isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def _check_unique(
    models: np.ndarray, language: np.ndarray, ids: np.ndarray, rows: np.ndarray, file: str
) -> None:
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(models, language, ids, strict=True)):
        if key in seen:
            raise InputError(
                f"pair {key[2]!r} is scored twice for model {key[0]!r} in language {key[1]!r} (first at row {rows[seen[key]]})",
                file=file,
                row=int(rows[i]),
                field="id",
                hint="each model scores each pair once; give different models different model labels",
            )
        seen[key] = i


# ---------------------------------------------------------------------------------------------
# Bootstrap machinery


def resample_means(outcomes: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Means of ``outcomes`` (n pairs × k models, values in {0, ½, 1}): row 0 the observed means,
    rows 1..resamples the means of bootstrap resamples of the n pairs (the same pairs for every model)."""
    outcomes = np.asarray(outcomes, dtype=float)
    if outcomes.ndim == 1:
        outcomes = outcomes[:, None]
    n, k = outcomes.shape
    # Encode each pair's joint outcome as one base-3 number: a resample is then a multinomial draw of
    # how many pairs of each joint class it picks.
    digits = np.rint(outcomes * 2).astype(np.int64)
    codes = digits @ (3 ** np.arange(k, dtype=np.int64))
    classes = 3**k
    levels = ((np.arange(classes)[:, None] // 3 ** np.arange(k)) % 3) / 2.0  # class → outcome per model
    counts = np.bincount(codes, minlength=classes)
    draws = rng.multinomial(n, counts / n, size=resamples) if resamples else np.empty((0, classes), np.int64)
    return np.vstack([counts[None, :], draws]) @ levels / n


def interval(samples: np.ndarray, level: float = LEVEL) -> tuple[float, float] | None:
    """The percentile interval of bootstrap samples (row 0 of a ``resample_means`` array excluded by the
    caller); None without resamples, NaN bounds for a NaN metric."""
    if len(samples) == 0:
        return None
    if np.isnan(samples).any():
        return (float("nan"), float("nan"))
    tail = 100 * (1 - level) / 2
    lo, hi = np.percentile(samples, [tail, 100 - tail])
    return (float(lo), float(hi))


def _rng(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one subset of one cell: its draws do not depend on what else is scored."""
    return np.random.default_rng([seed, *(zlib.crc32(label.encode("utf-8")) for label in labels)])


# ---------------------------------------------------------------------------------------------
# Weights and aggregation


def subset_weights(counts: Mapping[str, int], mode: str) -> tuple[dict[str, float], dict[str, str]]:
    """Weights of the (mapped) subsets present, and where each came from.

    Published counts where the mode has one, else the observed count; then, in Reasoning, math subsets
    are scaled so that together they weigh as much as the code subsets together."""
    check_weights(mode)
    published = PUBLISHED_COUNTS.get(mode, {})
    weights = {s: float(published.get(s, n)) for s, n in counts.items()}
    sources = {s: mode if s in published else "observed" for s in counts}
    reasoning = [s for s in counts if section_of(s) == "reasoning"]
    math_w = sum(weights[s] for s in reasoning if is_math(s))
    code_w = sum(weights[s] for s in reasoning if not is_math(s))
    if math_w > 0 and code_w > 0:
        for s in reasoning:
            if is_math(s):
                weights[s] *= code_w / math_w
    return weights, sources


def aggregate(
    values: Mapping[str, np.ndarray], weights: Mapping[str, float], shape: tuple[int, ...] = ()
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Subset accuracies (arrays of one shape, e.g. resamples × models) → section scores (NaN where a
    section has no subset) and the overall score (the mean of the sections present). ``shape`` is the
    arrays' shape, needed only when ``values`` is empty."""
    sections: dict[str, np.ndarray] = {}
    shape = next(iter(values.values())).shape if values else shape
    for section in SECTIONS:
        members = [s for s in values if section_of(s) == section]
        if not members:
            sections[section] = np.full(shape, np.nan)
            continue
        w = np.array([weights[s] for s in members])
        stacked = np.stack([values[s] for s in members], axis=-1)
        sections[section] = stacked @ w / w.sum()
    present = [v for v in sections.values() if not np.isnan(v).all()]
    overall = np.mean(present, axis=0) if present else np.full(shape, np.nan)
    return sections, overall


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class SubsetScore:
    name: str
    section: str | None
    n: int
    correct: float
    ties: int
    accuracy: float
    ci: tuple[float, float] | None
    weight: float | None = None
    weight_source: str | None = None

    def to_json(self) -> dict:
        return {
            "section": self.section,
            "accuracy": _num(self.accuracy),
            "ci": _ci(self.ci),
            "n": self.n,
            "correct": self.correct,
            "ties": self.ties,
            "weight": self.weight,
            "weight_source": self.weight_source,
        }


@dataclass(frozen=True)
class SectionScore:
    name: str
    score: float
    ci: tuple[float, float] | None
    n: int
    subsets: tuple[str, ...]
    missing: tuple[str, ...]
    weights: dict[str, float]

    def to_json(self) -> dict:
        return {
            "title": SECTION_TITLES[self.name],
            "score": _num(self.score),
            "ci": _ci(self.ci),
            "n": self.n,
            "subsets": list(self.subsets),
            "missing": list(self.missing),
            "weights": self.weights,
        }


@dataclass(frozen=True)
class CellResult:
    """One model scored on one language."""

    model: str
    language: str
    kind: str
    weights: str
    resamples: int
    seed: int
    subsets: dict[str, SubsetScore]
    unmapped: dict[str, SubsetScore]
    sections: dict[str, SectionScore]
    overall: float
    overall_ci: tuple[float, float] | None
    n: int
    missing_subsets: tuple[str, ...]
    missing_sections: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())

    def metric(self, name: str) -> float:
        """``overall`` or a section's score."""
        return self.overall if name == "overall" else self.sections[name].score

    def metric_ci(self, name: str) -> tuple[float, float] | None:
        return self.overall_ci if name == "overall" else self.sections[name].ci

    @property
    def complete(self) -> bool:
        """Whether every expected subset (hence every section) was scored."""
        return not self.missing_subsets

    def to_json(self) -> dict:
        """RewardBench's per-model results layout (``model``, ``model_type``, one accuracy per subset, the
        section titles and ``Score``), with xlrm's detail (counts, weights, intervals, gaps) beside it."""
        out: dict = {"model": self.model, "model_type": self.kind, "language": self.language}
        out.update({name: _num(s.accuracy) for name, s in self.subsets.items()})
        out.update({SECTION_TITLES[name]: _num(s.score) for name, s in self.sections.items()})
        out["Score"] = _num(self.overall)
        out["overall"] = {
            "score": _num(self.overall),
            "ci": _ci(self.overall_ci),
            "n": self.n,
            "sections": [s for s in SECTIONS if s not in self.missing_sections],
            "missing_sections": list(self.missing_sections),
        }
        out["sections"] = {name: s.to_json() for name, s in self.sections.items()}
        out["subsets"] = {name: s.to_json() for name, s in self.subsets.items()}
        out["unmapped"] = {name: s.to_json() for name, s in self.unmapped.items()}
        out["missing_subsets"] = list(self.missing_subsets)
        out["weights"] = self.weights
        out["bootstrap"] = {
            "resamples": self.resamples,
            "seed": self.seed,
            "level": LEVEL,
            "method": "percentile; pairs resampled within subsets",
        }
        out["scale"] = "fraction (0-1)"
        out["notes"] = list(self.notes)
        return out


def _num(x: float) -> float | None:
    """JSON has no NaN: a missing score is null."""
    return None if x is None or math.isnan(x) else float(x)


def _ci(ci: tuple[float, float] | None) -> list | None:
    return None if ci is None else [_num(ci[0]), _num(ci[1])]


# ---------------------------------------------------------------------------------------------
# Scoring


def score(
    scores: PairScores, *, weights: str = "observed", bootstrap: int = 1000, seed: int = 0
) -> dict[tuple[str, str], CellResult]:
    """Every (model, language) cell of ``scores``, in table order (English first)."""
    check_weights(weights)
    _check_bootstrap(bootstrap, seed)
    mapped = [s for s in set(scores.subset) if section_of(s) is not None]
    expected = expected_subsets(mapped)
    cells = groups(scores.model, scores.language)
    out: dict[tuple[str, str], CellResult] = {}
    for model in scores.models:
        for language in scores.languages:
            if (model, language) in cells:
                idx = cells[(model, language)]
                out[(model, language)] = score_cell(
                    scores, idx, expected, weights=weights, bootstrap=bootstrap, seed=seed
                )
    return out


def _check_bootstrap(bootstrap: int, seed: int) -> None:
    if not isinstance(bootstrap, int) or isinstance(bootstrap, bool) or bootstrap < 0:
        raise ConfigError(f"bootstrap must be a whole number of resamples >= 0, got {bootstrap!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a whole number >= 0, got {seed!r}")


def groups(*labels: np.ndarray) -> dict[tuple[str, ...], np.ndarray]:
    """Row indices of each distinct combination of labels (indices ascending within a group)."""
    if len(labels[0]) == 0:
        return {}
    uniques, inverses = zip(
        *(np.unique(np.asarray(a, dtype=object).astype(str), return_inverse=True) for a in labels),
        strict=True,
    )
    dims = tuple(len(u) for u in uniques)
    key = np.ravel_multi_index([inv.reshape(-1) for inv in inverses], dims)
    order = np.argsort(key, kind="stable")
    keys, starts = np.unique(key[order], return_index=True)
    out = {}
    for k, idx in zip(keys, np.split(order, starts[1:]), strict=True):
        coords = np.unravel_index(k, dims)
        out[tuple(str(u[c]) for u, c in zip(uniques, coords, strict=True))] = idx
    return out


def score_cell(
    scores: PairScores,
    idx: np.ndarray,
    expected: Mapping[str, tuple[str, ...]],
    *,
    weights: str = "observed",
    bootstrap: int = 1000,
    seed: int = 0,
) -> CellResult:
    """Score the pairs ``idx`` of ``scores`` (one model on one language)."""
    model, language = str(scores.model[idx[0]]), str(scores.language[idx[0]])
    values, subsets, unmapped = _subset_scores(scores, idx, bootstrap, _rng_for(seed, model, language))
    w, sources = subset_weights({s: r.n for s, r in subsets.items()}, weights)
    subsets = {s: _with_weight(r, w[s], sources[s]) for s, r in subsets.items()}
    section_values, overall = aggregate(values, w, shape=(1 + bootstrap,))
    sections, missing = _sections(section_values, subsets, expected, w)
    missing_sections = tuple(s for s in SECTIONS if math.isnan(section_values[s][0]))
    notes = _notes(sections, missing_sections, unmapped, sources, weights)
    return CellResult(
        model,
        language,
        scores.kind,
        weights,
        bootstrap,
        seed,
        dict(sorted(subsets.items(), key=lambda kv: _subset_order(kv[0], expected))),
        unmapped,
        sections,
        float(overall[0]),
        interval(overall[1:]),
        sum(r.n for r in subsets.values()),
        missing,
        missing_sections,
        tuple(notes),
    )


def _subset_scores(scores: PairScores, idx: np.ndarray, bootstrap: int, rng_for):
    """Each subset's accuracy with its resampled accuracies (row 0 observed), split into the subsets
    that belong to a section and the unmapped ones."""
    values: dict[str, np.ndarray] = {}
    subsets: dict[str, SubsetScore] = {}
    unmapped: dict[str, SubsetScore] = {}
    for (name,), local in sorted(groups(scores.subset[idx]).items()):
        rows = idx[local]
        means = resample_means(scores.outcome[rows], bootstrap, rng_for(name))[:, 0]
        result = SubsetScore(
            name,
            section_of(name),
            len(rows),
            float(scores.outcome[rows].sum()),
            int(scores.tie[rows].sum()),
            float(means[0]),
            interval(means[1:]),
        )
        if result.section is None:
            unmapped[name] = result
        else:
            values[name] = means
            subsets[name] = result
    return values, subsets, unmapped


def _rng_for(seed: int, *labels: str):
    return lambda subset: _rng(seed, *labels, subset)


def _with_weight(r: SubsetScore, weight: float, source: str) -> SubsetScore:
    return SubsetScore(r.name, r.section, r.n, r.correct, r.ties, r.accuracy, r.ci, weight, source)


def _subset_order(name: str, expected: Mapping[str, tuple[str, ...]]) -> tuple[int, int, str]:
    section = section_of(name)
    listed = expected.get(section, ())
    return (SECTIONS.index(section), listed.index(name) if name in listed else len(listed), name)


def _sections(
    section_values: Mapping[str, np.ndarray],
    subsets: Mapping[str, SubsetScore],
    expected: Mapping[str, tuple[str, ...]],
    weights: Mapping[str, float],
) -> tuple[dict[str, SectionScore], tuple[str, ...]]:
    sections: dict[str, SectionScore] = {}
    all_missing: list[str] = []
    for section in SECTIONS:
        present = tuple(s for s in expected[section] if s in subsets) + tuple(
            s for s in subsets if subsets[s].section == section and s not in expected[section]
        )
        missing = tuple(s for s in expected[section] if s not in subsets)
        all_missing.extend(missing)
        v = section_values[section]
        sections[section] = SectionScore(
            section,
            float(v[0]),
            interval(v[1:]),
            sum(subsets[s].n for s in present),
            present,
            missing,
            {s: weights[s] for s in present},
        )
    return sections, tuple(all_missing)


def _notes(
    sections: Mapping[str, SectionScore],
    missing_sections: Sequence[str],
    unmapped: Mapping[str, SubsetScore],
    sources: Mapping[str, str],
    mode: str,
) -> list[str]:
    notes = []
    for s in sections.values():
        if s.missing and s.subsets:
            notes.append(
                f"{s.name}: subset(s) {', '.join(s.missing)} not scored; the section averages the "
                f"{len(s.subsets)} present"
            )
    for name in missing_sections:
        notes.append(f"{name}: no subset scored; the section is missing (NaN)")
    if missing_sections:
        kept = len(SECTIONS) - len(missing_sections)
        notes.append(
            f"overall: the mean of {kept} of {len(SECTIONS)} sections (missing: {', '.join(missing_sections)})"
        )
    if unmapped:
        total = sum(r.n for r in unmapped.values())
        notes.append(
            f"unmapped: {total} pair(s) in subset(s) {', '.join(unmapped)} belong to no section and are not in any score"
        )
    fallback = [s for s, src in sources.items() if src != mode]
    if mode != "observed" and fallback:
        notes.append(
            f"weights: {mode} publishes no count for {', '.join(fallback)}; their observed counts are used"
        )
    return notes


# ---------------------------------------------------------------------------------------------
# Paired gap between two models


@dataclass(frozen=True)
class Gap:
    """``model_a`` minus ``model_b`` on the same pairs of one language, for one metric."""

    language: str
    model_a: str
    model_b: str
    metric: str
    score_a: float
    score_b: float
    gap: float
    ci: tuple[float, float] | None
    n_pairs: int
    n_unmatched: int
    samples: np.ndarray = field(repr=False, compare=False)


def paired_gap(
    scores: PairScores,
    model_a: str,
    model_b: str,
    language: str,
    *,
    weights: str = "observed",
    bootstrap: int = 1000,
    seed: int = 0,
) -> dict[str, Gap]:
    """The gap ``model_a − model_b`` on ``language`` for every metric (overall and each section), with a
    paired bootstrap interval: both models are scored on the same resampled pairs.

    Pairs are matched by id; pairs only one model scored are left out (``n_unmatched`` counts them), so
    the gap equals the difference of the two cells exactly when both scored the same pairs."""
    check_weights(weights)
    _check_bootstrap(bootstrap, seed)
    a = _cell_rows(scores, model_a, language)
    b = _cell_rows(scores, model_b, language)
    common = sorted(set(a) & set(b))
    unmatched = len(a) + len(b) - 2 * len(common)
    ia = np.array([a[i] for i in common], dtype=np.int64)
    ib = np.array([b[i] for i in common], dtype=np.int64)
    _check_same_subsets(scores, ia, ib)
    values: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for (name,), local in sorted(groups(scores.subset[ia]).items()):
        if section_of(name) is None:
            continue
        joint = np.stack([scores.outcome[ia[local]], scores.outcome[ib[local]]], axis=1)
        values[name] = resample_means(joint, bootstrap, _rng(seed, "gap", model_a, model_b, language, name))
        counts[name] = len(local)
    w, _ = subset_weights(counts, weights)
    sections, overall = aggregate(values, w, shape=(1 + bootstrap, 2))
    metrics = {"overall": overall, **sections}
    out = {}
    for metric, v in metrics.items():
        diff = v[:, 0] - v[:, 1]
        out[metric] = Gap(
            language,
            model_a,
            model_b,
            metric,
            float(v[0, 0]),
            float(v[0, 1]),
            float(diff[0]),
            interval(diff[1:]),
            len(common),
            unmatched,
            diff[1:],
        )
    return out


def _cell_rows(scores: PairScores, model: str, language: str) -> dict[str, int]:
    rows = np.flatnonzero((scores.model == model) & (scores.language == language))
    if not len(rows):
        raise ConfigError(f"model {model!r} has no scores in language {language!r}")
    return {str(scores.id[i]): int(i) for i in rows}


def _check_same_subsets(scores: PairScores, ia: np.ndarray, ib: np.ndarray) -> None:
    differ = np.flatnonzero(scores.subset[ia] != scores.subset[ib])
    if len(differ):
        i, j = ia[differ[0]], ib[differ[0]]
        raise InputError(
            f"pair {scores.id[i]!r} is in subset {scores.subset[i]!r} here but in {scores.subset[j]!r} "
            f"for model {scores.model[j]!r} (row {scores.row[j]})",
            file=scores.file,
            row=int(scores.row[i]),
            field="subset",
            hint="score every model on the same evaluation file",
        )


__all__ = [
    "KINDS",
    "METRICS",
    "CellResult",
    "Gap",
    "PairScores",
    "SectionScore",
    "SubsetScore",
    "aggregate",
    "groups",
    "interval",
    "ordered",
    "paired_gap",
    "pair_outcomes",
    "read_scores",
    "resample_means",
    "score",
    "score_cell",
    "subset_weights",
]
