"""A built-in multilingual preference set whose labels are right by construction.

Pairs in English, Spanish, Italian, Korean and Chinese, written natively per language, in the four
RewardBench sections (chat, chat_hard, safety, reasoning). Every pair is built from a template and a
deliberate, checkable difference: a constraint followed or broken, one wrong fact, a factor-of-ten
slip, a refusal where one is due (or not), a wrong step, a bug. The train and eval splits use disjoint
templates and entities, and parallel items share an id stem across languages::

    builtin/eval/reasoning/arith-0007/ko   # the Korean rendering of eval item 7 of math-arith

so the same item can be scored in every language.

    >>> from xlrm.data.builtin import generate
    >>> rows = generate(languages=("en", "ko"), split="train", per_section=4, seed=0)
    >>> len(rows)
    32

``python -m xlrm.data.builtin --stats`` prints row counts; see docs/builtin-data.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from xlrm.data.builtin import chat, chat_hard, reasoning, safety
from xlrm.data.builtin.core import SOURCE, SPLITS, Subset, draw, to_row
from xlrm.data.builtin.lexicon import LANGUAGES
from xlrm.data.builtin.rewardbench import (
    BUILTIN_SUBSET_TO_SECTION,
    REWARDBENCH_SUBSET_TO_SECTION,
    SUBSET_TO_SECTION,
    to_rewardbench_row,
    write_rewardbench_file,
)
from xlrm.data.schema import SECTIONS

SUBSETS: tuple[Subset, ...] = (*chat.SUBSETS, *chat_hard.SUBSETS, *safety.SUBSETS, *reasoning.SUBSETS)
SUBSETS_BY_SECTION: dict[str, tuple[Subset, ...]] = {
    section: tuple(s for s in SUBSETS if s.section == section) for section in SECTIONS
}
assert {s.name: s.section for s in SUBSETS} == BUILTIN_SUBSET_TO_SECTION


def subset_counts(per_section: int, section: str) -> dict[str, int]:
    """How ``per_section`` items are shared among a section's subsets (as evenly as possible, the first
    subsets taking the remainder)."""
    subsets = SUBSETS_BY_SECTION[section]
    base, extra = divmod(per_section, len(subsets))
    return {s.name: base + (i < extra) for i, s in enumerate(subsets)}


def generate(
    languages: Sequence[str] = LANGUAGES,
    split: str = "train",
    per_section: int = 100,
    seed: int = 0,
    sections: Sequence[str] = SECTIONS,
) -> list[dict]:
    """Preference pairs in the project schema: ``per_section`` items per section, each rendered in every
    language of ``languages`` (so ``per_section × len(sections) × len(languages)`` rows).

    Deterministic for (split, per_section, seed): the items drawn for one section or subset do not
    depend on which languages or other sections are asked for. Raises ValueError for unknown
    languages, sections or splits, or when a split has fewer distinct items than asked for."""
    languages = tuple(languages)
    sections = tuple(sections)
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language(s) {unknown}; the built-in set has {list(LANGUAGES)}")
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        raise ValueError(f"unknown section(s) {bad}; choose from {list(SECTIONS)}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if per_section < 0:
        raise ValueError(f"per_section must be >= 0, got {per_section}")
    rows: list[dict] = []
    for section in SECTIONS:
        if section not in sections:
            continue
        counts = subset_counts(per_section, section)
        for subset in SUBSETS_BY_SECTION[section]:
            for i, rendered in enumerate(draw(subset, split, counts[subset.name], seed)):
                stem = f"builtin/{split}/{section}/{subset.kind}-{i:04d}"
                rows.extend(to_row(stem, lang, subset, rendered[lang]) for lang in languages)
    return rows


__all__ = [
    "BUILTIN_SUBSET_TO_SECTION",
    "LANGUAGES",
    "REWARDBENCH_SUBSET_TO_SECTION",
    "SECTIONS",
    "SOURCE",
    "SPLITS",
    "SUBSETS",
    "SUBSETS_BY_SECTION",
    "SUBSET_TO_SECTION",
    "generate",
    "subset_counts",
    "to_rewardbench_row",
    "write_rewardbench_file",
]
