"""The plots the report draws itself (matplotlib, Agg canvas: no display, no pyplot state).

Each function writes one PNG and returns nothing; :func:`available` says whether matplotlib is
installed (without it the report keeps its tables and says that the plots are left out). Values
arrive as plain lists/arrays: the sections decide what is drawn, this module only how.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

NO_MATPLOTLIB = "matplotlib is not installed, so the report draws no plots (pip install 'xlrm[plots]')"


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)  # a canvas of our own: savefig needs no pyplot and no display backend
    return fig


def _save(fig, path: Path, dpi: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, facecolor="white")


def _colors(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


# ---------------------------------------------------------------------------------------------
# Reward-model training


def training_curves(logs: Mapping[str, dict], path: Path, dpi: int) -> None:
    """Loss, accuracy and learning rate per step, one line per RM; evaluations as markers."""
    fig = _figure(10.5, 3.2)
    axes = fig.subplots(1, 3)
    colors = _colors(len(logs))
    panels = (
        ("loss", "eval_loss", "Bradley-Terry loss"),
        ("accuracy", "eval_accuracy", "accuracy"),
        ("learning_rate", None, "learning rate"),
    )
    for ax, (key, eval_key, title) in zip(axes, panels, strict=True):
        drawn = False
        for color, (name, doc) in zip(colors, logs.items(), strict=True):
            pts = [(h["step"], h[key]) for h in doc.get("train", []) if _finite(h.get(key)) and "step" in h]
            if pts:
                ax.plot(*zip(*pts, strict=True), color=color, lw=1.2, label=name)
                drawn = True
            if eval_key:
                ev = [
                    (h["step"], h[eval_key])
                    for h in doc.get("eval", [])
                    if _finite(h.get(eval_key)) and "step" in h
                ]
                if ev:
                    ax.plot(
                        *zip(*ev, strict=True),
                        "o",
                        color=color,
                        ms=5,
                        mec="black",
                        mew=0.5,
                        label=None if pts else name,
                    )
                    drawn = True
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step", fontsize=9)
        ax.tick_params(labelsize=8)
        if not drawn:
            ax.text(0.5, 0.5, "not logged", ha="center", va="center", transform=ax.transAxes, color="grey")
    seen = {}
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        seen.update(zip(labels, handles, strict=True))
    if seen:  # beside the panels: inside, it would hide the curves' start
        fig.legend(
            list(seen.values()), list(seen), fontsize=8, title="RM", title_fontsize=8, loc="center right"
        )
    fig.text(
        0.5, 0.01, "lines: training steps; dots: held-out evaluations", ha="center", fontsize=7, color="grey"
    )
    fig.tight_layout(rect=(0, 0.03, 0.92, 1))
    _save(fig, path, dpi)


def _finite(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------------------------------------
# Transfer


def heatmaps(
    panels: Sequence[tuple[str, np.ndarray]],
    models: Sequence[str],
    languages: Sequence[str],
    path: Path,
    dpi: int,
) -> None:
    """One heatmap per (title, models × languages matrix of fractions), in a grid of two columns
    (one panel alone fills the figure); percent in the cells, grey where a cell was not scored."""
    from matplotlib import colormaps

    n = len(panels)
    cols = 1 if n == 1 or len(languages) > 10 else 2  # many languages: one wide panel per row
    rows = math.ceil(n / cols)
    cell_w, cell_h = 0.55, 0.36
    pw = max(3.2, 1.1 + cell_w * len(languages))
    ph = max(1.6, 0.9 + cell_h * len(models))
    fig = _figure(min(cols * pw, 11.5), rows * ph)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False)).ravel()
    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    for ax, (title, values) in zip(axes, panels, strict=False):
        pct = 100 * np.asarray(values, dtype=float)
        finite = pct[np.isfinite(pct)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 100.0)
        ax.imshow(np.ma.masked_invalid(pct), cmap=cmap, vmin=low, vmax=max(high, low + 1e-9), aspect="auto")
        ax.set_xticks(
            range(len(languages)),
            labels=list(languages),
            fontsize=8,
            rotation=45 if len(languages) > 12 else 0,
        )
        ax.set_yticks(range(len(models)), labels=list(models), fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("evaluation language", fontsize=8)
        ax.set_ylabel("RM", fontsize=8)
        middle = (low + high) / 2
        size = 7 if len(languages) <= 12 else 5
        for (r, c), v in np.ndenumerate(pct):
            text = "—" if math.isnan(v) else f"{v:.0f}" if len(languages) > 12 else f"{v:.1f}"
            color = "black" if not math.isnan(v) and v > middle else "white"
            ax.text(c, r, text, ha="center", va="center", fontsize=size, color=color)
    for ax in axes[n:]:
        ax.axis("off")
    fig.tight_layout()
    _save(fig, path, dpi)


def gap_points(
    labels: Sequence[str],
    gaps: Sequence[float],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    mean: tuple[float, float | None, float | None] | None,
    path: Path,
    dpi: int,
) -> None:
    """English RM minus each target RM (points, percentage points) with CIs, the mean last."""
    names = list(labels) + (["mean"] if mean else [])
    values = [100 * g for g in gaps] + ([100 * mean[0]] if mean else [])
    lo = list(lows) + ([mean[1]] if mean else [])
    hi = list(highs) + ([mean[2]] if mean else [])
    fig = _figure(max(4.5, 1.5 + 0.55 * len(names)), 3.0)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(names))
    err = np.array(
        [
            [v - 100 * a if a is not None else 0.0 for v, a in zip(values, lo, strict=True)],
            [100 * b - v if b is not None else 0.0 for v, b in zip(values, hi, strict=True)],
        ]
    )
    colors = ["#2b6cb0"] * len(labels) + (["#c05621"] if mean else [])
    ax.axhline(0, color="grey", lw=0.8)
    for i in range(len(names)):
        ax.errorbar(x[i], values[i], yerr=err[:, i : i + 1], fmt="o", color=colors[i], capsize=4, ms=6)
    ax.set_xticks(x, labels=names, fontsize=9)
    ax.set_ylabel("English RM − target RM (points)", fontsize=9)
    ax.set_xlabel("target language (its own RM, on its own language)", fontsize=9)
    ax.set_title("Overall accuracy gap, 95% CI", fontsize=10)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    _save(fig, path, dpi)


def by_group(
    panels: Sequence[tuple[str, Sequence[str], Mapping[str, Sequence[Sequence[float]]]]], path: Path, dpi: int
) -> None:
    """Transfer against a language attribute: per panel (title, group names, {RM: per group the
    scores of its languages}); a dot per evaluation language, a bar for each RM's group mean."""
    models = list(dict.fromkeys(m for _, _, per in panels for m in per))
    colors = dict(zip(models, _colors(len(models)), strict=True))
    widths = [max(2.4, 0.9 + 0.55 * len(groups)) for _, groups, _ in panels]
    fig = _figure(min(sum(widths) + 0.6, 12.0), 3.4)
    axes = fig.subplots(1, len(panels), squeeze=False, width_ratios=widths)[0]
    step = 0.8 / max(len(models), 1)
    labelled: set[str] = set()
    for ax, (title, groups, per) in zip(axes, panels, strict=True):
        for k, m in enumerate(models):
            values = per.get(m)
            if values is None:
                continue
            off = -0.4 + step * (k + 0.5)
            for g, vals in enumerate(values):
                vals = [100 * v for v in vals if _finite(v)]
                if not vals:
                    continue
                ax.plot([g + off] * len(vals), vals, ".", color=colors[m], alpha=0.45, ms=5)
                ax.plot(
                    [g + off - step * 0.4, g + off + step * 0.4],
                    [np.mean(vals)] * 2,
                    color=colors[m],
                    lw=2.2,
                    label=None if m in labelled else m,
                )
                labelled.add(m)
        ax.set_xticks(
            range(len(groups)),
            labels=list(groups),
            fontsize=8,
            rotation=30 if len(groups) > 4 else 0,
            ha="right" if len(groups) > 4 else "center",
        )
        ax.set_title(f"by {title}", fontsize=10)
        ax.tick_params(labelsize=8)
        ax.set_xlim(-0.6, len(groups) - 0.4)
    axes[0].set_ylabel("overall accuracy (%)", fontsize=9)
    seen = {}
    for ax in axes:
        handles, labels = ax.get_legend_handles_labels()
        seen.update(zip(labels, handles, strict=True))
    if seen:
        fig.legend(
            list(seen.values()),
            list(seen.keys()),
            fontsize=8,
            title="RM",
            title_fontsize=8,
            loc="upper right",
            bbox_to_anchor=(1.0, 1.0),
        )
    fig.tight_layout(rect=(0, 0, 0.93, 1))
    _save(fig, path, dpi)


