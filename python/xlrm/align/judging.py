"""Judging two policies' answers to the same held-out prompts, and win rates.

A comparison is policy A vs policy B in one language: for every held-out prompt both answers go
to a judge, whose verdict is ``a``, ``b``, ``tie`` or ``undecided``. Judges:

- ``endpoint`` / ``hf``: :class:`xlrm.eval.judge.PairwiseJudge` (an OpenAI-compatible server, or
  a local causal LM through :class:`xlrm.eval.scorer.HFJudgeGenerator`): both orders, strict
  verdict parsing with re-asks; the two orders disagreeing is a tie, an order that never parses
  makes the prompt ``undecided``. A's answer is shown as the pair's ``chosen`` side, so the
  judge's ``chosen`` verdict is a win for A. The records keep both orders' raw replies.
- ``rm``: a reward model scores both answers (:func:`xlrm.align.labelling.score_responses`); the
  higher reward wins, equal rewards tie. It has no positions, so its record holds the two scores.
  Identical answers tie, an empty answer loses to a non-empty one (two empty ones tie), and an
  answer too long to score makes the prompt ``undecided``.

:func:`win_rate_row` turns verdicts into A's win rate (ties count half, undecided prompts are left
out and counted) with a bootstrap interval (:func:`xlrm.eval.judge.win_rate`), beside the mean
answer length (characters) of each side; :func:`write_tables` writes the Markdown, Parquet and
bar chart.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

TABLE_SCHEMA = pa.schema(
    [
        ("language", pa.string()),
        ("comparison", pa.string()),
        ("policy_a", pa.string()),
        ("policy_b", pa.string()),
        ("judge", pa.string()),
        ("prompts", pa.int64()),
        ("wins", pa.int64()),
        ("losses", pa.int64()),
        ("ties", pa.int64()),
        ("undecided", pa.int64()),
        ("win_rate", pa.float64()),
        ("ci_low", pa.float64()),
        ("ci_high", pa.float64()),
        ("a_mean_chars", pa.float64()),
        ("b_mean_chars", pa.float64()),
    ]
)


class RMJudge:
    """A reward model as a cheap judge (see the module docstring)."""

    kind = "rm"

    def __init__(self, scorer, *, max_length: int, min_prompt_tokens: int, batch_tokens: int, name: str):
        self.scorer, self.name = scorer, name
        self.settings = {
            "max_length": max_length,
            "min_prompt_tokens": min_prompt_tokens,
            "batch_tokens": batch_tokens,
        }

    def judge(self, items: Sequence[dict], language: str) -> list[dict]:
        from xlrm.align.labelling import score_responses

        todo = [i for i, it in enumerate(items) if it["a"].strip() and it["b"].strip() and it["a"] != it["b"]]
        scores, _ = score_responses(
            self.scorer,
            [(items[i]["prompt"], [items[i]["a"], items[i]["b"]]) for i in todo],
            language=language,
            desc=f"judge {self.name}",
            **self.settings,
        )
        by = dict(zip(todo, scores, strict=True))
        out = []
        for i, it in enumerate(items):
            a_empty, b_empty = not it["a"].strip(), not it["b"].strip()
            sa = sb = None
            if a_empty or b_empty:
                verdict, why = (
                    ("tie", "both_empty")
                    if a_empty and b_empty
                    else ("b" if a_empty else "a", "empty_answer")
                )
            elif it["a"] == it["b"]:
                verdict, why = "tie", "identical_answers"
            else:
                sa, sb = (float(x) for x in by[i])
                if math.isnan(sa) or math.isnan(sb):
                    verdict, why = "undecided", "too_long"
                    sa = None if math.isnan(sa) else sa
                    sb = None if math.isnan(sb) else sb
                else:
                    verdict, why = ("a" if sa > sb else "b" if sb > sa else "tie"), "scores"
            out.append({"id": it["id"], "verdict": verdict, "reason": why, "score_a": sa, "score_b": sb})
        return out


class GenerativeJudge:
    """:class:`PairwiseJudge` behind the align judging interface: A's answer as ``chosen``."""

    kind = "generative"
    _VERDICT = {"chosen": "a", "rejected": "b", "tie": "tie", "undecided": "undecided"}

    def __init__(self, judge, name: str):
        self.pairwise, self.name = judge, name

    def judge(self, items: Sequence[dict], language: str) -> list[dict]:
        result = self.pairwise.judge(
            [{"id": it["id"], "prompt": it["prompt"], "chosen": it["a"], "rejected": it["b"]} for it in items]
        )
        out = []
        for rec in result.records:
            d = rec.to_dict()
            # in the pair's terms "chosen" is A: rename so the record reads as A vs B
            for order in ("chosen_first", "chosen_second"):
                o = d.pop(order)
                o["a_as"] = o.pop("chosen_as")
                o["verdict"] = self._VERDICT.get(o["verdict"]) if o["verdict"] else None
                d["a_first" if order == "chosen_first" else "a_second"] = o
            d["verdict"] = self._VERDICT[rec.verdict]
            out.append(d)
        return out


