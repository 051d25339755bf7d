"""Labelling on-policy samples with a reward model: scores, best-vs-worst pairs, agreement.

Scores come from the packed, padding-free scorer of ``xlrm eval-rm``
(:func:`xlrm.eval.scorer.tokenize_eval` + :func:`~xlrm.eval.scorer.packed_rewards`), which
renders with the RM's own chat template and reads the reward at each sequence's last token. That
scorer works on pairs, so a prompt's distinct responses are paired up for it (``r0`` with ``r1``,
``r2`` with ``r3``, an odd last one with ``r0``): every response is scored once (``r0`` maybe
twice, identically) and no forward pass is spent on padding or on a dummy partner.

A prompt's preference pair is its best-scored response (chosen) against its worst (rejected).
No pair is made, and the prompt is counted under its reason, when:

- ``empty_responses``: every response is empty;
- ``identical_responses``: fewer than two distinct non-empty responses;
- ``too_long``: fewer than two responses could be scored within ``max_length``;
- ``tie``: the best and the worst score are equal;
- ``below_min_margin``: best − worst < ``min_margin``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from xlrm.data.schema import MESSAGES

DROP_REASONS = ("empty_responses", "identical_responses", "too_long", "tie", "below_min_margin")

_SCORE_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("language", pa.string()),
        ("subset", pa.string()),
        ("prompt", MESSAGES),
        ("chosen", MESSAGES),
        ("rejected", MESSAGES),
    ]
)


def _distinct(responses: Sequence[str]) -> list[int]:
    """Indexes of the first occurrence of each distinct non-empty response."""
    seen: dict[str, int] = {}
    for i, r in enumerate(responses):
        if r.strip() and r not in seen:
            seen[r] = i
    return list(seen.values())


def score_responses(
    scorer,
    items: Sequence[tuple[list[dict], Sequence[str]]],
    *,
    language: str,
    max_length: int,
    min_prompt_tokens: int,
    batch_tokens: int,
    chat_template: str | None = None,
    desc: str = "",
) -> tuple[list[np.ndarray], dict]:
    """Per item (``(prompt messages, responses)``) an array of the responses' rewards: NaN for an
    empty response and for one that did not fit ``max_length``; duplicates share their first
    occurrence's score. Items with fewer than two distinct non-empty responses are not scored.
    Returns the arrays and ``{"pairs_scored", "dropped" (tokenization drops by reason), "timing"}``."""
    from xlrm.eval.scorer import packed_rewards, tokenize_eval

    rows, slots = [], []
    firsts: list[list[int]] = []
    for n, (prompt, responses) in enumerate(items):
        d = _distinct(responses)
        firsts.append(d)
        if len(d) < 2:
            continue
        for j in range(0, len(d), 2):
            a, b = d[j], d[j + 1] if j + 1 < len(d) else d[0]
            rows.append(
                {
                    "id": f"{n}:{j}",
                    "language": language,
                    "subset": None,
                    "prompt": prompt,
                    "chosen": [{"role": "assistant", "content": responses[a]}],
                    "rejected": [{"role": "assistant", "content": responses[b]}],
                }
            )
            slots.append((n, a, b))
    scores = [np.full(len(r), np.nan) for _, r in items]
    info: dict = {"pairs_scored": 0, "dropped": {}, "timing": None}
    if rows:
        table = pa.Table.from_pylist(rows, schema=_SCORE_SCHEMA)
        tok = tokenize_eval(
            table,
            scorer.tokenizer,
            max_length=max_length,
            min_prompt_tokens=min_prompt_tokens,
            chat_template=chat_template,
        )
        chosen, rejected, timing = packed_rewards(scorer, tok, batch_tokens=batch_tokens, desc=desc)
        by_id = {rid: k for k, rid in enumerate(tok.table["id"].to_pylist())}
        for (n, a, b), row in zip(slots, rows, strict=True):
            k = by_id.get(row["id"])
            if k is not None:
                scores[n][a], scores[n][b] = chosen[k], rejected[k]
        info = {
            "pairs_scored": len(tok),
            "dropped": {r: int(v) for per in tok.dropped.values() for r, v in per.items() if v},
            "timing": timing,
        }
    for (_, responses), s, d in zip(items, scores, firsts, strict=True):
        index = {responses[i]: i for i in d}
        for i, r in enumerate(responses):  # duplicates take their first occurrence's score
            if r.strip() and index.get(r, i) != i:
                s[i] = s[index[r]]
    return scores, info


def best_vs_worst(responses: Sequence[str], scores: np.ndarray, min_margin: float) -> tuple[int, int] | str:
    """``(chosen index, rejected index)`` or the reason no pair is made (see the module docstring).
    Among equal best (worst) scores the first response wins, so the choice is deterministic."""
    if not any(r.strip() for r in responses):
        return "empty_responses"
    if len(_distinct(responses)) < 2:
        return "identical_responses"
    scored = [i for i in _distinct(responses) if not math.isnan(scores[i])]
    if len(scored) < 2:
        return "too_long"
    best = max(scored, key=lambda i: (scores[i], -i))
    worst = min(scored, key=lambda i: (scores[i], i))
    margin = float(scores[best] - scores[worst])
    if margin == 0:
        return "tie"
    if margin < min_margin:
        return "below_min_margin"
    return best, worst


def label(
    generations: Sequence[dict],
    prompts: dict[str, dict],
    scores: dict[str, np.ndarray],
    *,
    labeller: str,
    min_margin: float,
) -> tuple[list[dict], Counter]:
    """Preference pairs in the xlrm pair schema (plus ``score_chosen``, ``score_rejected``,
    ``margin``, ``sample_chosen``, ``sample_rejected``, ``labeller``), and the prompts without a
    pair per reason. ``generations`` are the sampling rows; ``scores`` maps a prompt id to its
    responses' scores in sample order."""
    by_id: dict[str, list[dict]] = {}
    for g in generations:
        by_id.setdefault(g["id"], []).append(g)
    pairs, dropped = [], Counter()
    for pid, rows in by_id.items():
        rows = sorted(rows, key=lambda g: g["sample"])
        responses = [g["response"] for g in rows]
        choice = best_vs_worst(responses, scores[pid], min_margin)
        if isinstance(choice, str):
            dropped[choice] += 1
            continue
        c, r = choice
        p = prompts[pid]
        pairs.append(
            {
                "id": f"{pid}/{p['language']}",
                "prompt": p["prompt"],
                "chosen": [{"role": "assistant", "content": responses[c]}],
                "rejected": [{"role": "assistant", "content": responses[r]}],
                "language": p["language"],
                "source": f"align:{labeller}",
                "category": None,
                "subset": p.get("source"),
                "prompt_id": pid,
                "score_chosen": float(scores[pid][c]),
                "score_rejected": float(scores[pid][r]),
                "margin": float(scores[pid][c] - scores[pid][r]),
                "sample_chosen": int(rows[c]["sample"]),
                "sample_rejected": int(rows[r]["sample"]),
                "labeller": labeller,
            }
        )
    return pairs, dropped


