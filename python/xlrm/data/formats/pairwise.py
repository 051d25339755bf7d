"""Pairwise-with-label rows: an instruction, two responses and which one is better.

Covers OffsetBias (``instruction``, ``response1``/``response2`` or ``output_1``/``output_2``,
``label`` 1 or 2) and PKU-SafeRLHF (``prompt``, ``response_0``/``response_1``,
``better_response_id``/``safer_response_id`` 0 or 1)."""

from __future__ import annotations

from xlrm.data.formats._common import RowError, assistant, make_pair, short, user

NAME = "pairwise"

# (first, second, label field, value meaning "first is better")
_LAYOUTS = (
    ("response1", "response2", "label", 1),
    ("output_1", "output_2", "label", 1),
    ("response_0", "response_1", "better_response_id", 0),
)


def _layout(row: dict):
    for first, second, label, first_wins in _LAYOUTS:
        if first in row and second in row:
            return first, second, label, first_wins
    return None


def matches(row: dict) -> bool:
    return _layout(row) is not None and ("instruction" in row or "prompt" in row)


def convert_row(rec, ctx):
    d = rec.data
    layout = _layout(d)
    if layout is None:
        raise RowError("missing_field", "response1", "no pair of responses found")
    first, second, label, first_wins = layout
    label = (ctx.columns.get("_label") if ctx.columns else None) or label
    if d.get(label) is None:
        raise RowError("missing_field", label, "which response is better is not given")
    value = d[label]
    second_wins = first_wins + 1
    # bool is an int in Python: True would pass for 1 without this
    if isinstance(value, bool) or value not in (first_wins, second_wins):
        raise RowError("bad_label", label, f"expected {first_wins} or {second_wins}, got {short(value)}")
    good, bad = (first, second) if value == first_wins else (second, first)
    key = "instruction" if "instruction" in d else "prompt"
    return make_pair(
        ctx,
        rec,
        user(d[key], key),
        assistant(d[good], good),
        assistant(d[bad], bad),
        subset=d.get("bias", d.get("_group")),
    )
