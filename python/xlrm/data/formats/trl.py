"""TRL preference formats: standard (strings) or conversational (messages), with an
explicit ``prompt`` column or an implicit prompt shared by ``chosen`` and ``rejected``."""

from __future__ import annotations

from xlrm.data.formats._common import (
    assistant,
    make_pair,
    messages,
    require,
    split_shared_prefix,
    text,
    user,
)

NAME = "trl"


def matches(row: dict) -> bool:
    return "chosen" in row and "rejected" in row


def _common_text_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    # cut back to a word or line boundary so a shared first word of the answers is not taken
    cut = max(a.rfind(" ", 0, n), a.rfind("\n", 0, n)) + 1 if n < min(len(a), len(b)) else n
    return a[:cut]


def convert_row(rec, ctx):
    d = rec.data
    require(d, "chosen", "rejected")
    chosen, rejected = d["chosen"], d["rejected"]
    if "prompt" in d and d["prompt"] is not None:
        p = d["prompt"]
        prompt = user(p, "prompt") if isinstance(p, str) else messages(p, "prompt")
        return make_pair(ctx, rec, prompt, assistant(chosen, "chosen"), assistant(rejected, "rejected"))
    if isinstance(chosen, list):
        c, r = messages(chosen, "chosen"), messages(rejected, "rejected")
        prompt, c_tail, r_tail = split_shared_prefix(c, r)
        return make_pair(ctx, rec, prompt, c_tail, r_tail)
    text(chosen, "chosen")
    text(rejected, "rejected")
    prefix = _common_text_prefix(chosen, rejected)
    return make_pair(
        ctx,
        rec,
        user(prefix.strip(), "prompt") if prefix.strip() else [],
        assistant(chosen[len(prefix) :], "chosen"),
        assistant(rejected[len(prefix) :], "rejected"),
    )
