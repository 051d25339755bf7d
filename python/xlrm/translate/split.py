"""Cut a message into segments a translation model can take, and nothing else.

:func:`split_text` returns ``[(translate, piece), ...]`` whose pieces concatenate back to the
input exactly. Untranslated pieces are the layout: newlines, indentation, Markdown list and
heading markers, the whitespace between segments. Segments are lines (``by_line=True``; MT
models such as NLLB drop newlines) or paragraphs; one longer than ``limit`` tokens is cut at
sentence boundaries, then at clause boundaries, then at spaces, and the parts are packed
greedily back into segments of at most ``limit`` tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable

CountFn = Callable[[list[str]], list[int]]

# Leading whitespace plus a Markdown block marker (list item, heading, quote, table pipe).
_MARKER = re.compile(r"^[ \t]*(?:(?:[-*+]|\d{1,3}[.)]|#{1,6}|>+|\|)[ \t]+)?")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*(\s+)(?=\S)|(?<=[。！？])(\s*)(?=\S)")
_CLAUSE_END = re.compile(r"(?<=[,;:，；：])(\s+)(?=\S)")
_SPACE = re.compile(r"(\s+)(?=\S)")
_PLACEHOLDER_OR_CHAR = re.compile(r"\[\[\d+\]\]|.", re.DOTALL)
_ABBREVIATIONS = {
    "e.g",
    "i.e",
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "sr",
    "jr",
    "st",
    "vs",
    "etc",
    "fig",
    "no",
    "nos",
    "vol",
    "approx",
    "inc",
    "ltd",
    "co",
    "corp",
    "u.s",
    "u.k",
    "a.m",
    "p.m",
    "cf",
    "al",
    "ca",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
}
_LETTER = re.compile(r"[^\W\d_]")


def has_letters(text: str) -> bool:
    return _LETTER.search(text) is not None


def _fits(texts: list[str], limit: int, count: CountFn) -> list[bool]:
    """Which texts fit ``limit`` tokens. Tokenizers give at most one token per UTF-8 byte (plus a
    few special tokens), so short texts are settled without tokenizing."""
    out = [len(t.encode("utf-8")) + 4 <= limit for t in texts]
    todo = [i for i, ok in enumerate(out) if not ok]
    if todo:
        for i, n in zip(todo, count([texts[i] for i in todo]), strict=True):
            out[i] = n <= limit
    return out


def _units(text: str, pattern: re.Pattern) -> list[tuple[str, str]]:
    """Cut ``text`` after each match of ``pattern`` → ``[(unit, following_whitespace), ...]``."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in pattern.finditer(text):
        ws_start = m.start(m.lastindex) if m.lastindex else m.start()
        ws = m.group(m.lastindex) if m.lastindex else ""
        unit = text[pos:ws_start] if ws else text[pos : m.end()]
        if pattern is _SENTENCE_END and _is_abbreviation(text[pos:ws_start]):
            continue
        if not unit:
            continue
        out.append((unit, ws))
        pos = m.end()
    out.append((text[pos:], ""))
    return out


def _is_abbreviation(before: str) -> bool:
    word = before.rstrip("\"'”’)]").rsplit(None, 1)[-1] if before.strip() else ""
    if not word.endswith("."):
        return False
    core = word[:-1].lower().lstrip("(\"'“‘")
    return core in _ABBREVIATIONS or (len(core) == 1 and core.isalpha())


def _hard_units(text: str, limit: int, count: CountFn) -> list[tuple[str, str]]:
    """Last resort for a run without spaces: cut by characters (placeholders stay whole)."""
    chars = _PLACEHOLDER_OR_CHAR.findall(text)
    out, cur = [], ""
    for ch in chars:
        if cur and not _fits([cur + ch], limit, count)[0]:
            out.append((cur, ""))
            cur = ""
        cur += ch
    if cur:
        out.append((cur, ""))
    return out


