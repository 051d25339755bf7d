"""Rows already in the xlrm schema (as written by `xlrm data` and the built-in generator)."""

from __future__ import annotations

from xlrm.data.formats._common import make_pair, messages, optional_text, require

NAME = "xlrm"


def matches(row: dict) -> bool:
    return (
        isinstance(row.get("prompt"), list)
        and isinstance(row.get("chosen"), list)
        and "source" in row
        and "language" in row
    )


def convert_row(rec, ctx):
    d = rec.data
    require(d, "prompt", "chosen", "rejected")
    c = make_pair(
        ctx,
        rec,
        messages(d["prompt"], "prompt"),
        messages(d["chosen"], "chosen"),
        messages(d["rejected"], "rejected"),
    )
    c.pair["source"] = optional_text(d.get("source"), "source") or ctx.source
    return c
