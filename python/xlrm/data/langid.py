"""Offline language identification with lingua (a maintained detector from PyPI).

The detector is built once per language set: restricting it to the languages a
run can contain makes it faster and more accurate on short texts.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

# The 23 languages of Multilingual RewardBench plus English.
DEFAULT_LANGUAGES = (
    "ar",
    "cs",
    "de",
    "el",
    "en",
    "es",
    "fa",
    "fr",
    "he",
    "hi",
    "id",
    "it",
    "ja",
    "ko",
    "nl",
    "pl",
    "pt",
    "ro",
    "ru",
    "tr",
    "uk",
    "vi",
    "zh",
)


def detector_name() -> str:
    return f"lingua-language-detector {metadata.version('lingua-language-detector')}"


@lru_cache(maxsize=8)
def _detector(languages: tuple[str, ...]):
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = []
    for code in languages:
        try:
            codes.append(IsoCode639_1.from_str(code.split("-")[0]))
        except ValueError:
            raise ValueError(f"language {code!r} is not supported by the lingua detector") from None
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()


def detect(
    texts: list[str], languages: tuple[str, ...] = DEFAULT_LANGUAGES, sample_chars: int = 600
) -> list[str | None]:
    """ISO 639-1 code per text (None when undecidable). Only the first ``sample_chars``
    characters are read: enough for a stable answer, and fast on long responses."""
    if not texts:
        return []
    det = _detector(tuple(sorted(set(languages))))
    found = det.detect_languages_in_parallel_of([t[:sample_chars] for t in texts])
    return [lang.iso_code_639_1.name.lower() if lang is not None else None for lang in found]


def confidence(
    texts: list[str], language: str, languages: tuple[str, ...] = DEFAULT_LANGUAGES
) -> list[float]:
    """The detector's confidence (0..1) that each text is in ``language``."""
    from lingua import IsoCode639_1, Language

    det = _detector(tuple(sorted(set(languages) | {language})))
    target = Language.from_iso_code_639_1(IsoCode639_1.from_str(language))
    return list(det.compute_language_confidence_in_parallel(texts, target))
