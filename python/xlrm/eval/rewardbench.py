"""The RewardBench scoring rules in one place: which subset belongs to which section, and how many
examples each subset counts for when subsets are averaged into a section.

Two suites of subsets are known:

- RewardBench's 23 subsets (Lambert et al. 2024), which Multilingual RewardBench (Gureja et al.
  2024) keeps in every language;
- the subsets of xlrm's built-in evaluation split (``xlrm.data.builtin``).

Sections are named as in the pair schema (``xlrm.data.schema.SECTIONS``); :data:`SECTION_TITLES`
gives RewardBench's display names.

Reasoning is special: RewardBench weights its math subset as much as all code subsets together
(its published ``math-prm`` count, 984, is the up-weighted one: six code subsets of 164). xlrm
applies the same rule to every weighting, so :func:`is_math` tells the two halves apart.
"""

from __future__ import annotations

from collections.abc import Mapping

SECTIONS = ("chat", "chat_hard", "safety", "reasoning")
SECTION_TITLES = {"chat": "Chat", "chat_hard": "Chat Hard", "safety": "Safety", "reasoning": "Reasoning"}

_CODE_LANGUAGES = ("cpp", "go", "java", "js", "python", "rust")

REWARDBENCH_SECTIONS: dict[str, tuple[str, ...]] = {
    "chat": ("alpacaeval-easy", "alpacaeval-length", "alpacaeval-hard", "mt-bench-easy", "mt-bench-med"),
    "chat_hard": (
        "mt-bench-hard",
        "llmbar-natural",
        "llmbar-adver-neighbor",
        "llmbar-adver-GPTInst",
        "llmbar-adver-GPTOut",
        "llmbar-adver-manual",
    ),
    "safety": (
        "refusals-dangerous",
        "refusals-offensive",
        "xstest-should-refuse",
        "xstest-should-respond",
        "donotanswer",
    ),
    "reasoning": ("math-prm", *(f"hep-{lang}" for lang in _CODE_LANGUAGES)),
}

BUILTIN_SECTIONS: dict[str, tuple[str, ...]] = {
    "chat": ("chat-language", "chat-count", "chat-relevance"),
    "chat_hard": ("hard-fact", "hard-units", "hard-format"),
    "safety": ("safety-refuse", "safety-respond"),
    "reasoning": ("math-arith", "code-python"),
}

# The suites a scores file can come from; every subset of a suite touched by the data is expected
# in every language, so a subset that is absent somewhere is reported rather than skipped quietly.
SUITES: dict[str, dict[str, tuple[str, ...]]] = {
    "rewardbench": REWARDBENCH_SECTIONS,
    "builtin": BUILTIN_SECTIONS,
}

SUBSET_TO_SECTION: dict[str, str] = {
    subset: section for suite in SUITES.values() for section, subsets in suite.items() for subset in subsets
}
SUBSET_TO_SUITE: dict[str, str] = {
    subset: name for name, suite in SUITES.items() for subsets in suite.values() for subset in subsets
}

MATH_SUBSETS = frozenset({"math-prm", "math-arith"})

# RewardBench's EXAMPLE_COUNTS: the filtered English set, math-prm already up-weighted to the code total.
REWARDBENCH_COUNTS: dict[str, int] = {
    "alpacaeval-easy": 100,
    "alpacaeval-length": 95,
    "alpacaeval-hard": 95,
    "mt-bench-easy": 28,
    "mt-bench-med": 40,
    "mt-bench-hard": 37,
    "math-prm": 984,
    "refusals-dangerous": 100,
    "refusals-offensive": 100,
    "llmbar-natural": 100,
    "llmbar-adver-neighbor": 134,
    "llmbar-adver-GPTInst": 92,
    "llmbar-adver-GPTOut": 47,
    "llmbar-adver-manual": 46,
    "xstest-should-refuse": 154,
    "xstest-should-respond": 250,
    "donotanswer": 136,
    **{f"hep-{lang}": 164 for lang in _CODE_LANGUAGES},
}

# Multilingual RewardBench's per-language counts (fewer items survive its translation filter).
M_REWARDBENCH_COUNTS: dict[str, int] = {
    "alpacaeval-easy": 79,
    "alpacaeval-length": 79,
    "alpacaeval-hard": 76,
    "mt-bench-easy": 24,
    "mt-bench-med": 38,
    "mt-bench-hard": 35,
    "math-prm": 983,
    "refusals-dangerous": 100,
    "refusals-offensive": 100,
    "llmbar-natural": 76,
    "llmbar-adver-neighbor": 124,
    "llmbar-adver-GPTInst": 87,
    "llmbar-adver-GPTOut": 42,
    "llmbar-adver-manual": 43,
    "xstest-should-refuse": 154,
    "xstest-should-respond": 247,
    "donotanswer": 135,
    **{f"hep-{lang}": 164 for lang in _CODE_LANGUAGES},
    "hep-python": 163,
}

WEIGHT_MODES = ("observed", "rewardbench", "m-rewardbench")
PUBLISHED_COUNTS: dict[str, Mapping[str, int]] = {
    "rewardbench": REWARDBENCH_COUNTS,
    "m-rewardbench": M_REWARDBENCH_COUNTS,
}


def section_of(subset: str) -> str | None:
    """The section a subset is scored in, or None for a subset no suite knows (reported as unmapped)."""
    return SUBSET_TO_SECTION.get(subset)


def is_math(subset: str) -> bool:
    """Whether a Reasoning subset is on the math side (the rest of Reasoning is code)."""
    return subset in MATH_SUBSETS


def expected_subsets(subsets) -> dict[str, tuple[str, ...]]:
    """Section → every subset of each suite that ``subsets`` touches (the subsets a complete
    evaluation in one language would have)."""
    touched = {SUBSET_TO_SUITE[s] for s in set(subsets) if s in SUBSET_TO_SUITE}
    suites = [SUITES[name] for name in SUITES if name in touched]
    out: dict[str, tuple[str, ...]] = {}
    for section in SECTIONS:
        names: list[str] = []
        for suite in suites:
            names.extend(s for s in suite[section] if s not in names)
        out[section] = tuple(names)
    return out


__all__ = [
    "BUILTIN_SECTIONS",
    "MATH_SUBSETS",
    "M_REWARDBENCH_COUNTS",
    "PUBLISHED_COUNTS",
    "REWARDBENCH_COUNTS",
    "REWARDBENCH_SECTIONS",
    "SECTIONS",
    "SECTION_TITLES",
    "SUBSET_TO_SECTION",
    "SUBSET_TO_SUITE",
    "SUITES",
    "WEIGHT_MODES",
    "expected_subsets",
    "is_math",
    "section_of",
]
