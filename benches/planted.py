"""Planted duplicates: a way to measure dedup recall and precision on any pair set. A helper of
the tests and benches (``tests/conftest.py`` puts ``benches/`` on ``sys.path``), not part of the
installed package.

``plant(pairs, ...)`` appends variants of some pairs — exact copies, spacing/case variants,
1–3 word (or, in Han/Hangul/kana text, character) edits, shuffled sentences — each tagged
with the group of the pair it came from; ``score`` compares a dedup result with those
groups. ``synthetic_pairs`` makes a base set without any outside data (tests use it).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

import numpy as np

VARIANTS = ("exact", "spacing_case", "word_edits", "shuffled_sentences")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]")


def _is_cjk_text(s: str) -> bool:
    return len(_CJK.findall(s)) * 2 > len(s.replace(" ", ""))


def _messages(pair: dict):
    for key in ("prompt", "chosen", "rejected"):
        yield from pair[key]


def _copy(pair: dict) -> dict:
    out = dict(pair)
    for key in ("prompt", "chosen", "rejected"):
        out[key] = [dict(m) for m in pair[key]]
    return out


def _spacing_case(pair: dict, rng: random.Random) -> None:
    for m in _messages(pair):
        text = m["content"]
        choice = rng.randrange(4)
        if choice == 0:
            text = text.upper() if not _is_cjk_text(text) else text
        elif choice == 1:
            text = re.sub(r" ", lambda _: rng.choice([" ", "  ", "\t", " \n "]), text)
        elif choice == 2:
            text = "  " + text.replace("\n", " \n\n ") + " \n"
        else:
            text = " ".join(w.capitalize() if rng.random() < 0.5 else w for w in text.split(" "))
        m["content"] = text


def _word_edits(pair: dict, rng: random.Random, vocab: Sequence[str]) -> None:
    msgs = [m for m in _messages(pair) if m["content"].strip()]
    if not msgs:
        return
    weights = [len(m["content"]) for m in msgs]
    for _ in range(rng.randint(1, 3)):
        m = rng.choices(msgs, weights)[0]
        text = m["content"]
        if _is_cjk_text(text):
            chars = list(text)
            i = rng.randrange(len(chars))
            op = rng.randrange(3)
            new = rng.choice(chars)
            if op == 0:
                chars[i] = new
            elif op == 1:
                chars.insert(i, new)
            elif len(chars) > 1:
                del chars[i]
            m["content"] = "".join(chars)
        else:
            words = text.split(" ")
            i = rng.randrange(len(words))
            op = rng.randrange(3)
            if op == 0:
                words[i] = rng.choice(vocab)
            elif op == 1:
                words.insert(i, rng.choice(vocab))
            elif len(words) > 1:
                del words[i]
            m["content"] = " ".join(words)


def _shuffle_sentences(pair: dict, rng: random.Random) -> bool:
    done = False
    for m in _messages(pair):
        parts = [p for p in _SENTENCE_END.split(m["content"]) if p]
        if len(set(parts)) >= 2:
            before = list(parts)
            while parts == before:
                rng.shuffle(parts)
            sep = "" if _is_cjk_text(m["content"]) else " "
            m["content"] = sep.join(parts)
            done = True
    return done


def make_variant(
    pair: dict, kind: str, rng: random.Random, vocab: Sequence[str] = ("the", "a", "of")
) -> dict:
    """A planted copy of ``pair`` (new dict; ``id`` unchanged)."""
    out = _copy(pair)
    if kind == "spacing_case":
        _spacing_case(out, rng)
    elif kind == "word_edits":
        _word_edits(out, rng, vocab)
    elif kind == "shuffled_sentences":
        if not _shuffle_sentences(out, rng):
            _spacing_case(out, rng)
    elif kind != "exact":
        raise ValueError(f"unknown variant {kind!r}; choose from {VARIANTS}")
    return out


def plant(
    pairs: Sequence[dict], *, fraction: float = 0.3, seed: int = 0, kinds: Sequence[str] = VARIANTS
) -> tuple[list[dict], np.ndarray, np.ndarray]:
    """Appends variants of a random ``fraction`` of ``pairs`` (one each, kinds in turn) and
    shuffles everything. Returns ``(rows, group, variant)``: ``group[i]`` is the index of the
    base pair row i came from; ``variant[i]`` is -1 for base rows, else the index in ``kinds``."""
    rng = random.Random(seed)
    vocab = [w for p in pairs[:200] for m in _messages(p) for w in m["content"].split()[:50]] or ["the"]
    rows = [(p, i, -1) for i, p in enumerate(pairs)]
    chosen = rng.sample(range(len(pairs)), int(len(pairs) * fraction))
    for j, i in enumerate(chosen):
        k = j % len(kinds)
        v = make_variant(pairs[i], kinds[k], rng, vocab)
        v["id"] = f"{pairs[i]['id']}~{kinds[k]}"
        rows.append((v, i, k))
    rng.shuffle(rows)
    return ([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))


def score(kind: np.ndarray, reference: np.ndarray, group: np.ndarray, variant: np.ndarray) -> dict:
    """Recall: planted rows that end up with the same keeper as their base. Precision: removed
    rows (exact or near) whose keeper is from their own group. Also recall per variant kind."""
    n = len(kind)
    keeper = np.where((kind == 1) | (kind == 2), reference, np.arange(n))
    by_group_base = {}
    for i in np.flatnonzero(variant < 0):
        by_group_base[int(group[i])] = i
    planted = np.flatnonzero(variant >= 0)
    base_keeper = np.array([keeper[by_group_base[int(group[i])]] for i in planted], dtype=np.int64)
    hit = keeper[planted] == base_keeper
    removed = np.flatnonzero((kind == 1) | (kind == 2))
    correct = group[keeper[removed]] == group[removed]
    per_kind = {}
    for k in np.unique(variant[planted]):
        sel = variant[planted] == k
        per_kind[int(k)] = float(hit[sel].mean())
    return {
        "planted": int(len(planted)),
        "recall": float(hit.mean()) if len(planted) else 1.0,
        "removed": int(len(removed)),
        "precision": float(correct.mean()) if len(removed) else 1.0,
        "recall_by_variant": per_kind,
    }


# --- a base set without outside data ---------------------------------------------------

_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "an", "el", "or", "us", "ve", "di", "ba", "qu"]


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 4))))
    return sorted(words)


def _zipf_word(rng: random.Random, vocab: list[str]) -> str:
    # rank ~ 1/r: common function words recur across unrelated texts, as in real text
    r = int(len(vocab) ** rng.random()) - 1
    return vocab[min(r, len(vocab) - 1)]


def _sentence(rng: random.Random, lang: str, vocab: list[str]) -> str:
    if lang == "zh":
        return "".join(chr(0x4E00 + int(2000 ** rng.random())) for _ in range(rng.randint(8, 30))) + "。"
    if lang == "ko":
        words = [
            "".join(chr(0xAC00 + int(3000 ** rng.random())) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(3, 10))
        ]
        return " ".join(words) + "."
    words = [_zipf_word(rng, vocab) for _ in range(rng.randint(4, 18))]
    return " ".join(words).capitalize() + rng.choice([".", ".", "?", "!"])


def _text(rng: random.Random, lang: str, vocab: list[str], sentences: tuple[int, int]) -> str:
    sep = "" if lang == "zh" else " "
    return sep.join(_sentence(rng, lang, vocab) for _ in range(rng.randint(*sentences)))


def synthetic_pairs(
    n: int, *, seed: int = 0, languages: Sequence[str] = ("en", "zh", "ko"), shared_prompt_rate: float = 0.2
) -> list[dict]:
    """``n`` random pairs in the schema. Words follow a Zipf law over a made-up vocabulary,
    and a ``shared_prompt_rate`` share of pairs reuse an earlier prompt with new responses
    (hard negatives: similar, but not duplicates)."""
    rng = random.Random(seed)
    vocab = _vocabulary(rng, 3000)
    pairs: list[dict] = []
    for i in range(n):
        lang = languages[i % len(languages)]
        same = [p for p in pairs[-50:] if p["language"] == lang]
        if same and rng.random() < shared_prompt_rate:
            prompt = [dict(m) for m in rng.choice(same)["prompt"]]
        else:
            prompt = [{"role": "user", "content": _text(rng, lang, vocab, (1, 3))}]
        pairs.append(
            {
                "id": f"syn-{i}",
                "prompt": prompt,
                "chosen": [{"role": "assistant", "content": _text(rng, lang, vocab, (2, 7))}],
                "rejected": [{"role": "assistant", "content": _text(rng, lang, vocab, (1, 6))}],
                "language": lang,
                "source": "synthetic",
                "category": None,
                "subset": None,
            }
        )
    return pairs
