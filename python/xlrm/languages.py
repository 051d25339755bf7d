"""The one language table: English and the 23 languages of Multilingual RewardBench.

Everything inside xlrm stores ISO 639-1 codes ("en", "ko", "zh"; "zh-Hant" for traditional
Chinese). Each entry also carries the Multilingual RewardBench config code (``kor_Hang``), the
script, the language family, a resource level (Joshi et al. 2020's class, 5 = most resourced,
as the Multilingual RewardBench paper groups languages), and the codes translation models use.
``normalize_code`` maps whatever a source wrote (``kor_Hang``, ``ko-KR``, ``Korean``) to the
ISO code; ``language(code)`` gives the entry or an error that suggests the right code.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlrm.errors import ConfigError


@dataclass(frozen=True)
class Language:
    code: str  # ISO 639-1, as stored in the pair schema
    name: str  # English name, also used in translation prompts
    mrb: str | None  # Multilingual RewardBench config (None: not in the benchmark, i.e. English)
    script: str
    family: str
    resource: int  # Joshi et al. (2020) class, 0-5
    nllb: str  # NLLB-200 / FLORES-200 code
    mbart50: str | None  # mBART-50 code; None where mBART-50 lacks the language
    marian: tuple[str, ...]  # target tokens of multilingual OPUS-MT models, most specific first
    char_density: float = 1.0  # characters per English character in a typical translation

    @property
    def resource_level(self) -> str:
        return "high" if self.resource >= 5 else "mid" if self.resource == 4 else "low"


_L = Language
_TABLE = [
    _L("en", "English", None, "Latin", "Germanic", 5, "eng_Latn", "en_XX", (">>eng<<",)),
    _L("ar", "Arabic", "arb_Arab", "Arabic", "Semitic", 5, "arb_Arab", "ar_AR", (">>ara<<", ">>arb<<")),
    _L("cs", "Czech", "ces_Latn", "Latin", "Slavic", 4, "ces_Latn", "cs_CZ", (">>ces<<",)),
    _L("de", "German", "deu_Latn", "Latin", "Germanic", 5, "deu_Latn", "de_DE", (">>deu<<",)),
    _L("el", "Greek", "ell_Grek", "Greek", "Hellenic", 3, "ell_Grek", None, (">>ell<<",)),
    _L("es", "Spanish", "spa_Latn", "Latin", "Romance", 5, "spa_Latn", "es_XX", (">>spa<<",)),
    _L("fa", "Persian", "pes_Arab", "Arabic", "Iranian", 4, "pes_Arab", "fa_IR", (">>pes<<", ">>fas<<")),
    _L("fr", "French", "fra_Latn", "Latin", "Romance", 5, "fra_Latn", "fr_XX", (">>fra<<",)),
    _L("he", "Hebrew", "heb_Hebr", "Hebrew", "Semitic", 3, "heb_Hebr", "he_IL", (">>heb<<",)),
    _L("hi", "Hindi", "hin_Deva", "Devanagari", "Indo-Aryan", 4, "hin_Deva", "hi_IN", (">>hin<<",)),
    _L("id", "Indonesian", "ind_Latn", "Latin", "Austronesian", 3, "ind_Latn", "id_ID", (">>ind<<",)),
    _L("it", "Italian", "ita_Latn", "Latin", "Romance", 4, "ita_Latn", "it_IT", (">>ita<<",)),
    _L("ja", "Japanese", "jpn_Jpan", "Japanese", "Japonic", 5, "jpn_Jpan", "ja_XX", (">>jpn<<",), 0.45),
    _L("ko", "Korean", "kor_Hang", "Hangul", "Koreanic", 4, "kor_Hang", "ko_KR", (">>kor<<",), 0.45),
    _L("nl", "Dutch", "nld_Latn", "Latin", "Germanic", 4, "nld_Latn", "nl_XX", (">>nld<<",)),
    _L("pl", "Polish", "pol_Latn", "Latin", "Slavic", 4, "pol_Latn", "pl_PL", (">>pol<<",)),
    _L("pt", "Portuguese", "por_Latn", "Latin", "Romance", 4, "por_Latn", "pt_XX", (">>por<<",)),
    _L("ro", "Romanian", "ron_Latn", "Latin", "Romance", 3, "ron_Latn", "ro_RO", (">>ron<<",)),
    _L("ru", "Russian", "rus_Cyrl", "Cyrillic", "Slavic", 4, "rus_Cyrl", "ru_RU", (">>rus<<",)),
    _L("tr", "Turkish", "tur_Latn", "Latin", "Turkic", 4, "tur_Latn", "tr_TR", (">>tur<<",)),
    _L("uk", "Ukrainian", "ukr_Cyrl", "Cyrillic", "Slavic", 3, "ukr_Cyrl", "uk_UA", (">>ukr<<",)),
    _L("vi", "Vietnamese", "vie_Latn", "Latin", "Austroasiatic", 4, "vie_Latn", "vi_VN", (">>vie<<",)),
    _L(
        "zh", "Chinese", "zho_Hans", "Han (Simplified)", "Sino-Tibetan", 5, "zho_Hans", "zh_CN",
        (">>cmn_Hans<<", ">>zho_Hans<<", ">>cmn<<", ">>zho<<"), 0.3,
    ),
    _L(
        "zh-Hant", "Chinese (Traditional)", "zho_Hant", "Han (Traditional)", "Sino-Tibetan", 5, "zho_Hant",
        None, (">>cmn_Hant<<", ">>zho_Hant<<"), 0.3,
    ),
]  # fmt: skip

LANGUAGES: dict[str, Language] = {lang.code: lang for lang in _TABLE}
BY_MRB: dict[str, Language] = {lang.mrb: lang for lang in _TABLE if lang.mrb}
#: The Multilingual RewardBench configs, in the benchmark's order.
MRB_CONFIGS: tuple[str, ...] = tuple(sorted(BY_MRB))

# ISO 639-3 (as FLORES-200 / Multilingual RewardBench write them) → ISO 639-1, beyond the table.
_ISO3 = {lang.nllb.split("_")[0]: lang.code for lang in _TABLE if lang.code != "zh-Hant"}
_ISO3.update({"fas": "fa", "cmn": "zh", "tha": "th", "swe": "sv", "fin": "fi", "dan": "da", "nob": "nb"})
_ISO3.update({"hun": "hu", "bul": "bg", "ben": "bn", "tam": "ta", "tel": "te", "urd": "ur", "msa": "ms"})
_ISO3.update({"zsm": "ms", "cat": "ca", "eus": "eu", "glg": "gl", "swh": "sw"})
_NAMES = {lang.name.lower(): lang.code for lang in _TABLE if lang.code != "zh-Hant"} | {"thai": "th"}
#: Every ISO 639-1 code (two letters that name no language, like `xx`, are not a code).
ISO_639_1 = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy
    hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li
    ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa
    pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th
    ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu""".split()
)
#: Codes normalize_code accepts (the table plus a few languages sources use that xlrm does not evaluate).
KNOWN = frozenset(_ISO3.values()) | frozenset(LANGUAGES)
# Country or legacy codes people type for a language code.
_MISTAKES = {"kr": "ko", "cn": "zh", "jp": "ja", "ua": "uk", "gr": "el", "cz": "cs", "iw": "he", "in": "id"}
_MISTAKES |= {"sp": "es", "ir": "fa"}


