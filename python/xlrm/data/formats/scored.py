"""Scored responses: several rows per prompt, each with one ``response`` and a ``score``
(e.g. one file per generating model). Each prompt gives one pair, best vs worst; ties and
margins below ``min_margin`` are skipped and counted.

Every row is accounted for: a prompt's pair stands for its first row, the prompt's other rows
are counted as ``merged_into_pair``, and a prompt that gives no pair counts each of its rows
under the reason (``single_response``, ``tied_scores``, ``margin_below_minimum``)."""

from __future__ import annotations

import json
import math

from xlrm.data.formats._common import (
    RowError,
    assistant,
    generated_id,
    make_pair,
    messages,
    problem,
    require,
    short,
    user,
)
from xlrm.data.records import Problem

NAME = "scored"
#: The adapter groups rows across the whole source (a prompt's responses may sit in several
#: files), so the ingest feeds it every file of this format in one stream.
GROUPS_ROWS = True


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


def _score(value) -> float:
    # bool is an int in Python; a huge int overflows float(); NaN and inf order nothing
    try:
        ok = not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(float(value))
    except OverflowError:
        ok = False
    if not ok:
        raise RowError("wrong_type", "score", f"expected a finite number, got {short(value)}")
    return float(value)


def _each_row(items, reason: str, detail: str):
    """One problem per row of a prompt that gives no pair: the first says why, the rest point to it."""
    first = items[0][1]
    yield Problem(
        first.file, first.row, reason, "score" if reason != "single_response" else "response", detail
    )
    for _, rec, _, _ in items[1:]:
        yield Problem(rec.file, rec.row, reason, "score", f"same prompt as {first.file} row {first.row}")


def convert(records, ctx):
    groups: dict[str, list] = {}
    for rec in records:
        try:
            d = rec.data
            require(d, "response", "score")
            prompt = _prompt(d)
            score = _score(d["score"])
            response = assistant(d["response"], "response")
        except RowError as e:
            yield problem(rec, e)
            continue
        key = json.dumps(prompt, ensure_ascii=False, sort_keys=True)
        groups.setdefault(key, []).append((score, rec, response, prompt))
    for items in groups.values():
        first = items[0][1]
        if len(items) < 2:
            yield from _each_row(items, "single_response", "only one scored response for this prompt")
            continue
        # stable order: highest score first, then file order, so ties break deterministically
        ranked = sorted(items, key=lambda t: (-t[0], t[1].file, t[1].row))
        best, worst = ranked[0], ranked[-1]
        margin = best[0] - worst[0]
        if margin == 0:
            yield from _each_row(items, "tied_scores", "best and worst scores are equal")
            continue
        if margin < ctx.min_margin:
            detail = f"margin {margin:.4g} < min_margin {ctx.min_margin}"
            yield from _each_row(items, "margin_below_minimum", detail)
            continue
        try:
            # subset="": a scored pair has none, so the first row's own `subset` is not read
            pair = make_pair(
                ctx, first, best[3], best[2], worst[2], pair_id=generated_id(ctx, first), subset=""
            )
        except RowError as e:  # e.g. the first row's language or category has a wrong type
            yield problem(first, e)
            reason, field, detail = e.reason, e.field, f"same prompt as {first.file} row {first.row}"
        else:
            pair.generated_id = True
            pair.pair["subset"] = None
            yield pair
            reason, field = "merged_into_pair", "response"
            detail = f"a scored response to the prompt of {first.file} row {first.row}, folded into its pair"
        for _, rec, _, _ in items[1:]:
            yield Problem(rec.file, rec.row, reason, field, detail)
