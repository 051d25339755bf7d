"""Probe texts for the representation analysis: pairs in the xlrm schema → one conversation per row.

Each row is a conversation (chat messages) and its language. With ``text: chosen`` a pair gives
``prompt + chosen``, the input a reward model scores; ``both`` gives the chosen and the rejected
conversation as two rows. The row order is fixed (sorted by length for batching, ties by file
order), so every model sees the same rows in the same order and states can be paired row by row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from xlrm.errors import InputError


@dataclass
class Probes:
    conversations: list[list[dict]]
    languages: list[str]
    ids: list[str]
    dropped: Counter = field(default_factory=Counter)
    rows_used: int = 0  # probe pairs kept (a pair gives two texts with `text: both`)

    def __len__(self) -> int:
        return len(self.conversations)

    def language_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.languages).items()))


def describe_probes(spec: str) -> list[dict]:
    """The probe source for a fingerprint (content hashes), without reading its rows."""
    if spec.startswith("builtin:"):
        return [{"builtin": spec.split(":", 1)[1] or "eval"}]
    from xlrm.data.pairfile import pair_files
    from xlrm.manifest import describe_path

    return [describe_path(f, role="probes") for f in pair_files(spec)]


def _read_pairs(spec: str) -> list[dict]:
    if spec.startswith("builtin:"):
        split = spec.split(":", 1)[1] or "eval"
        from xlrm.data.builtin import generate

        return generate(split=split, per_section=25, seed=0)
    from xlrm.data.pairfile import pair_files, read_pair_rows

    return read_pair_rows(pair_files(spec))


def load_probes(spec: str, *, languages: list[str], max_per_language: int, text: str) -> Probes:
    rows = _read_pairs(spec)
    keep = set(languages)
    taken: Counter = Counter()
    dropped: Counter = Counter()
    items: list[tuple[int, list[dict], str, str]] = []
    for i, row in enumerate(rows):
        lang = row.get("language")
        prompt, chosen, rejected = row.get("prompt"), row.get("chosen"), row.get("rejected")
        if not lang:
            dropped["no_language"] += 1
            continue
        if keep and lang not in keep:
            dropped["language_not_selected"] += 1
            continue
        if not isinstance(prompt, list) or not prompt:
            dropped["no_prompt_messages"] += 1
            continue
        if taken[lang] >= max_per_language:
            dropped["over_max_per_language"] += 1
            continue
        convs = []
        if text in ("chosen", "both"):
            convs.append(("chosen", prompt + list(chosen or [])))
        if text in ("rejected", "both"):
            convs.append(("rejected", prompt + list(rejected or [])))
        if text == "prompt":
            convs.append(("prompt", list(prompt)))
        if any(len(c) == len(prompt) for kind, c in convs if kind != "prompt"):
            dropped["empty_reply"] += 1
            continue
        taken[lang] += 1
        for kind, conv in convs:
            items.append((i, conv, lang, f"{row.get('id', i)}:{kind}"))
    if not items:
        raise InputError(
            f"no probe rows left from {spec} (dropped: {dict(dropped) or 'none'})",
            hint="check `languages:` and that rows carry prompt/chosen/rejected/language",
        )
    missing = [lang for lang in dict.fromkeys(languages) if not taken[lang]]
    if missing:
        found = Counter(row.get("language") for row in rows if row.get("language"))
        have = ", ".join(f"{k} ({v})" for k, v in sorted(found.items())) or "none"
        raise InputError(
            f"probes {spec}: no usable rows for language(s) {', '.join(missing)} listed in `languages:` "
            f"(pairs per language in the probes: {have}; dropped: {dict(dropped) or 'none'})",
            hint="remove them from `languages:`, or add probe pairs in them (prompt, chosen, rejected "
            "and language on every row)",
        )
    # Longest first (fewer padding tokens per batch); ties keep file order.
    items.sort(key=lambda t: (-sum(len(m.get("content") or "") for m in t[1]), t[0]))
    probes = Probes(
        conversations=[t[1] for t in items],
        languages=[t[2] for t in items],
        ids=[t[3] for t in items],
        dropped=dropped,
        rows_used=sum(taken.values()),
    )
    return probes
