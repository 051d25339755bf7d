"""An independent checker for the built-in preference set: every chosen reply is right and every
rejected reply wrong, judged from the text alone.

Nothing here reads the generator's tables. Facts, unit factors, language names, month names and
reference implementations are written out again below; arithmetic is recomputed from the prompt, code
is executed in a restricted namespace, list items are counted, JSON is parsed and languages are
detected with lingua. Where the checker has no table for a language (country facts, which word-problem
family an item is), it checks the English rendering of the item and that the other languages state the
same numbers and the same kind of change.
"""

from __future__ import annotations

import ast
import calendar
import itertools
import json
import math
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from lingua import Language, LanguageDetectorBuilder

from xlrm.data.builtin import generate

SEED = 3
PER_SECTION = 60

LINGUA = {
    "en": Language.ENGLISH,
    "es": Language.SPANISH,
    "it": Language.ITALIAN,
    "ko": Language.KOREAN,
    "zh": Language.CHINESE,
}
FROM_LINGUA = {v: k for k, v in LINGUA.items()}
DETECTOR = LanguageDetectorBuilder.from_languages(*LINGUA.values()).build()


@pytest.fixture(scope="module")
def rows():
    return generate(split="train", per_section=PER_SECTION, seed=SEED) + generate(
        split="eval", per_section=PER_SECTION, seed=SEED
    )


@pytest.fixture(scope="module")
def by_subset(rows):
    out = defaultdict(list)
    for r in rows:
        out[r["subset"]].append(r)
    return out


def P(r):
    return r["prompt"][-1]["content"]


def C(r):
    return r["chosen"][-1]["content"]


def R(r):
    return r["rejected"][-1]["content"]


def stem(r):
    return r["id"].rsplit("/", 1)[0]


def prose(text: str) -> str:
    return re.sub(r"```.*?```|`[^`]*`", " ", text, flags=re.S)


def detect(text: str) -> str | None:
    found = DETECTOR.detect_language_of(prose(text))
    return FROM_LINGUA.get(found)


NUM = {
    "en": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "ko": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "zh": r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?",
    "es": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?",
    "it": r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?",
}


def number(text: str, lang: str) -> Decimal:
    if lang in ("es", "it"):
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    return Decimal(text)


def numbers(text: str, lang: str) -> list[Decimal]:
    return [number(m, lang) for m in re.findall(NUM[lang], text)]


def test_every_subset_is_present(by_subset):
    assert set(by_subset) == {
        "chat-language",
        "chat-count",
        "chat-relevance",
        "hard-fact",
        "hard-units",
        "hard-format",
        "safety-refuse",
        "safety-respond",
        "math-arith",
        "code-python",
    }


# ---- chat ---------------------------------------------------------------------------------------------

LANGUAGE_WORDS = {
    "en": {"English": "en", "Spanish": "es", "Italian": "it", "Korean": "ko", "Chinese": "zh"},
    "es": {"inglés": "en", "español": "es", "italiano": "it", "coreano": "ko", "chino": "zh"},
    "it": {"inglese": "en", "spagnolo": "es", "italiano": "it", "coreano": "ko", "cinese": "zh"},
    "ko": {"영어": "en", "스페인어": "es", "이탈리아어": "it", "한국어": "ko", "중국어": "zh"},
    "zh": {"英语": "en", "西班牙语": "es", "意大利语": "it", "韩语": "ko", "中文": "zh"},
}


def test_chat_language_reply_is_in_the_requested_language(by_subset):
    for r in by_subset["chat-language"]:
        asked = {code for word, code in LANGUAGE_WORDS[r["language"]].items() if word in P(r)}
        assert len(asked) == 1, P(r)
        (asked,) = asked
        assert detect(C(r)) == asked, (r["id"], C(r))
        assert detect(R(r)) not in (asked, None), (r["id"], R(r))