# ---------------------------------------------------------------------------------------------
# Representations (drawn when analyze wrote no plots)


def spectra(curves: Mapping[str, Mapping[str, Sequence[float]]], path: Path, dpi: int, layer: int) -> None:
    """Normalised spectra σᵢ²/Σσ² (log scale): a panel per language, a line per model."""
    langs = list(curves)
    cols = min(3, len(langs))
    rows = math.ceil(len(langs) / cols)
    fig = _figure(3.4 * cols, 2.5 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    models = list(dict.fromkeys(m for per in curves.values() for m in per))
    colors = dict(zip(models, _colors(len(models)), strict=True))
    for ax, lang in zip(axes, langs, strict=False):
        for m, sv in curves[lang].items():
            sv = np.asarray(sv, dtype=float)
            share = sv**2 / max(float((sv**2).sum()), 1e-300)
            k = max(1, min(len(share), 256))
            ax.semilogy(np.arange(1, k + 1), np.maximum(share[:k], 1e-12), color=colors[m], lw=1.2, label=m)
        ax.set_title(lang, fontsize=9)
        ax.set_xlabel("index i", fontsize=8)
        ax.set_ylabel("share of variance", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(langs) :]:
        ax.axis("off")
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Hidden-state spectra (layer {layer}, centred)", fontsize=10)
    fig.tight_layout()
    _save(fig, path, dpi)


def grid(
    models: Sequence[str], langs: Sequence[str], values: np.ndarray, title: str, path: Path, dpi: int
) -> None:
    """A models × languages heatmap of one metric, values printed in the cells."""
    from matplotlib import colormaps

    fig = _figure(max(3.5, 1.4 + 0.75 * len(langs)), max(1.8, 1.0 + 0.45 * len(models)))
    ax = fig.add_subplot(1, 1, 1)
    v = np.asarray(values, dtype=float)
    im = ax.imshow(
        np.ma.masked_invalid(v), cmap=colormaps["viridis"].with_extremes(bad="#dddddd"), aspect="auto"
    )
    ax.set_xticks(range(len(langs)), labels=list(langs), fontsize=8)
    ax.set_yticks(range(len(models)), labels=list(models), fontsize=8)
    mid = float(np.nanmean(v)) if np.isfinite(v).any() else 0.0
    for (i, j), x in np.ndenumerate(v):
        if np.isfinite(x):
            ax.text(
                j, i, f"{x:.3f}", ha="center", va="center", fontsize=7, color="black" if x >= mid else "white"
            )
    fig.colorbar(im, ax=ax, fraction=0.046)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    _save(fig, path, dpi)


def norm_bars(
    models: Sequence[str],
    langs: Sequence[str],
    means: np.ndarray,
    stds: np.ndarray,
    path: Path,
    dpi: int,
    layer: int,
) -> None:
    """Mean hidden-state norm ± one standard deviation, per language, a bar per model."""
    fig = _figure(max(4.5, 1.5 + 0.5 * len(langs) * max(1, len(models)) / 2), 3.0)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(len(models), 1)
    for k, (m, c) in enumerate(zip(models, _colors(len(models)), strict=True)):
        x = np.arange(len(langs)) - 0.4 + width * (k + 0.5)
        ax.bar(x, means[k], width, yerr=np.nan_to_num(stds[k]), color=c, label=m, capsize=2)
    ax.set_xticks(range(len(langs)), labels=list(langs), fontsize=8)
    ax.set_ylabel("hidden-state norm", fontsize=9)
    ax.set_title(f"Hidden-state norms per language, mean ± sd (layer {layer})", fontsize=10)
    ax.legend(fontsize=7)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    _save(fig, path, dpi)


# ---------------------------------------------------------------------------------------------
# Alignment


def win_rate_bars(
    langs: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    lows: Mapping[str, Sequence[float | None]],
    highs: Mapping[str, Sequence[float | None]],
    path: Path,
    dpi: int,
    percent: bool,
    title: str,
) -> None:
    """Win rate per language, a bar per series (e.g. per labelling RM), CIs as error bars, 50% line."""
    names = list(series)
    scale = 1.0 if percent else 100.0
    fig = _figure(max(4.5, 1.5 + 0.45 * len(langs) * max(1, len(names))), 3.2)
    ax = fig.add_subplot(1, 1, 1)
    width = 0.8 / max(len(names), 1)
    for k, (name, c) in enumerate(zip(names, _colors(len(names)), strict=True)):
        x = np.arange(len(langs)) - 0.4 + width * (k + 0.5)
        vals = np.array([np.nan if v is None else scale * v for v in series[name]], dtype=float)
        lo = [None if v is None else scale * v for v in lows.get(name, [None] * len(langs))]
        hi = [None if v is None else scale * v for v in highs.get(name, [None] * len(langs))]
        err = np.array(
            [
                [v - a if a is not None and np.isfinite(v) else 0.0 for v, a in zip(vals, lo, strict=True)],
                [b - v if b is not None and np.isfinite(v) else 0.0 for v, b in zip(vals, hi, strict=True)],
            ]
        )
        ax.bar(x, np.nan_to_num(vals), width, yerr=np.maximum(err, 0), color=c, label=name, capsize=3)
    ax.axhline(50, color="grey", lw=0.8, ls="--")
    ax.set_xticks(range(len(langs)), labels=list(langs), fontsize=8)
    ax.set_ylabel("win rate (%)", fontsize=9)
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    if len(names) > 1 or names[0] != "win rate":
        ax.legend(fontsize=7)
    ax.tick_params(labelsize=8)
    fig.tight_layout()
    _save(fig, path, dpi)