def _cut(text: str, limit: int, count: CountFn, level: int = 0) -> list[tuple[str, str]]:
    """``text`` → units that each fit, each with the whitespace that followed it."""
    patterns = (_SENTENCE_END, _CLAUSE_END, _SPACE)
    if level >= len(patterns):
        return _hard_units(text, limit, count)
    units = _units(text, patterns[level])
    fits = _fits([u for u, _ in units], limit, count)
    out: list[tuple[str, str]] = []
    for (unit, ws), ok in zip(units, fits, strict=True):
        if ok:
            out.append((unit, ws))
        else:
            sub = _cut(unit, limit, count, level + 1)
            sub[-1] = (sub[-1][0], sub[-1][1] + ws)
            out.extend(sub)
    return out


def _pack(units: list[tuple[str, str]], limit: int, count: CountFn) -> list[tuple[bool, str]]:
    """Greedily join consecutive units while the joined text fits."""
    out: list[tuple[bool, str]] = []
    cur, cur_ws = "", ""
    for unit, ws in units:
        if cur and _fits([cur + cur_ws + unit], limit, count)[0]:
            cur = cur + cur_ws + unit
        else:
            if cur:
                out.append((True, cur))
                if cur_ws:
                    out.append((False, cur_ws))
            cur = unit
        cur_ws = ws
    if cur:
        out.append((True, cur))
    if cur_ws:
        out.append((False, cur_ws))
    return out


def _segment(core: str, limit: int, count: CountFn, stats: dict | None) -> list[tuple[bool, str]]:
    if _fits([core], limit, count)[0]:
        return [(True, core)]
    if stats is not None:
        stats["long_splits"] = stats.get("long_splits", 0) + 1
    return _pack(_cut(core, limit, count), limit, count)


def split_text(
    text: str, limit: int, count: CountFn, *, by_line: bool = True, stats: dict | None = None
) -> list[tuple[bool, str]]:
    """``text`` → ``[(translate, piece), ...]`` with ``"".join(pieces) == text``."""
    out: list[tuple[bool, str]] = []
    if by_line:
        blocks = re.split(r"(\r?\n)", text)
    else:
        blocks = _PARAGRAPH_BREAK.split(text)
        seps = _PARAGRAPH_BREAK.findall(text)
        blocks = [x for pair in zip(blocks, [*seps, ""], strict=True) for x in pair]
    for i, block in enumerate(blocks):
        if not block:
            continue
        if i % 2 == 1:  # a separator
            out.append((False, block))
            continue
        lead = _MARKER.match(block).group(0) if by_line else block[: len(block) - len(block.lstrip())]
        rest = block[len(lead) :]
        core = rest.rstrip()
        trail = rest[len(core) :]
        if lead:
            out.append((False, lead))
        if core:
            if has_letters(_strip_ph(core)):
                out.extend(_segment(core, limit, count, stats))
            else:
                out.append((False, core))
        if trail:
            out.append((False, trail))
    return _merge_keeps(out)


def _strip_ph(text: str) -> str:
    return re.sub(r"\[\[\d+\]\]", " ", text)


def _merge_keeps(parts: list[tuple[bool, str]]) -> list[tuple[bool, str]]:
    """Segments lose outer whitespace and those without letters are kept; adjacent keeps merge."""
    tidy: list[tuple[bool, str]] = []
    for tr, piece in parts:
        core = piece.strip()
        if not tr or not has_letters(_strip_ph(core)):
            tidy.append((False, piece))
            continue
        lead = piece[: len(piece) - len(piece.lstrip())]
        trail = piece[len(piece.rstrip()) :]
        tidy.extend(x for x in ((False, lead), (True, core), (False, trail)) if x[1])
    out: list[tuple[bool, str]] = []
    for tr, piece in tidy:
        if not tr and out and not out[-1][0]:
            out[-1] = (False, out[-1][1] + piece)
        else:
            out.append((tr, piece))
    return out
