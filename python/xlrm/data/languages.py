"""Language codes: everything is stored as ISO 639-1 ("en", "ko", "zh"), whatever the source used."""

from __future__ import annotations

from xlrm.errors import ConfigError

# ISO 639-3 (+ script, as FLORES-200 / Multilingual RewardBench write them) -> ISO 639-1.
_ISO3 = {
    "ara": "ar",
    "ces": "cs",
    "deu": "de",
    "ell": "el",
    "eng": "en",
    "fra": "fr",
    "heb": "he",
    "hin": "hi",
    "ind": "id",
    "ita": "it",
    "jpn": "ja",
    "kor": "ko",
    "nld": "nl",
    "pes": "fa",
    "fas": "fa",
    "pol": "pl",
    "por": "pt",
    "ron": "ro",
    "rus": "ru",
    "spa": "es",
    "tur": "tr",
    "ukr": "uk",
    "vie": "vi",
    "zho": "zh",
    "cmn": "zh",
    "tha": "th",
    "swe": "sv",
    "fin": "fi",
    "dan": "da",
    "nob": "nb",
    "hun": "hu",
    "bul": "bg",
    "ben": "bn",
    "tam": "ta",
    "tel": "te",
    "urd": "ur",
    "msa": "ms",
    "zsm": "ms",
    "cat": "ca",
    "eus": "eu",
    "glg": "gl",
    "swh": "sw",
}
_NAMES = {
    "english": "en",
    "spanish": "es",
    "italian": "it",
    "korean": "ko",
    "chinese": "zh",
    "japanese": "ja",
    "german": "de",
    "french": "fr",
    "portuguese": "pt",
    "russian": "ru",
    "arabic": "ar",
    "hindi": "hi",
    "turkish": "tr",
    "vietnamese": "vi",
    "indonesian": "id",
    "dutch": "nl",
    "polish": "pl",
    "czech": "cs",
    "greek": "el",
    "hebrew": "he",
    "persian": "fa",
    "romanian": "ro",
    "ukrainian": "uk",
    "thai": "th",
}
KNOWN = frozenset(_ISO3.values()) | frozenset(_NAMES.values())


def normalize_code(code: str) -> str | None:
    """'kor_Hang' / 'ko-KR' / 'Korean' / 'ko' → 'ko'; 'zho_Hant' → 'zh-Hant'; unknown → None."""
    if not isinstance(code, str) or not code.strip():
        return None
    raw = code.strip()
    low = raw.lower().replace("-", "_")
    base, _, script = low.partition("_")
    if low in _NAMES:
        return _NAMES[low]
    if base in _ISO3:
        iso = _ISO3[base]
    elif len(base) == 2 and base.isalpha():
        iso = base
    else:
        return None
    if iso == "zh" and script in ("hant", "tw", "hk"):
        return "zh-Hant"
    return iso


def require_code(code: str, where: str) -> str:
    iso = normalize_code(code)
    if iso is None:
        raise ConfigError(f"{where}: unknown language code {code!r}; use ISO 639-1 like 'en', 'ko', 'zh'")
    return iso
