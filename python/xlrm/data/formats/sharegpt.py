"""ShareGPT-style rows: ``conversations`` (messages as {from, value} or {role, content})
plus ``chosen``/``rejected`` given as message objects or plain strings."""

from __future__ import annotations

from xlrm.data.formats._common import assistant, make_pair, messages, require

NAME = "sharegpt"


def matches(row: dict) -> bool:
    return "conversations" in row and "chosen" in row and "rejected" in row


def convert_row(rec, ctx):
    d = rec.data
    require(d, "conversations", "chosen", "rejected")
    prompt = messages(d["conversations"], "conversations")
    return make_pair(
        ctx,
        rec,
        prompt,
        assistant(d["chosen"], "chosen"),
        assistant(d["rejected"], "rejected"),
        subset=d.get("_group"),
    )
