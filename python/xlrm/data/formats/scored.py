"""Scored responses: several rows per prompt, each with one ``response`` and a ``score``
(e.g. one file per generating model). Each prompt gives one pair, best vs worst; ties and
margins below ``min_margin`` are skipped and counted."""

from __future__ import annotations

import json
import math

from xlrm.data.formats._common import RowError, assistant, make_pair, messages, problem, require, user
from xlrm.data.records import Problem

NAME = "scored"


def matches(row: dict) -> bool:
    return (
        "response" in row
        and "score" in row
        and ("conversations" in row or "prompt" in row or "instruction" in row)
    )


def _prompt(d: dict) -> list[dict]:
    if "conversations" in d:
        return messages(d["conversations"], "conversations")
    key = "prompt" if "prompt" in d else "instruction"
    p = d[key]
    return user(p, key) if isinstance(p, str) else messages(p, key)


def convert(records, ctx):
    groups: dict[str, list] = {}
    firsts: dict[str, object] = {}
    for rec in records:
        try:
            d = rec.data
            require(d, "response", "score")
            prompt = _prompt(d)
            score = d["score"]
            if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
                raise RowError("wrong_type", "score", f"expected a number, got {score!r}")
            response = assistant(d["response"], "response")
        except RowError as e:
            yield problem(rec, e)
            continue
        key = json.dumps(prompt, ensure_ascii=False, sort_keys=True)
        groups.setdefault(key, []).append((float(score), rec, response, prompt))
        firsts.setdefault(key, rec)
    for key, items in groups.items():
        first = firsts[key]
        if len(items) < 2:
            yield Problem(
                first.file,
                first.row,
                "single_response",
                "response",
                "only one scored response for this prompt",
            )
            continue
        # stable order: highest score first, then file order, so ties break deterministically
        items.sort(key=lambda t: (-t[0], t[1].file, t[1].row))
        best, worst = items[0], items[-1]
        margin = best[0] - worst[0]
        if margin == 0:
            yield Problem(first.file, first.row, "tied_scores", "score", "best and worst scores are equal")
            continue
        if margin < ctx.min_margin:
            yield Problem(
                first.file,
                first.row,
                "margin_below_minimum",
                "score",
                f"margin {margin:.4g} < min_margin {ctx.min_margin}",
            )
            continue
        pair = make_pair(ctx, first, best[3], best[2], worst[2], pair_id=f"{ctx.source}/{first.row}")
        pair.pair["subset"] = None
        yield pair
