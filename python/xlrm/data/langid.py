"""Offline language identification with lingua (a maintained detector from PyPI), the one
detector xlrm builds: the data stage tags pairs with it, translate's checks verify outputs.

A detector is restricted to the languages a run can contain: that makes it faster and more
accurate on short texts. Building one costs about a second, so built detectors are cached per
language set and mode.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata

from xlrm.languages import LANGUAGES


def lingua_code(code: str) -> str:
    """The code lingua answers with for an xlrm code: it tells languages apart, not scripts, so
    ``zh-Hant`` is ``zh``."""
    return code.split("-")[0]


# Every language of the table (English and the Multilingual RewardBench languages), as lingua
# knows them: traditional and simplified Chinese are one candidate.
DEFAULT_LANGUAGES: tuple[str, ...] = tuple(sorted({lingua_code(code) for code in LANGUAGES}))


def detector_name() -> str:
    return f"lingua-language-detector {metadata.version('lingua-language-detector')}"


@lru_cache(maxsize=8)
def _build(codes: tuple[str, ...], low_accuracy: bool):
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = []
    for code in codes:
        try:
            langs.append(Language.from_iso_code_639_1(IsoCode639_1.from_str(code)))
        except ValueError:
            raise ValueError(f"language {code!r} is not supported by the lingua detector") from None
    builder = LanguageDetectorBuilder.from_languages(*langs)
    if low_accuracy:
        builder = builder.with_low_accuracy_mode()
    return builder.build()


class LinguaDetector:
    """Detects the language of texts among ``languages`` (xlrm codes).

    lingua refuses a set of one, so a single language gets a contrast: English, or Spanish when
    the language is English. ``low_accuracy`` is lingua's faster mode, weaker on short texts.
    """

    def __init__(self, languages: Iterable[str] = DEFAULT_LANGUAGES, low_accuracy: bool = False):
        codes = {lingua_code(c) for c in languages}
        if len(codes) < 2:
            codes.add("es" if codes == {"en"} else "en")
        self.codes: tuple[str, ...] = tuple(sorted(codes))
        self.low_accuracy = low_accuracy
        self._detector = _build(self.codes, low_accuracy)

    def detect(self, texts: list[str], sample_chars: int | None = None) -> list[str | None]:
        """ISO 639-1 code per text (None when undecidable). With ``sample_chars`` only that many
        leading characters are read: enough for a stable answer, and fast on long responses."""
        if not texts:
            return []
        if sample_chars is not None:
            texts = [t[:sample_chars] for t in texts]
        found = self._detector.detect_languages_in_parallel_of(texts)
        return [lang.iso_code_639_1.name.lower() if lang is not None else None for lang in found]


def detect(
    texts: list[str], languages: Iterable[str] = DEFAULT_LANGUAGES, sample_chars: int = 600
) -> list[str | None]:
    """The data stage's call: :meth:`LinguaDetector.detect` over ``languages``, reading the first
    ``sample_chars`` characters of each text."""
    if not texts:  # building a detector costs about a second; a run may have nothing to detect
        return []
    return LinguaDetector(languages).detect(texts, sample_chars)
