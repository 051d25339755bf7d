"""Multilingual RewardBench rows: ``prompt``, ``chosen``, ``rejected`` as strings, with the
RewardBench ``subset`` (mapped to its section) and a ``language`` code such as 'kor_Hang'."""

from __future__ import annotations

from xlrm.data.formats._common import assistant, make_pair, optional_text, require, user

NAME = "rewardbench"

# RewardBench subset -> section (the four sections reported per language).
SUBSET_SECTIONS = {
    **dict.fromkeys(
        ["alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"], "chat"
    ),
    **dict.fromkeys(
        [
            "mt-bench-hard",
            "llmbar-natural",
            "llmbar-adver-neighbor",
            "llmbar-adver-GPTInst",
            "llmbar-adver-GPTOut",
            "llmbar-adver-manual",
        ],
        "chat_hard",
    ),
    **dict.fromkeys(
        [
            "refusals-dangerous",
            "refusals-offensive",
            "xstest-should-refuse",
            "xstest-should-respond",
            "donotanswer",
        ],
        "safety",
    ),
    **dict.fromkeys(
        ["math-prm", "hep-cpp", "hep-go", "hep-java", "hep-js", "hep-python", "hep-rust"], "reasoning"
    ),
}


def section_of(subset: str | None) -> str | None:
    if subset is None:
        return None
    if subset in SUBSET_SECTIONS:
        return SUBSET_SECTIONS[subset]
    from xlrm.data import builtin  # the built-in eval set names its own subsets

    return getattr(builtin, "SUBSET_TO_SECTION", {}).get(subset)


def matches(row: dict) -> bool:
    return isinstance(row.get("prompt"), str) and isinstance(row.get("chosen"), str) and "subset" in row


def convert_row(rec, ctx):
    d = rec.data
    require(d, "prompt", "chosen", "rejected")
    subset = optional_text(d.get("subset"), "subset")  # before the lookup: a list is unhashable
    return make_pair(
        ctx,
        rec,
        user(d["prompt"], "prompt"),
        assistant(d["chosen"], "chosen"),
        assistant(d["rejected"], "rejected"),
        category=section_of(subset) or ctx.category,
        subset=subset,
    )