def win_rate_row(
    verdicts: Sequence[str],
    a_answers: Sequence[str],
    b_answers: Sequence[str],
    *,
    language: str,
    comparison: str,
    policy_a: str,
    policy_b: str,
    judge: str,
    n_boot: int,
    ci: float,
    seed: int = 0,
) -> dict:
    """One row of the win-rate table: A's win rate over B, ties half, undecided prompts left out
    (NaN rate when none is decided)."""
    from xlrm.eval.judge import win_rate

    outcome = {"a": "win", "b": "loss", "tie": "tie", "undecided": "undecided"}
    mapped = [outcome[v] for v in verdicts]
    undecided = sum(v == "undecided" for v in verdicts)
    row = {
        "language": language,
        "comparison": comparison,
        "policy_a": policy_a,
        "policy_b": policy_b,
        "judge": judge,
        "prompts": len(verdicts),
        "wins": sum(v == "a" for v in verdicts),
        "losses": sum(v == "b" for v in verdicts),
        "ties": sum(v == "tie" for v in verdicts),
        "undecided": undecided,
        "a_mean_chars": float(np.mean([len(a) for a in a_answers])) if a_answers else math.nan,
        "b_mean_chars": float(np.mean([len(b) for b in b_answers])) if b_answers else math.nan,
    }
    if undecided == len(verdicts):
        row.update(win_rate=math.nan, ci_low=math.nan, ci_high=math.nan)
    else:
        w = win_rate(mapped, n_boot=n_boot, ci=ci, seed=seed, undecided="drop")
        row.update(win_rate=w.rate, ci_low=w.low, ci_high=w.high)
    return row


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def markdown(rows: Sequence[dict], ci: float, agreement: dict | None = None) -> str:
    pct = round(ci * 100)
    lines = [
        "# Win rates",
        "",
        f"Win rate of A over B on the held-out prompts (ties count half; undecided prompts left out), "
        f"{pct}% bootstrap interval, and the mean answer length in characters of each side.",
        "",
        f"| language | comparison | A | B | judge | win rate of A | {pct}% CI | W / L / T | undecided | chars A | chars B |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['language']} | {r['comparison']} | {r['policy_a']} | {r['policy_b']} | {r['judge']} | "
            f"{_fmt(r['win_rate'])} | [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}] | "
            f"{r['wins']} / {r['losses']} / {r['ties']} | {r['undecided']} | "
            f"{_fmt(r['a_mean_chars'], 1)} | {_fmt(r['b_mean_chars'], 1)} |"
        )
    if agreement:
        lines += [
            "",
            "## Labelling agreement",
            "",
            "How often the English RM and the target RM label a language's samples alike: the same "
            "(chosen, rejected) pair, the same chosen response, and the share of response pairs both order the same way.",
            "",
            "| language | English RM | target RM | prompts both label | same pair | same chosen | reversed | order agreement |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for lang, a in agreement.items():
            lines.append(
                f"| {lang} | {a['english']} | {a['target']} | {a['both_kept']} | {_fmt(a['same_pair'])} | "
                f"{_fmt(a['same_chosen'])} | {_fmt(a['reversed'])} | {_fmt(a['order_agreement'])} |"
            )
    return "\n".join(lines) + "\n"


def bar_chart(rows: Sequence[dict], path: Path, ci: float) -> Path | None:
    """Win rate per comparison with its interval, a line at 0.5; None without matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        log.warning("matplotlib is not installed: no win-rate chart (pip install 'xlrm[plots]')")
        return None
    fig = Figure(figsize=(max(4.0, 0.9 * len(rows) + 1.5), 3.6))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(rows))
    rate = np.array([r["win_rate"] for r in rows], dtype=float)
    low = np.array([r["ci_low"] for r in rows], dtype=float)
    high = np.array([r["ci_high"] for r in rows], dtype=float)
    shown = np.nan_to_num(rate, nan=0.0)
    err = np.vstack([np.nan_to_num(rate - low), np.nan_to_num(high - rate)])
    colors = ["#4c72b0" if r["comparison"] == "aligned_vs_base" else "#dd8452" for r in rows]
    ax.bar(x, shown, yerr=err, color=colors, capsize=3)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_xticks(x)
    ax.set_xticklabels([f"{r['language']}\n{r['policy_a']}\nvs {r['policy_b']}" for r in rows], fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"win rate of A ({round(ci * 100)}% CI)")
    fig.subplots_adjust(bottom=0.3, left=0.12, right=0.98, top=0.95)
    fig.savefig(path, dpi=110)
    return path


def write_tables(
    rows: Sequence[dict], out: Path, *, ci: float, agreement: dict | None, plots: bool
) -> list[str]:
    """``win_rates.parquet``, ``win_rates.md`` and (``plots``) ``win_rates.png`` under ``out``;
    returns the files written (relative)."""
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(list(rows), schema=TABLE_SCHEMA), out / "win_rates.parquet")
    (out / "win_rates.md").write_text(markdown(rows, ci, agreement), encoding="utf-8")
    files = ["win_rates.parquet", "win_rates.md"]
    if plots and rows and bar_chart(rows, out / "win_rates.png", ci) is not None:
        files.append("win_rates.png")
    return files
