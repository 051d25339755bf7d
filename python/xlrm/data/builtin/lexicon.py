"""Per-language building blocks shared by every section: language names, people, cities, continents,
number formatting, and the small grammar helpers (Spanish contractions, Korean particles).

Tables are *parallel*: entry ``i`` means the same slot in every language (the same person slot, the
same city slot), so an item rendered in five languages stays the same item. The train/eval split of a
table is by position (see :func:`xlrm.data.builtin.core.split_indices`).
"""

from __future__ import annotations

from decimal import Decimal

LANGUAGES = ("en", "es", "it", "ko", "zh")
LATIN = frozenset({"en", "es", "it"})

# LANGUAGE_NAMES[writing_language][named_language]
LANGUAGE_NAMES = {
    "en": {"en": "English", "es": "Spanish", "it": "Italian", "ko": "Korean", "zh": "Chinese"},
    "es": {"en": "inglés", "es": "español", "it": "italiano", "ko": "coreano", "zh": "chino"},
    "it": {"en": "inglese", "es": "spagnolo", "it": "italiano", "ko": "coreano", "zh": "cinese"},
    "ko": {"en": "영어", "es": "스페인어", "it": "이탈리아어", "ko": "한국어", "zh": "중국어"},
    "zh": {"en": "英语", "es": "西班牙语", "it": "意大利语", "ko": "韩语", "zh": "中文"},
}

# People: (gender, {language: name}); Korean and Chinese names carry a romanisation, used when the
# name appears in text written in another script.
PEOPLE = [
    ("f", {"en": "Emma", "es": "Lucía", "it": "Giulia", "ko": ("수아", "Sua"), "zh": ("李娜", "Li Na")}),
    ("m", {"en": "Liam", "es": "Mateo", "it": "Marco", "ko": ("지호", "Jiho"), "zh": ("王磊", "Wang Lei")}),
    (
        "f",
        {"en": "Olivia", "es": "Carmen", "it": "Chiara", "ko": ("유나", "Yuna"), "zh": ("张敏", "Zhang Min")},
    ),
    ("m", {"en": "Noah", "es": "Javier", "it": "Luca", "ko": ("준서", "Junseo"), "zh": ("刘洋", "Liu Yang")}),
    (
        "f",
        {"en": "Ava", "es": "Sofía", "it": "Francesca", "ko": ("서하", "Seoha"), "zh": ("陈静", "Chen Jing")},
    ),
    (
        "m",
        {"en": "James", "es": "Diego", "it": "Matteo", "ko": ("시우", "Siwoo"), "zh": ("杨帆", "Yang Fan")},
    ),
    ("f", {"en": "Sophie", "es": "Elena", "it": "Sara", "ko": ("예나", "Yena"), "zh": ("赵欣", "Zhao Xin")}),
    (
        "m",
        {"en": "Daniel", "es": "Pablo", "it": "Davide", "ko": ("도하", "Doha"), "zh": ("黄涛", "Huang Tao")},
    ),
    (
        "f",
        {"en": "Grace", "es": "Marta", "it": "Elena", "ko": ("채아", "Chaea"), "zh": ("周婷", "Zhou Ting")},
    ),
    (
        "m",
        {"en": "Ethan", "es": "Andrés", "it": "Giorgio", "ko": ("태오", "Taeo"), "zh": ("吴强", "Wu Qiang")},
    ),
    (
        "f",
        {"en": "Chloe", "es": "Isabel", "it": "Alessia", "ko": ("소희", "Sohee"), "zh": ("孙悦", "Sun Yue")},
    ),
    (
        "m",
        {"en": "Henry", "es": "Tomás", "it": "Paolo", "ko": ("민재", "Minjae"), "zh": ("郑凯", "Zheng Kai")},
    ),
]


def person(index: int, origin: str, writing: str) -> str:
    """Person ``index`` from ``origin``'s name table, spelled for text written in ``writing``."""
    name = PEOPLE[index][1][origin]
    if isinstance(name, tuple):
        native, roman = name
        return native if writing == origin else roman
    return name


def gender(index: int) -> str:
    return PEOPLE[index][0]


CITIES = {
    "en": [
        "Manchester",
        "Boston",
        "Toronto",
        "Sydney",
        "Dublin",
        "Chicago",
        "Denver",
        "Glasgow",
        "Seattle",
        "Leeds",
        "Austin",
        "Bristol",
    ],
    "es": [
        "Sevilla",
        "Valencia",
        "Bilbao",
        "Granada",
        "Zaragoza",
        "Málaga",
        "Salamanca",
        "Toledo",
        "Murcia",
        "Cádiz",
        "Oviedo",
        "Santander",
    ],
    "it": [
        "Torino",
        "Bologna",
        "Napoli",
        "Firenze",
        "Verona",
        "Genova",
        "Palermo",
        "Bari",
        "Padova",
        "Trieste",
        "Perugia",
        "Lecce",
    ],
    "ko": ["부산", "대구", "인천", "광주", "대전", "울산", "수원", "전주", "춘천", "제주", "포항", "강릉"],
    "zh": ["成都", "杭州", "南京", "西安", "武汉", "重庆", "苏州", "青岛", "厦门", "长沙", "昆明", "天津"],
}

CONTINENTS = {
    "europe": {"en": "Europe", "es": "Europa", "it": "Europa", "ko": "유럽", "zh": "欧洲"},
    "asia": {"en": "Asia", "es": "Asia", "it": "Asia", "ko": "아시아", "zh": "亚洲"},
    "africa": {"en": "Africa", "es": "África", "it": "Africa", "ko": "아프리카", "zh": "非洲"},
    "north_america": {
        "en": "North America",
        "es": "América del Norte",
        "it": "America del Nord",
        "ko": "북아메리카",
        "zh": "北美洲",
    },
    "south_america": {
        "en": "South America",
        "es": "América del Sur",
        "it": "America del Sud",
        "ko": "남아메리카",
        "zh": "南美洲",
    },
    "oceania": {"en": "Oceania", "es": "Oceanía", "it": "Oceania", "ko": "오세아니아", "zh": "大洋洲"},
}