def agreement(
    a: dict[str, np.ndarray], b: dict[str, np.ndarray], responses: dict[str, list[str]], min_margin: float
) -> dict:
    """How often two labellings (prompt id → scores in sample order) choose alike, over the prompts
    both can label: ``same_pair`` (the same chosen and rejected response: the DPO pair is identical),
    ``same_chosen``, ``same_rejected``, ``reversed`` (one's chosen is the other's rejected), and
    ``order_agreement``: the share of response pairs both order the same way (pairs either ties
    left out). ``both_kept`` counts the prompts where both made a pair."""
    compared = same_pair = same_chosen = same_rejected = reversed_ = both_kept = 0
    agree = total = 0
    for pid, resp in responses.items():
        ca = best_vs_worst(resp, a[pid], min_margin)
        cb = best_vs_worst(resp, b[pid], min_margin)
        d = [i for i in _distinct(resp) if not (math.isnan(a[pid][i]) or math.isnan(b[pid][i]))]
        for x in range(len(d)):
            for y in range(x + 1, len(d)):
                sa = np.sign(a[pid][d[x]] - a[pid][d[y]])
                sb = np.sign(b[pid][d[x]] - b[pid][d[y]])
                if sa and sb:
                    total += 1
                    agree += int(sa == sb)
        if isinstance(ca, str) or isinstance(cb, str):
            continue
        both_kept += 1
        compared += 1
        same_pair += int(ca == cb)
        same_chosen += int(ca[0] == cb[0])
        same_rejected += int(ca[1] == cb[1])
        reversed_ += int(ca == (cb[1], cb[0]))

    def share(k: int, n: int) -> float | None:
        return round(k / n, 6) if n else None

    return {
        "prompts": len(responses),
        "both_kept": both_kept,
        "same_pair": share(same_pair, compared),
        "same_chosen": share(same_chosen, compared),
        "same_rejected": share(same_rejected, compared),
        "reversed": share(reversed_, compared),
        "order_agreement": share(agree, total),
        "ordered_response_pairs": total,
    }