def list_items(text: str) -> int:
    return len(re.findall(r"^\s*\d+[.)]\s+\S", text, flags=re.M))


def test_chat_count_has_the_requested_number_of_items(by_subset):
    for r in by_subset["chat-count"]:
        asked = int(re.search(r"\d+", P(r)).group())
        assert list_items(C(r)) == asked, r["id"]
        assert list_items(R(r)) != asked, r["id"]
        assert list_items(R(r)) > 0


QUESTION_FACETS = {
    "capital": {
        "en": r"\bcapital\b",
        "es": r"\bcapital\b",
        "it": r"\bcapitale\b",
        "ko": "수도",
        "zh": "首都",
    },
    "currency": {
        "en": r"currency|money|\bpay",
        "es": r"moneda|\bpaga",
        "it": r"valuta|moneta|\bpaga",
        "ko": "통화|화폐|돈",
        "zh": "货币|钱|付款",
    },
    "language": {
        "en": r"language|speak|spoken",
        "es": r"idioma|lengua|habla",
        "it": r"lingua|\bparla",
        "ko": "언어",
        "zh": "语言|说",
    },
    "continent": {"en": "continent", "es": "continente", "it": "continente", "ko": "대륙", "zh": "洲"},
}
CONTINENT_NAMES = {
    "en": r"Europe|Asia|Africa|America|Oceania",
    "es": r"Europa|Asia|África|América|Oceanía",
    "it": r"Europa|Asia|Africa|America|Oceania",
    "ko": "유럽|아시아|아프리카|아메리카|오세아니아",
    "zh": "欧洲|亚洲|非洲|美洲|大洋洲",
}


def facets(text: str, lang: str, answer: bool) -> set[str]:
    found = {f for f, pats in QUESTION_FACETS.items() if f != "continent" and re.search(pats[lang], text)}
    if re.search(CONTINENT_NAMES[lang] if answer else QUESTION_FACETS["continent"][lang], text):
        found.add("continent")
    return found


def test_chat_relevance_answers_the_question_asked(by_subset):
    for r in by_subset["chat-relevance"]:
        lang = r["language"]
        asked = facets(P(r), lang, answer=False)
        assert len(asked) == 1, (r["id"], P(r), asked)
        assert facets(C(r), lang, answer=True) == asked, (r["id"], C(r))
        other = facets(R(r), lang, answer=True)
        assert len(other) == 1 and other != asked, (r["id"], R(r))


# ---- chat_hard ----------------------------------------------------------------------------------------

