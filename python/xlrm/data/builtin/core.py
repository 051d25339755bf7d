"""The machinery every section shares: the train/eval split of a table, the subset record, drawing
distinct items for a seed, and turning one rendered item into schema rows.

An item is a *spec* (a hashable, language-free description: which template, which entities, which
numbers, which mistake) plus a renderer that writes it in any language. Specs are drawn from a
random generator seeded by (seed, split, subset) only, so the same seed gives the same items in every
language and whatever other sections or languages are asked for.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass

from xlrm.data.builtin.lexicon import LANGUAGES

SOURCE = "xlrm-builtin"
SPLITS = ("train", "eval")

Texts = tuple[str, str, str]  # prompt, chosen, rejected


def split_indices(n: int, split: str) -> list[int]:
    """Positions of an ``n``-long table that belong to ``split``: every third entry (2, 5, 8, ...) is
    held out for evaluation, the rest is for training. Each table is split on its own, so templates
    and entities seen in training never appear in evaluation."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    held_out = split == "eval"
    out = [i for i in range(n) if (i % 3 == 2) == held_out]
    if not out:
        raise ValueError(f"a table of {n} entries has nothing for the {split} split")
    return out


def pick(rng: random.Random, table: Sequence, split: str) -> int:
    """A random position of ``table`` within ``split``."""
    return rng.choice(split_indices(len(table), split))


@dataclass(frozen=True)
class Subset:
    """One kind of pair. ``sample(rng, split)`` returns a spec (or None to skip a draw);
    ``render(spec, lang)`` returns (prompt, chosen, rejected) in ``lang``."""

    name: str
    section: str
    kind: str
    sample: Callable[[random.Random, str], Hashable | None]
    render: Callable[[Hashable, str], Texts]
    description: str = ""


PATIENCE = 5000  # consecutive draws that add nothing new before a subset counts as exhausted


def iter_items(subset: Subset, split: str, seed: int, patience: int = PATIENCE) -> Iterator[dict[str, Texts]]:
    """Distinct items of ``subset`` for ``split``, each rendered in every language, in a fixed order for
    the seed; stops once ``patience`` draws in a row bring nothing new.

    Distinct means: no two specs are equal and no two items share a (prompt, chosen, rejected) in
    any language. Asking for fewer items gives a prefix of the same sequence."""
    rng = random.Random(f"xlrm-builtin/{seed}/{split}/{subset.name}")
    seen_specs: set = set()
    seen_texts: set = set()
    misses = 0
    while misses < patience:
        spec = subset.sample(rng, split)
        if spec is None or spec in seen_specs:
            misses += 1
            continue
        seen_specs.add(spec)
        rendered = {lang: subset.render(spec, lang) for lang in LANGUAGES}
        keys = [(lang, *texts) for lang, texts in rendered.items()]
        if any(k in seen_texts for k in keys):
            misses += 1
            continue
        for lang, (prompt, chosen, rejected) in rendered.items():
            if chosen == rejected or not prompt or not chosen or not rejected:
                raise AssertionError(f"{subset.name} rendered an invalid pair in {lang}: {spec!r}")
        seen_texts.update(keys)
        misses = 0
        yield rendered


def draw(subset: Subset, split: str, count: int, seed: int) -> list[dict[str, Texts]]:
    """The first ``count`` items of :func:`iter_items`; ValueError when the split has fewer."""
    items = list(itertools.islice(iter_items(subset, split, seed), count))
    if len(items) < count:
        raise ValueError(
            f"{subset.name}: only {len(items)} distinct {split} items exist, asked for {count}; "
            "ask for fewer per section"
        )
    return items


def capacity(subset: Subset, split: str, limit: int = 5000) -> int:
    """How many distinct items ``subset`` can give for ``split`` (counting stops at ``limit``)."""
    return sum(1 for _ in itertools.islice(iter_items(subset, split, seed=0), limit))


def to_row(stem: str, lang: str, subset: Subset, texts: Texts) -> dict:
    prompt, chosen, rejected = texts
    return {
        "id": f"{stem}/{lang}",
        "prompt": [{"role": "user", "content": prompt}],
        "chosen": [{"role": "assistant", "content": chosen}],
        "rejected": [{"role": "assistant", "content": rejected}],
        "language": lang,
        "source": SOURCE,
        "category": subset.section,
        "subset": subset.name,
    }