def normalize_code(code: str) -> str | None:
    """'kor_Hang' / 'ko-KR' / 'Korean' / 'ko' → 'ko'; 'zho_Hant' → 'zh-Hant'; unknown → None."""
    if not isinstance(code, str) or not code.strip():
        return None
    low = code.strip().lower().replace("-", "_")
    if low in _NAMES:
        return _NAMES[low]
    base, _, script = low.partition("_")
    if base in _ISO3:
        iso = _ISO3[base]
    elif base in ISO_639_1:
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


def language(code: str) -> Language:
    """The table entry for an ISO 639-1 code; a ConfigError that suggests the right code otherwise."""
    lang = LANGUAGES.get(code)
    if lang is not None:
        return lang
    low = str(code).lower()
    if low in LANGUAGES:
        hint = f" (codes are lower case: {low!r})"
    else:
        guess = _MISTAKES.get(low) or normalize_code(str(code))
        hint = f" (did you mean {guess!r}?)" if guess in LANGUAGES else ""
    raise ConfigError(
        f"unknown language code {code!r}{hint}; xlrm knows the ISO 639-1 codes {', '.join(sorted(LANGUAGES))} "
        "(Multilingual RewardBench config codes such as 'kor_Hang' are accepted where a stage reads the benchmark)"
    )


def resolve(codes: list[str], where: str) -> list[str]:
    """ISO codes, Multilingual RewardBench config codes or ``all`` → ISO codes from the table."""
    if list(codes) == ["all"]:
        return [lang.code for lang in _TABLE if lang.mrb]
    out = []
    for c in codes:
        if c in BY_MRB:
            out.append(BY_MRB[c].code)
            continue
        try:
            out.append(language(c).code)
        except ConfigError as e:
            raise ConfigError(f"{where}: {e}") from None
    return out