SYMBOLS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr Rb Sr "
    "Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta "
    "W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U"
).split()
ATOMIC_NUMBER = {s: z for z, s in enumerate(SYMBOLS, 1)}
ENGLISH_ELEMENTS = {
    "hydrogen": "H",
    "helium": "He",
    "carbon": "C",
    "nitrogen": "N",
    "oxygen": "O",
    "neon": "Ne",
    "sodium": "Na",
    "magnesium": "Mg",
    "aluminium": "Al",
    "silicon": "Si",
    "phosphorus": "P",
    "sulfur": "S",
    "chlorine": "Cl",
    "potassium": "K",
    "calcium": "Ca",
    "iron": "Fe",
    "copper": "Cu",
    "zinc": "Zn",
    "silver": "Ag",
    "tin": "Sn",
    "iodine": "I",
    "gold": "Au",
    "mercury": "Hg",
    "lead": "Pb",
}
# country (as named in English) → (capital, a word naming its currency)
ENGLISH_FACTS = {
    "Australia": ("Canberra", "Australian dollar"),
    "Canada": ("Ottawa", "Canadian dollar"),
    "Brazil": ("Brasília", "real"),
    "Turkey": ("Ankara", "lira"),
    "Switzerland": ("Bern", "franc"),
    "New Zealand": ("Wellington", "New Zealand dollar"),
    "Morocco": ("Rabat", "dirham"),
    "Vietnam": ("Hanoi", "dong"),
    "Nigeria": ("Abuja", "naira"),
    "China": ("Beijing", "renminbi"),
    "Japan": ("Tokyo", "yen"),
    "South Korea": ("Seoul", "won"),
    "Spain": ("Madrid", "euro"),
    "Italy": ("Rome", "euro"),
    "France": ("Paris", "euro"),
    "Germany": ("Berlin", "euro"),
    "United Kingdom": ("London", "pound sterling"),
    "Sweden": ("Stockholm", "krona"),
    "Poland": ("Warsaw", "złoty"),
    "Mexico": ("Mexico City", "peso"),
    "Argentina": ("Buenos Aires", "peso"),
    "Egypt": ("Cairo", "pound"),
    "Portugal": ("Lisbon", "euro"),
    "Norway": ("Oslo", "krone"),
    "Denmark": ("Copenhagen", "krone"),
    "Greece": ("Athens", "euro"),
    "Czech Republic": ("Prague", "koruna"),
    "Peru": ("Lima", "sol"),
    "Colombia": ("Bogotá", "peso"),
    "Thailand": ("Bangkok", "baht"),
    "Kenya": ("Nairobi", "shilling"),
    "Chile": ("Santiago", "peso"),
    "Ireland": ("Dublin", "euro"),
    "Hungary": ("Budapest", "forint"),
    "Finland": ("Helsinki", "euro"),
    "Austria": ("Vienna", "euro"),
}


def symbol_and_number(text: str) -> tuple[str, int]:
    tokens = [m for m in re.finditer(r"(?<![A-Za-z])([A-Z][a-z]?)(?![A-Za-z])", text) if m.start() > 0]
    symbols = [m.group(1) for m in tokens if m.group(1) in ATOMIC_NUMBER or len(m.group(1)) == 2]
    nums = re.findall(r"\d+", text)
    assert len(symbols) == 1 and len(nums) == 1, text
    return symbols[0], int(nums[0])


def one_span_changed(a: str, b: str) -> tuple[str, str]:
    """The single differing span of two texts (common prefix and suffix removed)."""
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    j = 0
    while j < min(len(a), len(b)) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    return a[i : len(a) - j], b[i : len(b) - j]


def test_hard_fact_rejected_has_exactly_one_wrong_fact(by_subset):
    english = {stem(r): r for r in by_subset["hard-fact"] if r["language"] == "en"}
    for r in by_subset["hard-fact"]:
        if re.search(r"\d", C(r)):  # an element: symbol and atomic number
            sym, z = symbol_and_number(C(r))
            assert ATOMIC_NUMBER[sym] == z, (r["id"], C(r))
            bad_sym, bad_z = symbol_and_number(R(r))
            assert ATOMIC_NUMBER.get(bad_sym) != bad_z, (r["id"], R(r))
            assert (bad_sym == sym) != (bad_z == z), "exactly one of symbol and number is wrong"
            en = english[stem(r)]
            name = next(n for n in ENGLISH_ELEMENTS if re.search(rf"\b{n}\b", P(en)))
            assert ENGLISH_ELEMENTS[name] == sym, (r["id"], name, sym)
        else:  # a country: capital and currency
            right, wrong = one_span_changed(C(r), R(r))
            assert right and wrong and wrong not in C(r), (r["id"], right, wrong)
            en = english[stem(r)]
            country = next(c for c in ENGLISH_FACTS if c in P(en))
            capital, currency = ENGLISH_FACTS[country]
            assert capital in C(en) and currency in C(en), (en["id"], C(en))
            assert (capital in R(en)) != (currency in R(en)), (en["id"], R(en))


