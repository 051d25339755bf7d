"""Quality checks on a translated pair; every failure has a reason that the manifest counts.

* ``empty``: a message with text came back empty or only whitespace (checked whatever its
  length and whichever checks are on: short messages skip the other checks, and an empty
  answer is never a translation);
* ``copy``: a message came back identical to its source (untranslated);
* ``language``: the detector (``xlrm.data.langid``, lingua) does not identify the translation as
  the target language (``zh-Hant`` counts as ``zh``: lingua tells languages apart, not scripts);
* ``length_ratio``: len(translation) / (len(source) x the target's character density) is out of bounds;
* ``chosen_equals_rejected``: the pair no longer prefers anything.

Only the translatable text is checked (code, URLs and math are left out), and short messages
("OK.") skip the language and length checks, whose verdicts on a few characters are noise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from xlrm import languages

# the one detector xlrm builds; translate's stage takes it from here
from xlrm.data.langid import LinguaDetector as LinguaDetector
from xlrm.data.langid import lingua_code

REASONS = ("empty", "copy", "language", "length_ratio", "chosen_equals_rejected")
_WS = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")


class Detector(Protocol):
    def detect(self, texts: list[str]) -> list[str | None]:
        """ISO 639-1 code per text (None when unsure)."""


@dataclass
class MessageText:
    """One message's translatable text before and after translation (placeholders removed)."""

    field: str
    index: int
    source: str
    output: str


def _norm(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def letters(text: str) -> int:
    return len(_LETTER.findall(text))


def texts_to_detect(messages: list[MessageText], opts) -> list[str]:
    if not opts.language:
        return []
    return [m.output for m in messages if len(m.source.strip()) >= opts.min_chars and m.output.strip()]


def check_pair(
    messages: list[MessageText],
    chosen: list[str],
    rejected: list[str],
    tgt: str,
    opts,
    detected: dict[str, str | None],
) -> list[tuple[str, str, int]]:
    """Failures as ``(reason, field, message index)``; index -1 for pair-level failures."""
    fails: list[tuple[str, str, int]] = []
    density = languages.language(tgt).char_density
    for m in messages:
        if m.source.strip() and not m.output.strip():
            fails.append(("empty", m.field, m.index))
            continue
        long_enough = len(m.source.strip()) >= opts.min_chars
        if opts.copy and letters(m.source) >= opts.copy_min_letters and _norm(m.output) == _norm(m.source):
            fails.append(("copy", m.field, m.index))
            continue
        if opts.language and long_enough:
            if not m.output.strip() or detected.get(m.output) != lingua_code(tgt):
                fails.append(("language", m.field, m.index))
                continue
        if opts.length_ratio and long_enough:
            ratio = len(m.output.strip()) / (len(m.source.strip()) * density)
            if not opts.min_length_ratio <= ratio <= opts.max_length_ratio:
                fails.append(("length_ratio", m.field, m.index))
    if opts.distinct and chosen == rejected:
        fails.append(("chosen_equals_rejected", "rejected", -1))
    return fails
