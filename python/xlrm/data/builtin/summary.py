"""Human-readable summaries of the built-in set: row counts per language × section, sample items, and
how confidently an offline language detector recognises each language (used by ``__main__`` and
docs/builtin-data.md)."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from xlrm.data.builtin.lexicon import LANGUAGES
from xlrm.data.schema import SECTIONS, last_text

_CODE = re.compile(r"```.*?```|`[^`]*`", re.S)


def prose(text: str) -> str:
    """``text`` without code blocks and inline code (what a language detector should look at)."""
    return _CODE.sub(" ", text)


def counts_table(rows: Sequence[dict], title: str = "") -> str:
    """A Markdown table of rows per language (rows) × section (columns)."""
    counts = Counter((r["language"], r["category"]) for r in rows)
    languages = [lang for lang in LANGUAGES if any(lang == r["language"] for r in rows)]
    header = "| language | " + " | ".join(SECTIONS) + " | total |"
    lines = [f"**{title}**", ""] if title else []
    lines += [header, "|" + "---|" * (len(SECTIONS) + 2)]
    for lang in languages:
        cells = [counts[(lang, s)] for s in SECTIONS]
        lines.append(f"| {lang} | " + " | ".join(map(str, cells)) + f" | {sum(cells)} |")
    totals = [sum(counts[(lang, s)] for lang in languages) for s in SECTIONS]
    lines.append("| **all** | " + " | ".join(map(str, totals)) + f" | {sum(totals)} |")
    return "\n".join(lines)


def subset_table(rows: Sequence[dict]) -> str:
    """A Markdown table of items (not rows) per subset and split."""
    items = defaultdict(set)
    for r in rows:
        split = r["id"].split("/")[1]
        items[(r["subset"], split)].add(r["id"].rsplit("/", 1)[0])
    from xlrm.data.builtin import SUBSETS

    present = {name for name, _ in items}
    lines = ["| section | subset | train items | eval items |", "|---|---|---|---|"]
    for sub in SUBSETS:
        if sub.name in present:
            lines.append(
                f"| {sub.section} | {sub.name} | {len(items[(sub.name, 'train')])} | "
                f"{len(items[(sub.name, 'eval')])} |"
            )
    return "\n".join(lines)


def examples(rows: Sequence[dict], per_language: int = 2, seed: int = 0) -> str:
    """A few random items per language, as Markdown."""
    rng = random.Random(seed)
    out = []
    for lang in LANGUAGES:
        pool = [r for r in rows if r["language"] == lang]
        if not pool:
            continue
        out.append(f"### {lang}\n")
        for r in rng.sample(pool, min(per_language, len(pool))):
            out.append(f"`{r['id']}` ({r['subset']})\n")
            for field in ("prompt", "chosen", "rejected"):
                body = last_text(r[field]).replace("```", "'''")
                out.append(f"- **{field}**:\n\n  ```text\n  " + body.replace("\n", "\n  ") + "\n  ```\n")
    return "\n".join(out)


def language_quality(rows: Sequence[dict]) -> str:
    """How an offline detector (lingua, restricted to the five languages) reads the prose of prompts and
    chosen replies: the share detected as the row's language and the mean confidence it gives that
    language. Replies to chat-language items are judged against the language the prompt asked for."""
    from lingua import Language, LanguageDetectorBuilder

    codes = {
        "en": Language.ENGLISH,
        "es": Language.SPANISH,
        "it": Language.ITALIAN,
        "ko": Language.KOREAN,
        "zh": Language.CHINESE,
    }
    back = {v: k for k, v in codes.items()}
    detector = LanguageDetectorBuilder.from_languages(*codes.values()).build()
    stats = defaultdict(lambda: [0, 0, 0.0, 1.0])  # n, agree, sum confidence, min confidence
    for r in rows:
        expected = r["language"]
        for field in ("prompt", "chosen"):
            text = prose(last_text(r[field])).strip()
            if not text:
                continue
            target = expected
            if field == "chosen" and r["subset"] == "chat-language":
                continue  # the reply's language is the label itself; the checker tests it separately
            conf = detector.compute_language_confidence(text, codes[target])
            found = detector.detect_language_of(text)
            s = stats[(target, field)]
            s[0] += 1
            s[1] += found is not None and back[found] == target
            s[2] += conf
            s[3] = min(s[3], conf)
    lines = [
        "| language | field | texts | detected as the language | mean confidence | min confidence |",
        "|---|---|---|---|---|---|",
    ]
    for lang in LANGUAGES:
        for field in ("prompt", "chosen"):
            n, agree, total, low = stats[(lang, field)]
            if n:
                lines.append(f"| {lang} | {field} | {n} | {agree / n:.1%} | {total / n:.3f} | {low:.3f} |")
    return "\n".join(lines)


def capacity_table(limit: int = 5000) -> str:
    """A Markdown table of how many distinct items each subset can give per split (counting stops at
    ``limit``), and so the largest ``per_section`` each split supports."""
    from xlrm.data.builtin import SUBSETS, SUBSETS_BY_SECTION
    from xlrm.data.builtin.core import capacity

    found = {(s.name, split): capacity(s, split, limit) for s in SUBSETS for split in ("train", "eval")}

    def show(n: int) -> str:
        return f"≥ {n}" if n >= limit else str(n)

    lines = ["| section | subset | train items | eval items |", "|---|---|---|---|"]
    for s in SUBSETS:
        lines.append(
            f"| {s.section} | {s.name} | {show(found[(s.name, 'train')])} | {show(found[(s.name, 'eval')])} |"
        )
    lines += ["", "| split | largest per_section |", "|---|---|"]
    for split in ("train", "eval"):
        # a section of k subsets needs about per_section / k items from each
        best = min(
            min(found[(s.name, split)] for s in subs) * len(subs) for subs in SUBSETS_BY_SECTION.values()
        )
        lines.append(f"| {split} | {show(best)} |")
    return "\n".join(lines)
