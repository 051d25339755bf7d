"""Keep code, URLs and LaTeX math out of the translator's hands.

Two kinds of protection:

* **blocks** (fenced code, also mid-line and unclosed ones as LLM answers write them; display math ``$$…$$`` / ``\\[…\\]`` / ``\\begin{env}…\\end{env}``) cut a
  message into pieces; a block is never sent to the model, the text around it is translated
  on its own;
* **inline spans** (inline code, URLs, e-mail addresses, inline math ``$…$`` / ``\\(…\\)``) stay in
  their sentence as placeholders ``[[0]]``, ``[[1]]``, … and are put back after translation.

Placeholders are numbered per segment, so the text sent to the model (and the cache key)
does not depend on the span's content or position. Text that already looks like a
placeholder is itself protected, so restoring is never ambiguous. If the model drops,
duplicates or invents a placeholder, :func:`restore` returns ``None`` and the caller
translates the text between the spans piece by piece instead (see :func:`fallback_parts`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

KINDS = ("code_block", "math_block", "inline_code", "url", "email", "inline_math")

_BLOCK = re.compile(
    r"(?P<code_block>(?P<fence>`{3,}|~{3,})[^\n`]*\n.*?(?:(?P=fence)[`~]*|\Z))"
    r"|(?P<math_block>\$\$.+?\$\$|\\\[.+?\\\]|\\begin\{(?P<env>[A-Za-z]+\*?)\}.*?\\end\{(?P=env)\})",
    re.DOTALL | re.MULTILINE,
)

_URL_TAIL = ".,;:!?'\"”’)]}>"
_INLINE = re.compile(
    r"(?P<inline_code>(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`))"
    r"|(?P<placeholder>\[\[\d+\]\])"
    r"|(?P<url>(?:https?|ftp)://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+\.[^\s<>\"'`]+)"
    r"|(?P<email>\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b)"
    r"|(?P<inline_math>\\\(.+?\\\)|(?<![\\$\w])\$(?=[^\s$])[^$\n]*?[^\s$\\]\$(?![\w$]))"
)

# What the model may send back for placeholder k: tolerant of spaces and full-width brackets.
_RESTORE = re.compile(r"[\[［]\s*[\[［]\s*(\d+)\s*[\]］]\s*[\]］]")
_PLACEHOLDER = re.compile(r"\[\[(\d+)\]\]")


def placeholder(i: int) -> str:
    return f"[[{i}]]"


@dataclass
class Masked:
    """A text piece with inline spans replaced by ``[[i]]`` (i indexes ``spans``)."""

    text: str
    spans: list[str]


def split_blocks(text: str, counts: Counter | None = None) -> list[tuple[bool, str]]:
    """``text`` → ``[(is_block, piece), ...]``; the pieces concatenate back to ``text``."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for m in _BLOCK.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, m.group(0)))
        if counts is not None:
            counts[_kind_of_block(m)] += 1
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def _kind_of_block(m: re.Match) -> str:
    return "code_block" if m.group("code_block") else "math_block"


def _trim_url(url: str) -> str:
    """Drop trailing punctuation that ends the sentence rather than the URL (keeps balanced parens)."""
    while url and url[-1] in _URL_TAIL:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def mask_inline(text: str, counts: Counter | None = None) -> Masked:
    """Replace inline spans by numbered placeholders."""
    spans: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _INLINE.finditer(text):
        kind = m.lastgroup
        span = m.group(0)
        if kind == "url":
            span = _trim_url(span)
            if not span:
                continue
        start = m.start()
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(placeholder(len(spans)))
        spans.append(span)
        if counts is not None:
            counts["placeholder_literal" if kind == "placeholder" else kind] += 1
        pos = start + len(span)
    out.append(text[pos:])
    return Masked("".join(out), spans)


def localize(text: str, spans: list[str]) -> tuple[str, list[str]]:
    """Renumber the placeholders of a segment from 0, returning the spans it uses in order."""
    local: list[str] = []

    def sub(m: re.Match) -> str:
        local.append(spans[int(m.group(1))])
        return placeholder(len(local) - 1)

    return _PLACEHOLDER.sub(sub, text), local


def unmask(text: str, spans: list[str]) -> str:
    """Put spans back into text that still holds the exact placeholders (no model involved)."""
    return _PLACEHOLDER.sub(lambda m: spans[int(m.group(1))], text)


def restore(translated: str, spans: list[str]) -> str | None:
    """Put spans back into a translation; ``None`` if placeholders were lost, doubled or invented."""
    found = [int(m.group(1)) for m in _RESTORE.finditer(translated)]
    if sorted(found) != list(range(len(spans))):
        return None
    return _RESTORE.sub(lambda m: spans[int(m.group(1))], translated)


def strip_placeholders(text: str) -> str:
    """Text without placeholders (for language and length checks)."""
    return _RESTORE.sub(" ", text)


def fallback_parts(text: str) -> list[tuple[bool, str | int]]:
    """Split a segment at its placeholders: ``[(False, text), (True, span_index), ...]``."""
    out: list[tuple[bool, str | int]] = []
    pos = 0
    for m in _PLACEHOLDER.finditer(text):
        if m.start() > pos:
            out.append((False, text[pos : m.start()]))
        out.append((True, int(m.group(1))))
        pos = m.end()
    if pos < len(text):
        out.append((False, text[pos:]))
    return out
