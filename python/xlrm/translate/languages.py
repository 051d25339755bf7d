"""Language codes: one ISO 639-1 code per language, mapped to each MT family's own codes.

Only the languages listed here are accepted (the 23 of Multilingual RewardBench plus English);
an unknown code is a :class:`~xlrm.errors.ConfigError` that lists the known ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlrm.errors import ConfigError


@dataclass(frozen=True)
class Lang:
    code: str  # ISO 639-1, as used in the pair schema
    name: str  # English name, used in prompts (X-ALMA: "Translate this from English to Korean")
    nllb: str  # NLLB-200 (FLORES-200) code
    mbart50: str | None  # mBART-50 code; None where mBART-50 lacks the language
    marian: tuple[str, ...]  # target tokens of multilingual OPUS-MT models, most specific first
    char_density: float = 1.0  # characters per English character in a typical translation


_TABLE = [
    Lang("en", "English", "eng_Latn", "en_XX", (">>eng<<",)),
    Lang("ar", "Arabic", "arb_Arab", "ar_AR", (">>ara<<", ">>arb<<")),
    Lang("cs", "Czech", "ces_Latn", "cs_CZ", (">>ces<<",)),
    Lang("de", "German", "deu_Latn", "de_DE", (">>deu<<",)),
    Lang("el", "Greek", "ell_Grek", None, (">>ell<<",)),
    Lang("es", "Spanish", "spa_Latn", "es_XX", (">>spa<<",)),
    Lang("fa", "Persian", "pes_Arab", "fa_IR", (">>pes<<", ">>fas<<")),
    Lang("fr", "French", "fra_Latn", "fr_XX", (">>fra<<",)),
    Lang("he", "Hebrew", "heb_Hebr", "he_IL", (">>heb<<",)),
    Lang("hi", "Hindi", "hin_Deva", "hi_IN", (">>hin<<",)),
    Lang("id", "Indonesian", "ind_Latn", "id_ID", (">>ind<<",)),
    Lang("it", "Italian", "ita_Latn", "it_IT", (">>ita<<",)),
    Lang("ja", "Japanese", "jpn_Jpan", "ja_XX", (">>jpn<<",), 0.45),
    Lang("ko", "Korean", "kor_Hang", "ko_KR", (">>kor<<",), 0.45),
    Lang("nl", "Dutch", "nld_Latn", "nl_XX", (">>nld<<",)),
    Lang("pl", "Polish", "pol_Latn", "pl_PL", (">>pol<<",)),
    Lang("pt", "Portuguese", "por_Latn", "pt_XX", (">>por<<",)),
    Lang("ro", "Romanian", "ron_Latn", "ro_RO", (">>ron<<",)),
    Lang("ru", "Russian", "rus_Cyrl", "ru_RU", (">>rus<<",)),
    Lang("tr", "Turkish", "tur_Latn", "tr_TR", (">>tur<<",)),
    Lang("uk", "Ukrainian", "ukr_Cyrl", "uk_UA", (">>ukr<<",)),
    Lang("vi", "Vietnamese", "vie_Latn", "vi_VN", (">>vie<<",)),
    Lang("zh", "Chinese", "zho_Hans", "zh_CN", (">>cmn_Hans<<", ">>zho_Hans<<", ">>cmn<<", ">>zho<<"), 0.3),
]

LANGUAGES: dict[str, Lang] = {lang.code: lang for lang in _TABLE}
# Country or legacy codes people type for a language code.
_MISTAKES = {
    "kr": "ko",
    "cn": "zh",
    "jp": "ja",
    "ua": "uk",
    "gr": "el",
    "cz": "cs",
    "iw": "he",
    "in": "id",
    "sp": "es",
    "ir": "fa",
}


def get(code: str) -> Lang:
    """The table entry for an ISO 639-1 code; a ConfigError naming the known codes otherwise."""
    lang = LANGUAGES.get(code)
    if lang is None:
        hint = ""
        low = str(code).lower().replace("-", "_")
        if low in LANGUAGES:
            hint = f" (codes are lower case: {low!r})"
        elif low in _MISTAKES:
            hint = f" (did you mean {_MISTAKES[low]!r}?)"
        for known in LANGUAGES.values():
            if hint:
                break
            if low in (known.nllb.lower(), (known.mbart50 or "").lower()) or low.split("_")[0] == known.code:
                hint = f" (did you mean {known.code!r}?)"
                break
        raise ConfigError(
            f"unknown language code {code!r}{hint}; xlrm translate knows the ISO 639-1 codes "
            f"{', '.join(sorted(LANGUAGES))}"
        )
    return lang