UNIT_FACTORS = {  # unit → (dimension, size in the dimension's smallest unit)
    "kg": ("mass", 1000),
    "g": ("mass", 1),
    "km": ("length", 1000000),
    "m": ("length", 1000),
    "cm": ("length", 10),
    "mm": ("length", 1),
    "L": ("volume", 1000),
    "mL": ("volume", 1),
    "hours": ("time", 3600),
    "hour": ("time", 3600),
    "minutes": ("time", 60),
    "minute": ("time", 60),
    "seconds": ("time", 1),
    "second": ("time", 1),
    "horas": ("time", 3600),
    "hora": ("time", 3600),
    "minutos": ("time", 60),
    "minuto": ("time", 60),
    "segundos": ("time", 1),
    "segundo": ("time", 1),
    "ore": ("time", 3600),
    "ora": ("time", 3600),
    "minuti": ("time", 60),
    "secondi": ("time", 1),
    "secondo": ("time", 1),
    "시간": ("time", 3600),
    "분": ("time", 60),
    "초": ("time", 1),
    "小时": ("time", 3600),
    "分钟": ("time", 60),
    "秒": ("time", 1),
}


def conversion(text: str, lang: str):
    """The first ``<number> <unit> = <number> <unit>`` in ``text``, as two (Decimal, unit) quantities."""
    word = r"[A-Za-z]+|[가-힣]+|[\u4e00-\u9fff]+"
    m = re.search(rf"({NUM[lang]})\s*({word})\s*=\s*({NUM[lang]})\s*({word})", text)
    assert m, text

    def unit(token: str) -> str:
        return max((u for u in UNIT_FACTORS if token.startswith(u)), key=len)

    return (number(m.group(1), lang), unit(m.group(2))), (number(m.group(3), lang), unit(m.group(4)))


def same_amount(a, b) -> bool:
    (x, u), (y, v) = a, b
    return UNIT_FACTORS[u][0] == UNIT_FACTORS[v][0] and x * UNIT_FACTORS[u][1] == y * UNIT_FACTORS[v][1]


def test_hard_units_conversions(by_subset):
    for r in by_subset["hard-units"]:
        lang = r["language"]
        src, dst = conversion(C(r), lang)
        assert same_amount(src, dst), (r["id"], C(r))
        bad_src, bad_dst = conversion(R(r), lang)
        assert bad_src == src and UNIT_FACTORS[bad_dst[1]] == UNIT_FACTORS[dst[1]], (r["id"], R(r))
        assert not same_amount(bad_src, bad_dst), (r["id"], R(r))
        ratio = bad_dst[0] / dst[0]
        assert ratio in (10, Decimal("0.1")) or ratio == Decimal(100) / 60 or ratio == Decimal(60) / 100, (
            ratio
        )
        assert src[0] in numbers(P(r), lang), (r["id"], P(r))


MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre".split(),
}


def date_in_prompt(text: str, lang: str) -> tuple[int, int, int] | None:
    if lang in ("ko", "zh"):
        m = re.search(r"(\d{4})[년年]\s*(\d{1,2})[월月]\s*(\d{1,2})[일日]", text)
        return (int(m[1]), int(m[2]), int(m[3])) if m else None
    months = "|".join(MONTHS[lang])
    pattern = {
        "en": rf"({months}) (\d{{1,2}}), (\d{{4}})",
        "es": rf"(\d{{1,2}}) de ({months}) de (\d{{4}})",
        "it": rf"(\d{{1,2}})º? ({months}) (\d{{4}})",
    }[lang]
    m = re.search(pattern, text)
    if not m:
        return None
    if lang == "en":
        return int(m[3]), MONTHS[lang].index(m[1]) + 1, int(m[2])
    return int(m[3]), MONTHS[lang].index(m[2]) + 1, int(m[1])


def sentences(text: str) -> int:
    return len(re.findall(r"[^.!?。！？]+[.!?。！？]", text))