# --- numbers ---------------------------------------------------------------------------------------


def fmt_num(value, lang: str) -> str:
    """A number as a reader of ``lang`` expects it: ``2,500`` / ``2.5`` (en, ko); ``2500`` / ``12.000`` /
    ``2,5`` (es, it); ``2500`` / ``12,000`` / ``2.5`` (zh). Trailing decimal zeros are dropped."""
    d = Decimal(str(value)).normalize()
    sign = "-" if d < 0 else ""
    text = format(abs(d), "f")
    whole, _, frac = text.partition(".")
    if lang in ("es", "it"):
        sep, point, min_group = ".", ",", 5
    elif lang == "zh":
        sep, point, min_group = ",", ".", 5
    else:
        sep, point, min_group = ",", ".", 4
    if len(whole) >= min_group:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        whole = sep.join(groups)
    return sign + whole + (point + frac if frac else "")


# --- English, Spanish and Italian helpers ----------------------------------------------------------------


def cap(text: str) -> str:
    """Upper-case the first character (for a phrase that opens a sentence)."""
    return text[:1].upper() + text[1:]


def lc_first(text: str) -> str:
    """Lower-case the first letter (after an opening ¿ or ¡), for a question placed after a colon."""
    i = 1 if text[:1] in "¿¡" else 0
    return text[:i] + text[i : i + 1].lower() + text[i + 1 :]


def es_prep(prep: str, phrase: str) -> str:
    """Spanish ``de``/``a`` before a phrase, contracting with a masculine article: de + el → del."""
    if phrase.startswith("el "):
        return {"de": "del", "a": "al"}[prep] + phrase[2:]
    return f"{prep} {phrase}"


def gendered(g: str, masculine: str, feminine: str) -> str:
    return feminine if g == "f" else masculine


# --- Korean particles ------------------------------------------------------------------------------------

_DIGIT_CODA = {
    "0": "other",
    "1": "rieul",
    "2": None,
    "3": "other",
    "4": None,
    "5": None,
    "6": "other",
    "7": "rieul",
    "8": "rieul",
    "9": None,
}
_TRAILING = " \t\n.,!?)]}\"'`’”"


def _coda(word: str) -> str | None:
    """The final consonant class of ``word`` as read aloud in Korean: None (ends in a vowel), "rieul"
    (ends in ㄹ) or "other"."""
    w = word.rstrip(_TRAILING)
    if not w:
        return None
    ch = w[-1]
    if "가" <= ch <= "힣":
        jong = (ord(ch) - 0xAC00) % 28
        return None if jong == 0 else ("rieul" if jong == 8 else "other")
    if ch.isdigit():
        digits = w.replace(",", "")
        i = len(digits)
        while i > 0 and (digits[i - 1].isdigit() or digits[i - 1] == "."):
            i -= 1
        number = digits[i:]
        if "." in number or not number.strip("0"):
            return _DIGIT_CODA[number[-1]]
        stripped = number.rstrip("0")
        if len(stripped) < len(number):  # 십, 백, 천, 만 ... all end in a consonant other than ㄹ
            return "other"
        return _DIGIT_CODA[number[-1]]
    low = w.lower()
    if low.endswith(("l", "ll")):
        return "rieul"
    if low.endswith(("n", "m", "ng")):
        return "other"
    return None


_PARTICLES = {
    "은/는": ("은", "는"),
    "이/가": ("이", "가"),
    "을/를": ("을", "를"),
    "과/와": ("과", "와"),
    "이에요/예요": ("이에요", "예요"),
    "이고/고": ("이고", "고"),
    "아/야": ("아", "야"),
}


def josa(word: str, pair: str) -> str:
    """``word`` followed by the right form of a Korean particle: josa("책", "을/를") == "책을"."""
    coda = _coda(word)
    if pair == "으로/로":
        return word + ("으로" if coda == "other" else "로")
    with_coda, without = _PARTICLES[pair]
    return word + (with_coda if coda else without)


def ko_vocative(name: str) -> str:
    """How a Korean message opens when addressing ``name``: 수아야, / 준서야, (Korean names), Lucía, (others)."""
    if "가" <= name[-1:] <= "힣":
        return josa(name, "아/야") + ","
    return name + ","


def it_article(word: str) -> str:
    """Italian definite article + ``word`` (masculine singular nouns, e.g. language names):
    l'inglese, lo spagnolo, il francese."""
    low = word.lower()
    if low[:1] in "aeiouàèéìòù":
        return f"l'{word}"
    if (low[:1] == "s" and low[1:2] not in "aeiou") or low[:1] in "zxy" or low[:2] in ("gn", "ps"):
        return f"lo {word}"
    return f"il {word}"


def it_from_di(di_form: str) -> str:
    """An Italian name with its article, from its "di" form: della Francia → la Francia,
    del Regno Unito → il Regno Unito, dell'Italia → l'Italia."""
    for prefix, article in (
        ("dell'", "l'"),
        ("dello ", "lo "),
        ("della ", "la "),
        ("del ", "il "),
        ("degli ", "gli "),
        ("dei ", "i "),
        ("delle ", "le "),
    ):
        if di_form.startswith(prefix):
            return article + di_form[len(prefix) :]
    raise ValueError(f"not an Italian 'di' form: {di_form!r}")