def test_hard_format_followed_vs_nearly_followed(by_subset):
    kinds = Counter()
    for r in by_subset["hard-format"]:
        lang = r["language"]
        if "JSON" in P(r):
            kinds["json"] += 1
            keys = set(re.findall(r'"([a-z]+)"', P(r)))
            good = json.loads(re.search(r"```json\n(.*?)\n```", C(r), re.S)[1])
            assert set(good) == keys, (r["id"], good)
            for value in good.values():
                assert str(value) in P(r)
            bad_text = re.search(r"```json\n(.*?)\n```", R(r), re.S)[1]
            try:
                bad = json.loads(bad_text)
            except json.JSONDecodeError:
                continue
            assert set(bad) != keys, (r["id"], bad_text)
        elif (date := date_in_prompt(P(r), lang)) is not None:
            kinds["date"] += 1
            iso = "{:04d}-{:02d}-{:02d}".format(*date)
            assert re.search(rf"(?<![\d./-]){iso}(?![\d/-]|\.\d)", C(r)), (r["id"], C(r))
            assert iso not in R(r), (r["id"], R(r))
        else:
            kinds["sentence"] += 1
            assert sentences(C(r)) == 1, (r["id"], C(r))
            assert sentences(R(r)) >= 2, (r["id"], R(r))
            assert R(r).startswith(C(r))
    assert set(kinds) == {"json", "date", "sentence"}


# ---- safety -------------------------------------------------------------------------------------------

REFUSAL = {
    "en": r"\bI can't\b|\bI won't\b|I'm not able|I'd rather not|I have to say no|not something I can",
    "es": r"no puedo|no voy a ayudarte|prefiero no",
    "it": r"non posso|non ti aiuterò|preferisco non",
    "ko": r"드릴 수 없|드릴 수는 없|드리기 어렵|거절",
    "zh": r"我不能|我不会帮|帮不了|我无法|只能拒绝",
}
AGREEMENT = {
    "en": r"^(Sure|Absolutely|Of course|Great idea)",
    "es": r"^¡(Claro|Por supuesto|Buena idea)",
    "it": r"^(Certo|Assolutamente|Ma certo|Ottima idea)",
    "ko": r"^(물론|좋아요|당연하죠|좋은 생각)",
    "zh": r"^(当然|没问题|好主意)",
}


def test_safety_refuse_chosen_refuses_and_rejected_agrees_without_content(by_subset):
    for r in by_subset["safety-refuse"]:
        lang = r["language"]
        assert re.search(REFUSAL[lang], C(r), re.I), (r["id"], C(r))
        assert not re.search(REFUSAL[lang], R(r), re.I), (r["id"], R(r))
        assert re.search(AGREEMENT[lang], R(r)), (r["id"], R(r))
        # no operational content anywhere: no numbers, no code, no steps or lists
        for text in (C(r), R(r)):
            assert not re.search(r"\d|`|^\s*[-*•]\s", text, flags=re.M), (r["id"], text)
        assert len(R(r)) < 300


def test_safety_respond_chosen_helps_and_rejected_over_refuses(by_subset):
    for r in by_subset["safety-respond"]:
        lang = r["language"]
        assert not re.search(REFUSAL[lang], C(r), re.I), (r["id"], C(r))
        assert re.search(REFUSAL[lang], R(r), re.I), (r["id"], R(r))
        assert len(C(r)) > len(R(r))


# ---- reasoning ----------------------------------------------------------------------------------------

ANSWER_LABEL = {"en": "Answer:", "es": "Respuesta:", "it": "Risposta:", "ko": "답:", "zh": "答案："}
EN_FORMULAS = [  # regex over the English problem → the answer, written out independently
    (
        r"book with (\d+) pages\..* reads (\d+) pages every day\..* after (\d+) days",
        lambda P, r, d: P - r * d,
    ),
    (r"buys (\d+) boxes of pencils with (\d+) pencils .* gives (\d+) pencils", lambda k, m, g: k * m - g),
    (r"has (\d+) sweets\..* keeps (\d+) for .* among (\d+) friends", lambda T, r, k: (T - r) // k),
    (r"runs (\d+) km every day for (\d+) days .* long run of (\d+) km", lambda x, d, y: x * d + y),
    (
        r"has (\d+) stickers and gets (\d+) new ones every week\..* after (\d+) weeks",
        lambda a, c, w: a + c * w,
    ),
    (r"(\d+) rows of (\d+) chairs\. (\d+) people", lambda r, s, p: r * s - p),
    (
        r"splits (\d+) students into groups of (\d+)\. Each group gets (\d+) sheets",
        lambda n, g, h: n // g * h,
    ),
    (r"garden is (\d+) m long and (\d+) m wide\..* plant (\d+) flowers", lambda l_, w, s: l_ * w * s),
    (r"is (\d+) years old\. \w+ cousin is (\d+) years older\..* in (\d+) years", lambda a, b, y: a + b + y),
    (
        r"holds (\d+) litres and already contains (\d+) litres\. A tap adds (\d+) litres",
        lambda C, f, r: (C - f) // r,
    ),
    (r"piano for (\d+) minutes a day\..* in (\d+) days", lambda m, d: m * d // 60),
    (
        r"with (\d+) passengers\. At the first stop, (\d+) people get off and (\d+) get on",
        lambda p, a, b: p - a + b,
    ),
    (r"bakes (\d+) trays of cookies with (\d+) cookies .* bags of (\d+)", lambda t, c, b: t * c // b),
]
OPS = {"+": lambda a, b: a + b, "−": lambda a, b: a - b, "×": lambda a, b: a * b, "÷": lambda a, b: a / b}


def worked_solution(text: str, lang: str):
    """(all equations hold, the value of the last equation, the stated answer)."""
    eqs = re.findall(rf"({NUM[lang]}) ([+−×÷]) ({NUM[lang]}) = ({NUM[lang]})", text)
    assert eqs, text
    ok = all(OPS[op](number(a, lang), number(b, lang)) == number(c, lang) for a, op, b, c in eqs)
    stated = re.search(re.escape(ANSWER_LABEL[lang]) + rf"\s*({NUM[lang]})", text)
    return ok, number(eqs[-1][3], lang), number(stated[1], lang)


def test_math_arith_recomputed(by_subset):
    items = defaultdict(dict)
    for r in by_subset["math-arith"]:
        items[stem(r)][r["language"]] = r
    for group in items.values():
        en = group["en"]
        formulas = [(m, f) for pat, f in EN_FORMULAS if (m := re.search(pat, P(en)))]
        assert len(formulas) == 1, P(en)
        m, f = formulas[0]
        truth = f(*map(int, m.groups()))
        prompt_numbers = Counter(numbers(P(en), "en"))
        for lang, r in group.items():
            ok, last, stated = worked_solution(C(r), lang)
            assert ok and last == stated == truth, (r["id"], C(r), truth)
            ok, last, stated = worked_solution(R(r), lang)
            assert stated == last and stated != truth, (r["id"], R(r))
            assert Counter(numbers(P(r), lang)) == prompt_numbers, (r["id"], P(r))


REFERENCE = {
    "sum_even": lambda nums: sum(x for x in nums if x % 2 == 0),
    "count_vowels": lambda text: sum(ch in "aeiouAEIOU" for ch in text),
    "largest": max,
    "factorial": math.factorial,
    "is_palindrome": lambda w: w.casefold() == w.casefold()[::-1],
    "count_positive": lambda nums: len([x for x in nums if x > 0]),
    "average": lambda nums: sum(nums) / len(nums),
    "reverse_words": lambda s: " ".join(reversed(s.split())),
    "running_total": lambda nums: list(itertools.accumulate(nums)),
    "remove_duplicates": lambda items: list(dict.fromkeys(items)),
    "digit_sum": lambda n: sum(int(d) for d in str(n)),
    "count_words": lambda text: len(text.split()),
    "first_index": lambda items, target: items.index(target) if target in items else -1,
    "celsius_to_fahrenheit": lambda c: c * 1.8 + 32,
    "second_largest": lambda nums: sorted(set(nums))[-2],
    "is_leap_year": calendar.isleap,
}
RESTRICTED = {
    "range": range,
    "len": len,
    "sum": sum,
    "sorted": sorted,
    "set": set,
    "list": list,
    "enumerate": enumerate,
}


def run_answer(text: str, name: str, args: list):
    code = re.search(r"```python\n(.*?)\n```", text, re.S)[1]
    namespace = {"__builtins__": dict(RESTRICTED)}
    exec(code, namespace)  # the generated snippets only; no imports, no I/O builtins available
    claimed = ast.literal_eval(re.findall(r"`([^`]*)`", text.split("```")[-1])[-1])
    return namespace[name](*ast.literal_eval(repr(args))), claimed


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and math.isclose(a, b)
    return type(a) is type(b) and a == b


def test_code_python_executed(by_subset):
    for r in by_subset["code-python"]:
        sig, call = re.findall(r"`([^`]*)`", P(r))[:2]
        name = sig.split("(")[0]
        node = ast.parse(call, mode="eval").body
        assert isinstance(node, ast.Call) and node.func.id == name
        args = [ast.literal_eval(a) for a in node.args]
        expected = REFERENCE[name](*args)
        got, claimed = run_answer(C(r), name, args)
        assert same(got, expected) and same(claimed, expected), (r["id"], got, claimed, expected)
        got, claimed = run_answer(R(r), name, args)
        assert not (same(got, expected) and same(claimed, expected)), (r["id"], R(r))
        assert not same(claimed, got) or not same(claimed, expected)


# ---- text quality -------------------------------------------------------------------------------------


def test_prompts_are_detected_as_their_language(rows):
    misses = Counter()
    totals = Counter()
    for r in rows:
        totals[r["language"]] += 1
        misses[r["language"]] += detect(P(r)) != r["language"]
    for lang, n in totals.items():
        assert misses[lang] <= 0.01 * n, (lang, misses[lang], n)
        if lang in ("ko", "zh"):
            assert misses[lang] == 0


def test_replies_are_detected_as_their_language(rows):
    misses = Counter()
    totals = Counter()
    for r in rows:
        if r["subset"] == "chat-language":
            continue  # the reply's language is the label; checked above
        text = prose(C(r)).strip()
        if len(text) < 25:
            continue
        totals[r["language"]] += 1
        misses[r["language"]] += detect(text) != r["language"]
    for lang, n in totals.items():
        assert misses[lang] <= 0.03 * n, (lang, misses[lang], n)


# ---- the checker has teeth ----------------------------------------------------------------------------

LABEL_CHECKS = [
    test_chat_language_reply_is_in_the_requested_language,
    test_chat_count_has_the_requested_number_of_items,
    test_chat_relevance_answers_the_question_asked,
    test_hard_fact_rejected_has_exactly_one_wrong_fact,
    test_hard_units_conversions,
    test_hard_format_followed_vs_nearly_followed,
    test_safety_refuse_chosen_refuses_and_rejected_agrees_without_content,
    test_safety_respond_chosen_helps_and_rejected_over_refuses,
    test_math_arith_recomputed,
    test_code_python_executed,
]


@pytest.mark.parametrize("check", LABEL_CHECKS, ids=lambda f: f.__name__.removeprefix("test_"))
def test_checker_fails_on_swapped_labels(by_subset, check):
    """Each label check must fail when chosen and rejected trade places."""
    swapped = defaultdict(list)
    for name, group in by_subset.items():
        swapped[name] = [dict(r, chosen=r["rejected"], rejected=r["chosen"]) for r in group[:25]]
    with pytest.raises((AssertionError, ValueError)):
        check(swapped)
