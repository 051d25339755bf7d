"""chat_hard: two fluent answers, one with a subtle error.

- ``hard-fact``: capital and currency of a country, or symbol and atomic number of an element; the
  rejected answer is the same text with one fact wrong (a former capital, a neighbour's currency, an
  atomic number off by one or two, a confusable symbol).
- ``hard-units``: a unit conversion; the rejected result is off by a factor (10 for metric units, the
  decimal-minutes slip for time) while its explanation still names the right factor.
- ``hard-format``: a requested output format (ISO date, JSON with given keys, exactly one sentence);
  the rejected answer nearly follows it.
"""

from __future__ import annotations

import json
from decimal import Decimal

from xlrm.data.builtin.core import Subset, pick
from xlrm.data.builtin.countries import COUNTRIES, country_fields, fact_sentence
from xlrm.data.builtin.lexicon import CITIES, PEOPLE, cap, es_prep, fmt_num, it_from_di, josa, person

# ==== hard-fact ==========================================================================================

COUNTRY_QUESTIONS = {
    "en": [
        "What is the capital {of}, and which currency is used there?",
        "I'm preparing a quiz. What are the capital and the currency {of}?",
        "Tell me the capital city {of} and the currency people use there.",
        "Quick question: what's the capital {of}, and what money do they use?",
        "For my geography homework: which city is the capital {of}, and what is its currency?",
        "Can you give me two facts about {c}: its capital and its currency?",
    ],
    "es": [
        "¿Cuál es la capital {of} y qué moneda se usa allí?",
        "Estoy preparando un concurso. ¿Cuáles son la capital y la moneda {of}?",
        "Dime la capital {of} y la moneda que se usa allí.",
        "Una pregunta rápida: ¿cuál es la capital {of} y con qué moneda se paga?",
        "Para mis deberes de geografía: ¿qué ciudad es la capital {of} y cuál es su moneda?",
        "¿Me das dos datos sobre {c}: su capital y su moneda?",
    ],
    "it": [
        "Qual è la capitale {of} e che valuta si usa lì?",
        "Sto preparando un quiz. Quali sono la capitale e la valuta {of}?",
        "Dimmi la capitale {of} e la valuta che si usa lì.",
        "Domanda veloce: qual è la capitale {of} e con che moneta si paga?",
        "Per i compiti di geografia: quale città è la capitale {of} e qual è la sua valuta?",
        "Mi dici capitale e valuta {of}?",
    ],
    "ko": [
        "{c}의 수도는 어디이고, 어떤 통화를 쓰나요?",
        "퀴즈를 준비하고 있어요. {c}의 수도와 통화가 뭔가요?",
        "{c}의 수도와 그곳에서 쓰는 통화를 알려 주세요.",
        "간단한 질문인데, {c}의 수도는 어디고 돈은 뭘 써?",
        "지리 숙제 때문에 그러는데, {c}의 수도는 어느 도시이고 통화는 무엇인가요?",
        "{c}에 대해 두 가지만 알려 줄래? 수도랑 통화.",
    ],
    "zh": [
        "{c}的首都是哪里？那里用什么货币？",
        "我在准备一个知识竞赛，{c}的首都和货币分别是什么？",
        "告诉我{c}的首都，还有当地使用的货币。",
        "简单问一下：{c}的首都是哪儿，用什么钱？",
        "地理作业要用：{c}的首都是哪座城市，货币是什么？",
        "能告诉我{c}的两个信息吗：首都和货币。",
    ],
}

COUNTRY_ANSWERS = {
    "en": [
        "The capital {of} is {cap}, and the currency is {cur}.",
        "{Cap} is the capital {of}. The currency used there is {cur}.",
        "The capital is {cap}, and people there pay with {cur}.",
    ],
    "es": [
        "La capital {of} es {cap} y la moneda es {cur}.",
        "{Cap} es la capital {of}. La moneda que se usa allí es {cur}.",
        "La capital es {cap}, y allí se paga con {cur}.",
    ],
    "it": [
        "La capitale {of} è {cap} e la valuta è {cur}.",
        "{Cap} è la capitale {of}. La valuta che si usa lì è {cur}.",
        "La capitale è {cap}, e lì si paga con {cur}.",
    ],
    "ko": [
        "{c}의 수도는 {cap}입니다. 통화로는 {cur_obj} 사용합니다.",
        "{cap_subj} {c}의 수도이고, 통화는 {cur_cop}.",
        "수도는 {cap}, 통화는 {cur}입니다.",
    ],
    "zh": [
        "{c}的首都是{cap}，通用货币是{cur}。",
        "{cap}是{c}的首都，当地使用的货币是{cur}。",
        "{c}首都为{cap}，流通货币为{cur}。",
    ],
}

# symbol, atomic number, plausible wrong symbol (or None), names: en, es (with article), it (bare, "di"
# form), ko, zh
ELEMENTS = [
    ("H", 1, None, "hydrogen", "el hidrógeno", ("idrogeno", "dell'idrogeno"), "수소", "氢"),
    ("He", 2, None, "helium", "el helio", ("elio", "dell'elio"), "헬륨", "氦"),
    ("C", 6, "Ca", "carbon", "el carbono", ("carbonio", "del carbonio"), "탄소", "碳"),
    ("N", 7, "Ni", "nitrogen", "el nitrógeno", ("azoto", "dell'azoto"), "질소", "氮"),
    ("O", 8, None, "oxygen", "el oxígeno", ("ossigeno", "dell'ossigeno"), "산소", "氧"),
    ("Ne", 10, None, "neon", "el neón", ("neon", "del neon"), "네온", "氖"),
    ("Na", 11, "So", "sodium", "el sodio", ("sodio", "del sodio"), "나트륨", "钠"),
    ("Mg", 12, "Mn", "magnesium", "el magnesio", ("magnesio", "del magnesio"), "마그네슘", "镁"),
    ("Al", 13, None, "aluminium", "el aluminio", ("alluminio", "dell'alluminio"), "알루미늄", "铝"),
    ("Si", 14, None, "silicon", "el silicio", ("silicio", "del silicio"), "규소", "硅"),
    ("P", 15, "Ph", "phosphorus", "el fósforo", ("fosforo", "del fosforo"), "인", "磷"),
    ("S", 16, "Su", "sulfur", "el azufre", ("zolfo", "dello zolfo"), "황", "硫"),
    ("Cl", 17, None, "chlorine", "el cloro", ("cloro", "del cloro"), "염소", "氯"),
    ("K", 19, "P", "potassium", "el potasio", ("potassio", "del potassio"), "칼륨", "钾"),
    ("Ca", 20, None, "calcium", "el calcio", ("calcio", "del calcio"), "칼슘", "钙"),
    ("Fe", 26, "Ir", "iron", "el hierro", ("ferro", "del ferro"), "철", "铁"),
    ("Cu", 29, "Co", "copper", "el cobre", ("rame", "del rame"), "구리", "铜"),
    ("Zn", 30, None, "zinc", "el zinc", ("zinco", "dello zinco"), "아연", "锌"),
    ("Ag", 47, "Au", "silver", "la plata", ("argento", "dell'argento"), "은", "银"),
    ("Sn", 50, "Ti", "tin", "el estaño", ("stagno", "dello stagno"), "주석", "锡"),
    ("I", 53, None, "iodine", "el yodo", ("iodio", "dello iodio"), "아이오딘", "碘"),
    ("Au", 79, "Ag", "gold", "el oro", ("oro", "dell'oro"), "금", "金"),
    ("Hg", 80, "Me", "mercury", "el mercurio", ("mercurio", "del mercurio"), "수은", "汞"),
    ("Pb", 82, None, "lead", "el plomo", ("piombo", "del piombo"), "납", "铅"),
]

ELEMENT_QUESTIONS = {
    "en": [
        "What are the chemical symbol and the atomic number of {el}?",
        "Give me the symbol and atomic number of {el}.",
        "I'm revising for a chemistry test. What's the symbol for {el}, and what is its atomic number?",
        "Which symbol does {el} have in the periodic table, and what's its atomic number?",
        "Quick chemistry check: symbol and atomic number of {el}?",
        "Can you remind me of the chemical symbol and atomic number of {el}?",
    ],
    "es": [
        "¿Cuáles son el símbolo químico y el número atómico {of}?",
        "Dime el símbolo y el número atómico {of}.",
        "Estoy repasando para un examen de química. ¿Cuál es el símbolo {of} y cuál es su número atómico?",
        "¿Qué símbolo tiene {el} en la tabla periódica y cuál es su número atómico?",
        "Repaso rápido de química: ¿símbolo y número atómico {of}?",
        "¿Me recuerdas el símbolo químico y el número atómico {of}?",
    ],
    "it": [
        "Quali sono il simbolo chimico e il numero atomico {of}?",
        "Dimmi il simbolo e il numero atomico {of}.",
        "Sto ripassando per una verifica di chimica. Qual è il simbolo {of} e qual è il suo numero atomico?",
        "Che simbolo ha {art} nella tavola periodica e qual è il suo numero atomico?",
        "Ripasso veloce di chimica: simbolo e numero atomico {of}?",
        "Mi ricordi il simbolo chimico e il numero atomico {of}?",
    ],
    "ko": [
        "{el}의 원소 기호와 원자 번호는 무엇인가요?",
        "{el}의 원소 기호랑 원자 번호 알려 줘.",
        "화학 시험 공부 중인데요, {el}의 원소 기호는 뭐고 원자 번호는 몇 번인가요?",
        "주기율표에서 {el}의 기호는 뭐고, 원자 번호는 몇 번이에요?",
        "화학 복습 중이에요. {el}의 원소 기호와 원자 번호는?",
        "{el}의 원소 기호랑 원자 번호가 뭐였는지 다시 알려 줄래?",
    ],
    "zh": [
        "{el}的元素符号和原子序数是什么？",
        "告诉我{el}的元素符号和原子序数。",
        "我在复习化学考试，{el}的元素符号是什么？原子序数是多少？",
        "在元素周期表里，{el}的符号是什么，原子序数是多少？",
        "化学小测：{el}的元素符号和原子序数？",
        "能提醒我一下{el}的元素符号和原子序数吗？",
    ],
}

ELEMENT_ANSWERS = {
    "en": [
        "The chemical symbol of {el} is {sym}, and its atomic number is {z}.",
        "{El} has the symbol {sym} and atomic number {z}.",
        "In the periodic table, {el} is written {sym}, and its atomic number is {z}.",
    ],
    "es": [
        "El símbolo químico {of} es {sym} y su número atómico es {z}.",
        "{El} tiene el símbolo {sym} y el número atómico {z}.",
        "En la tabla periódica, {el} se representa con {sym} y su número atómico es {z}.",
    ],
    "it": [
        "Il simbolo chimico {of} è {sym} e il suo numero atomico è {z}.",
        "{Art} ha simbolo {sym} e numero atomico {z}.",
        "Nella tavola periodica {art} si indica con {sym}, e il suo numero atomico è {z}.",
    ],
    "ko": [
        "{el}의 원소 기호는 {sym}, 원자 번호는 {z}번입니다.",
        "{el_top} 기호가 {sym}, 원자 번호가 {z}번인 원소예요.",
        "주기율표에서 {el}의 원소 기호는 {sym}입니다. 원자 번호는 {z}번이에요.",
    ],
    "zh": [
        "{el}的元素符号是{sym}，原子序数是{z}。",
        "{el}的符号为{sym}，原子序数为{z}。",
        "在元素周期表中，{el}用{sym}表示，原子序数是{z}。",
    ],
}


def _element_fields(e, lang: str) -> dict:
    en, es, it, ko, zh = e[3:]
    if lang == "en":
        return {"el": en, "El": cap(en)}
    if lang == "es":
        return {"el": es, "El": cap(es), "of": es_prep("de", es)}
    if lang == "it":
        art = it_from_di(it[1])
        return {"el": it[0], "of": it[1], "art": art, "Art": cap(art)}
    if lang == "ko":
        return {"el": ko, "el_top": josa(ko, "은/는")}
    return {"el": zh}


def sample_fact(rng, split):
    if rng.random() < 0.5:
        ci = pick(rng, COUNTRIES, split)
        wrong = ["capital"] + (["currency"] if COUNTRIES[ci].wrong_currency else [])
        return (
            "fact",
            "country",
            ci,
            pick(rng, COUNTRY_QUESTIONS["en"], split),
            rng.randrange(3),
            rng.choice(wrong),
            0,
        )
    ei = pick(rng, ELEMENTS, split)
    wrong = ["number"] + (["symbol"] if ELEMENTS[ei][2] else [])
    kind = rng.choice(wrong)
    delta = rng.choice((-2, -1, 1, 2)) if kind == "number" else 0
    return ("fact", "element", ei, pick(rng, ELEMENT_QUESTIONS["en"], split), rng.randrange(3), kind, delta)


def render_fact(spec, lang):
    _, family, index, frame, variant, wrong, delta = spec
    if family == "country":
        c = COUNTRIES[index]
        f = country_fields(c, lang)
        prompt = COUNTRY_QUESTIONS[lang][frame].format(**f)

        def answer(capital_field: str, currency_field: str) -> str:
            capital, currency = c.field(capital_field, lang), c.field(currency_field, lang)
            g = dict(f, cap=capital, Cap=cap(capital), cur=currency)
            if lang == "ko":
                g.update(
                    cap_subj=josa(capital, "이/가"),
                    cur_obj=josa(currency, "을/를"),
                    cur_cop=josa(currency, "이에요/예요"),
                )
            return COUNTRY_ANSWERS[lang][variant].format(**g)

        right = answer("capital", "currency")
        bad = (
            answer("wrong_capital", "currency") if wrong == "capital" else answer("capital", "wrong_currency")
        )
        return prompt, right, bad
    e = ELEMENTS[index]
    f = _element_fields(e, lang)
    prompt = ELEMENT_QUESTIONS[lang][frame].format(**f)
    template = ELEMENT_ANSWERS[lang][variant]
    right = template.format(**f, sym=e[0], z=e[1])
    bad = template.format(**f, sym=e[2] if wrong == "symbol" else e[0], z=e[1] + delta)
    return prompt, right, bad


# ==== hard-units =========================================================================================

# Unit names per language: (plural, singular, Spanish/Italian gender for "cuántos/cuántas"); metric units
# are written with their symbols in quantities, time units with words.
UNIT_NAMES = {
    "g": {"en": ("grams",), "es": ("gramos",), "it": ("grammi",), "ko": ("그램",), "zh": ("克",)},
    "kg": {"en": ("kilograms",), "es": ("kilos",), "it": ("chili",), "ko": ("킬로그램",), "zh": ("千克",)},
    "m": {"en": ("metres",), "es": ("metros",), "it": ("metri",), "ko": ("미터",), "zh": ("米",)},
    "km": {
        "en": ("kilometres",),
        "es": ("kilómetros",),
        "it": ("chilometri",),
        "ko": ("킬로미터",),
        "zh": ("千米",),
    },
    "cm": {
        "en": ("centimetres",),
        "es": ("centímetros",),
        "it": ("centimetri",),
        "ko": ("센티미터",),
        "zh": ("厘米",),
    },
    "mm": {
        "en": ("millimetres",),
        "es": ("milímetros",),
        "it": ("millimetri",),
        "ko": ("밀리미터",),
        "zh": ("毫米",),
    },
    "L": {"en": ("litres",), "es": ("litros",), "it": ("litri",), "ko": ("리터",), "zh": ("升",)},
    "mL": {
        "en": ("millilitres",),
        "es": ("mililitros",),
        "it": ("millilitri",),
        "ko": ("밀리리터",),
        "zh": ("毫升",),
    },
    "h": {
        "en": ("hours", "hour"),
        "es": ("horas", "hora", "f"),
        "it": ("ore", "ora", "f"),
        "ko": ("시간",),
        "zh": ("小时",),
    },
    "min": {
        "en": ("minutes", "minute"),
        "es": ("minutos", "minuto"),
        "it": ("minuti", "minuto"),
        "ko": ("분",),
        "zh": ("分钟",),
    },
    "s": {
        "en": ("seconds", "second"),
        "es": ("segundos", "segundo"),
        "it": ("secondi", "secondo"),
        "ko": ("초",),
        "zh": ("秒",),
    },
}
TIME_UNITS = frozenset({"h", "min", "s"})

# (from, to, factor, multiply?) — ``to = from * factor`` when multiply, else ``to = from / factor``.
CONVERSIONS = [
    ("kg", "g", 1000, True),
    ("km", "m", 1000, True),
    ("L", "mL", 1000, True),
    ("m", "cm", 100, True),
    ("h", "min", 60, True),
    ("g", "kg", 1000, False),
    ("cm", "mm", 10, True),
    ("mL", "L", 1000, False),
    ("min", "s", 60, True),
    ("m", "km", 1000, False),
    ("min", "h", 60, False),
    ("cm", "m", 100, False),
    ("mm", "cm", 10, False),
    ("s", "min", 60, False),
]

UNIT_QUESTIONS = {
    "en": [
        "How many {dst} are in {x}?",
        "Convert {x} to {dst}.",
        "What is {x} in {dst}?",
        "Quick conversion: how many {dst} is {x}?",
        "I've got a measurement of {x}. How much is that in {dst}?",
        "Can you turn {x} into {dst} for me?",
    ],
    "es": [
        "¿{Cuantos} {dst} son {x}?",
        "Convierte {x} a {dst}.",
        "¿Cuál es el equivalente de {x} en {dst}?",
        "Conversión rápida: pasa {x} a {dst}.",
        "Tengo una medida de {x}. ¿Cuánto es eso en {dst}?",
        "¿Me pasas {x} a {dst}?",
    ],
    "it": [
        "{Quanti} {dst} sono {x}?",
        "Converti {x} in {dst}.",
        "Quanto fa {x} in {dst}?",
        "Conversione veloce: trasforma {x} in {dst}.",
        "Ho una misura di {x}. Quanto fa in {dst}?",
        "Mi converti {x} in {dst}?",
    ],
    "ko": [
        "{x_top} 몇 {dst}인가요?",
        "{x_obj} {dst_ro} 바꿔 주세요.",
        "{x_top} {dst_ro} 얼마예요?",
        "단위 변환 좀 해 줘. {x_top} 몇 {dst_ya}?",
        "측정값이 {x}인데, {dst_ro} 하면 얼마인가요?",
        "{x_obj} {dst_ro} 환산해 줄래?",
    ],
    "zh": [
        "{x}等于多少{dst}？",
        "把{x}换算成{dst}。",
        "{x}是多少{dst}？",
        "快速换算一下：{x}合多少{dst}？",
        "我量出来是{x}，换成{dst}是多少？",
        "帮我把{x}转换成{dst}好吗？",
    ],
}

UNIT_ANSWERS = {
    "en": (
        "{x} = {y}. There are {f} {big_to_small} in 1 {one}, so {op} {xn} by {fn}.",
        {"mul": "multiply", "div": "divide"},
    ),
    "es": (
        "{x} = {y}. 1 {one} son {f} {big_to_small}, así que hay que {op} {xn} {by} {fn}.",
        {"mul": "multiplicar", "div": "dividir"},
    ),
    "it": (
        "{x} = {y}. In 1 {one} ci sono {f} {big_to_small}, quindi basta {op} {xn} per {fn}.",
        {"mul": "moltiplicare", "div": "dividere"},
    ),
    "ko": (
        "{x} = {y}입니다. 1{one_top} {f}{big_to_small}이므로 {ko_op}",
        {"mul": "{xn}에 {fn_obj} 곱하면 됩니다.", "div": "{xn_obj} {fn_ro} 나누면 됩니다."},
    ),
    "zh": (
        "{x} = {y}。因为1{one}等于{f}{big_to_small}，所以用{xn}{op}{fn}就可以了。",
        {"mul": "乘以", "div": "除以"},
    ),
}

_QUARTERS = [Decimal(k) / 4 for k in range(1, 49)]
_TENTHS = [Decimal(k) / 10 for k in range(1, 100) if k % 10]
_WHOLE = [Decimal(k) for k in range(2, 41)]


def quantity(value: Decimal, unit: str, lang: str) -> str:
    """``2.5 kg`` / ``2,5 kg`` / ``2.5kg``; time units in words: ``3.5 hours``, ``3,5 ore``, ``3.5시간``."""
    number = fmt_num(value, lang)
    if unit in TIME_UNITS:
        names = UNIT_NAMES[unit][lang]
        word = names[1] if value == 1 and len(names) > 1 else names[0]
        return f"{number}{word}" if lang in ("ko", "zh") else f"{number} {word}"
    return f"{number}{unit}" if lang in ("ko", "zh") else f"{number} {unit}"


def _unit_word(unit: str, lang: str, value: Decimal | None = None) -> str:
    """How a unit is named in running text: its symbol for metric units, its word for time units."""
    if unit in TIME_UNITS:
        names = UNIT_NAMES[unit][lang]
        return names[1] if value == 1 and len(names) > 1 else names[0]
    return unit


def sample_units(rng, split):
    ci = pick(rng, CONVERSIONS, split)
    src, dst, factor, multiply = CONVERSIONS[ci]
    v = rng.choice(_QUARTERS if TIME_UNITS & {src, dst} else _QUARTERS + _TENTHS + _WHOLE)
    x = v if multiply else v * factor  # the result is always v * factor (multiply) or v (divide)
    y = x * factor if multiply else x / factor
    if x == 1 or y == 1:
        return None  # keep every quantity plural, as the templates are
    if TIME_UNITS & {src, dst}:
        wrong = x * 100 if multiply else x / 100  # decimal-minutes slip: 1.5 h = 150 min, 90 min = 0.9 h
    else:
        wrong = y * 10 if rng.random() < 0.5 else y / 10
    if wrong == y:
        return None
    return ("units", ci, str(x), str(y), str(wrong), pick(rng, UNIT_QUESTIONS["en"], split), rng.randrange(2))


def _ko_reading(unit: str) -> str:
    """The Korean word a unit symbol is read as (for choosing particles)."""
    return UNIT_NAMES[unit]["ko"][0]


def render_units(spec, lang):
    _, ci, x, y, wrong, frame, _variant = spec
    src, dst, factor, multiply = CONVERSIONS[ci]
    x, y, wrong = Decimal(x), Decimal(y), Decimal(wrong)
    qx = quantity(x, src, lang)
    dst_names = UNIT_NAMES[dst][lang]
    f = {"x": qx, "dst": dst_names[0]}
    if lang in ("es", "it"):
        fem = len(dst_names) > 2 and dst_names[2] == "f"
        f["Cuantos"] = "Cuántas" if fem else "Cuántos"
        f["Quanti"] = "Quante" if fem else "Quanti"
    if lang == "ko":
        reading = _ko_reading(src) if src not in TIME_UNITS else qx
        top = josa(reading, "은/는")[len(reading) :]
        obj = josa(reading, "을/를")[len(reading) :]
        f.update(
            x_top=qx + top,
            x_obj=qx + obj,
            dst_ro=josa(dst_names[0], "으로/로"),
            dst_ya=dst_names[0] + ("이야" if josa(dst_names[0], "이/가").endswith("이") else "야"),
        )
    prompt = UNIT_QUESTIONS[lang][frame].format(**f)

    big, small = (src, dst) if multiply else (dst, src)
    template, ops = UNIT_ANSWERS[lang]
    xn, fn = fmt_num(x, lang), fmt_num(factor, lang)

    def answer(result: Decimal) -> str:
        g = {
            "x": qx,
            "y": quantity(result, dst, lang),
            "f": fmt_num(factor, lang),
            "big_to_small": _unit_word(small, lang),
            "one": _unit_word(big, lang, Decimal(1)),
            "xn": xn,
            "fn": fn,
            "op": ops["mul" if multiply else "div"],
            "by": "por" if multiply else "entre",
        }
        if lang == "ko":
            reading = _ko_reading(big)
            g["one_top"] = g["one"] + josa(reading, "은/는")[len(reading) :]
            g["ko_op"] = ops["mul" if multiply else "div"].format(
                xn=xn, fn_obj=josa(fn, "을/를"), xn_obj=josa(xn, "을/를"), fn_ro=josa(fn, "으로/로")
            )
        return template.format(**g)

    return prompt, answer(y), answer(wrong)


# ==== hard-format ========================================================================================

MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "es": [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
    "it": [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ],
}
YEARS = list(range(2000, 2036))


def natural_date(y: int, m: int, d: int, lang: str) -> str:
    if lang == "en":
        return f"{MONTHS['en'][m - 1]} {d}, {y}"
    if lang == "es":
        return f"{d} de {MONTHS['es'][m - 1]} de {y}"
    if lang == "it":
        return f"{'1º' if d == 1 else d} {MONTHS['it'][m - 1]} {y}"
    if lang == "ko":
        return f"{y}년 {m}월 {d}일"
    return f"{y}年{m}月{d}日"


DATE_QUESTIONS = {
    "en": [
        "Write the date {d} in YYYY-MM-DD format.",
        "Convert {d} to the ISO format YYYY-MM-DD.",
        "I need {d} written as YYYY-MM-DD for a form. What should I enter?",
        "Please rewrite {d} using the format YYYY-MM-DD.",
        "How do I write {d} in YYYY-MM-DD format?",
        "A system only accepts dates as YYYY-MM-DD. How should I type {d}?",
    ],
    "es": [
        "Escribe la fecha {d} en formato AAAA-MM-DD.",
        "Convierte {d} al formato ISO AAAA-MM-DD.",
        "Tengo que poner {d} en un formulario como AAAA-MM-DD. ¿Qué escribo?",
        "Reescribe {d} con el formato AAAA-MM-DD, por favor.",
        "¿Cómo se escribe {d} en formato AAAA-MM-DD?",
        "Un programa solo acepta fechas en formato AAAA-MM-DD. ¿Cómo tengo que escribir {d}?",
    ],
    "it": [
        "Scrivi la data {d} nel formato AAAA-MM-GG.",
        "Converti {d} nel formato ISO AAAA-MM-GG.",
        "Devo inserire {d} in un modulo come AAAA-MM-GG. Cosa scrivo?",
        "Riscrivi {d} usando il formato AAAA-MM-GG, per favore.",
        "Come si scrive {d} nel formato AAAA-MM-GG?",
        "Un programma accetta solo date nel formato AAAA-MM-GG. Come devo scrivere {d}?",
    ],
    "ko": [
        "{d_obj} YYYY-MM-DD 형식으로 써 주세요.",
        "{d_obj} ISO 형식(YYYY-MM-DD)으로 바꿔 주세요.",
        "서류에 {d_obj} YYYY-MM-DD 형식으로 적어야 해요. 어떻게 쓰면 되나요?",
        "{d_obj} YYYY-MM-DD 형식에 맞춰 다시 써 줘.",
        "{d_top} YYYY-MM-DD 형식으로 어떻게 쓰나요?",
        "시스템에 날짜를 YYYY-MM-DD 형식으로만 입력할 수 있어요. {d_obj} 어떻게 입력해야 하나요?",
    ],
    "zh": [
        "请把{d}写成YYYY-MM-DD格式。",
        "把{d}转换成ISO格式（YYYY-MM-DD）。",
        "表格里要按YYYY-MM-DD填写{d}，我该怎么填？",
        "请用YYYY-MM-DD格式重写{d}。",
        "{d}用YYYY-MM-DD格式怎么写？",
        "系统只接受YYYY-MM-DD格式的日期。{d}应该怎么输入？",
    ],
}

DATE_ANSWERS = {
    "en": ["In YYYY-MM-DD format, that's {iso}.", "You should write it as {iso}."],
    "es": ["En ese formato, la fecha queda así: {iso}.", "Tienes que escribirla así: {iso}."],
    "it": ["In quel formato, la data diventa {iso}.", "Devi scriverla così: {iso}."],
    "ko": ["요청하신 형식으로 쓰면 {iso}입니다.", "{iso_ro} 쓰시면 됩니다."],
    "zh": ["按这个格式写是{iso}。", "应该写成{iso}。"],
}

DATE_SLIPS = ("no_padding", "slashes", "day_month_swapped", "dots", "two_digit_year")


def _date_text(y: int, m: int, d: int, slip: str | None) -> str:
    if slip == "no_padding":
        return f"{y}-{m}-{d}"
    if slip == "slashes":
        return f"{y}/{m:02d}/{d:02d}"
    if slip == "day_month_swapped":
        return f"{y}-{d:02d}-{m:02d}"
    if slip == "dots":
        return f"{y}.{m:02d}.{d:02d}"
    if slip == "two_digit_year":
        return f"{y % 100:02d}-{m:02d}-{d:02d}"
    return f"{y}-{m:02d}-{d:02d}"


# JSON records: keys asked for, and what the nearly-right answer does.
JSON_KEYSETS = (("name", "age", "city"), ("name", "city"), ("name", "age"))
JSON_SLIPS = ("extra_key", "renamed_key", "trailing_comma", "single_quotes")
LOCAL_KEYS = {  # what a key turns into when the answer slips into the user's language
    "en": {"name": "Name", "age": "Age", "city": "City"},
    "es": {"name": "nombre", "age": "edad", "city": "ciudad"},
    "it": {"name": "nome", "age": "età", "city": "città"},
    "ko": {"name": "이름", "age": "나이", "city": "도시"},
    "zh": {"name": "姓名", "age": "年龄", "city": "城市"},
}

JSON_DESCRIPTIONS = {
    "en": "{n} is {age} years old and lives in {city}.",
    "es": "{n} tiene {age} años y vive en {city}.",
    "it": "{n} ha {age} anni e vive a {city}.",
    "ko": "{n_top} {age}살이고 {city}에 살아요.",
    "zh": "{n}今年{age}岁，住在{city}。",
}

JSON_QUESTIONS = {
    "en": [
        "Turn this into a JSON object with the keys {keys}: {desc}",
        "Give me only a JSON object with the keys {keys} for this person. {desc}",
        "Extract {keys} from the sentence below and return them as a JSON object with exactly those keys.\n\n{desc}",
        'Here\'s a sentence: "{desc}" Please convert it to JSON using the keys {keys}.',
        "I need JSON with the keys {keys}, nothing else. The data: {desc}",
        "Format this information as a JSON object whose keys are {keys}: {desc}",
    ],
    "es": [
        "Convierte esto en un objeto JSON con las claves {keys}: {desc}",
        "Dame solo un objeto JSON con las claves {keys} para esta persona. {desc}",
        "Extrae {keys} de la frase siguiente y devuélvelos en un objeto JSON con exactamente esas claves.\n\n"
        "{desc}",
        "Tengo esta frase: «{desc}» Pásala a JSON usando las claves {keys}.",
        "Necesito un JSON con las claves {keys}, nada más. Los datos: {desc}",
        "Da formato a esta información como un objeto JSON cuyas claves sean {keys}: {desc}",
    ],
    "it": [
        "Trasforma questo in un oggetto JSON con le chiavi {keys}: {desc}",
        "Dammi solo un oggetto JSON con le chiavi {keys} per questa persona. {desc}",
        "Estrai {keys} dalla frase seguente e restituiscili in un oggetto JSON con esattamente queste chiavi.\n\n"
        "{desc}",
        "Ecco una frase: «{desc}» Convertila in JSON usando le chiavi {keys}.",
        "Mi serve un JSON con le chiavi {keys}, nient'altro. I dati: {desc}",
        "Formatta queste informazioni come un oggetto JSON con le chiavi {keys}: {desc}",
    ],
    "ko": [
        "다음 내용을 {keys} 키를 가진 JSON 객체로 바꿔 주세요: {desc}",
        "이 사람 정보를 {keys} 키만 있는 JSON 객체로 만들어 줘. {desc}",
        "아래 문장에서 필요한 값을 뽑아 {keys} 키만 있는 JSON 객체로 돌려주세요.\n\n{desc}",
        "“{desc}”라는 문장을 {keys} 키를 써서 JSON으로 바꿔 줘.",
        "{keys} 키만 있는 JSON이 필요해요. 다른 건 필요 없어요. 데이터: {desc}",
        "이 정보를 키가 {keys}인 JSON 객체 형태로 정리해 주세요: {desc}",
    ],
    "zh": [
        "把下面的内容转换成包含{keys}这几个键的JSON对象：{desc}",
        "只给我一个带有{keys}键的JSON对象，描述的是这个人：{desc}",
        "从下面这句话中提取{keys}，并以只包含这些键的JSON对象返回。\n\n{desc}",
        "这句话是：“{desc}”请用{keys}作为键，把它转换成JSON。",
        "我需要一个只含{keys}键的JSON，别的都不要。数据：{desc}",
        "把这些信息整理成键为{keys}的JSON对象：{desc}",
    ],
}

JSON_LEADS = {
    "en": "Here is the JSON:",
    "es": "Aquí tienes el JSON:",
    "it": "Ecco il JSON:",
    "ko": "요청하신 JSON입니다:",
    "zh": "JSON如下：",
}


def _key_list(keys: tuple[str, ...], lang: str) -> str:
    quoted = [f'"{k}"' for k in keys]
    if lang == "ko":
        return ", ".join(quoted)
    if lang == "zh":
        return "、".join(quoted[:-1]) + "和" + quoted[-1]
    conj = {"en": "and", "es": "y", "it": "e"}[lang]
    return ", ".join(quoted[:-1]) + f" {conj} " + quoted[-1]


def _json_text(record: dict, slip: str | None) -> str:
    text = json.dumps(record, ensure_ascii=False)
    if slip == "trailing_comma":
        return text[:-1] + ",}"
    if slip == "single_quotes":
        return text.replace('"', "'")
    return text


SENTENCE_QUESTIONS = {
    "en": [
        "In one sentence, what is the capital {of}?",
        "Answer in a single sentence: which city is the capital {of}?",
        "What's the capital {of}? Keep it to one sentence.",
        "Using exactly one sentence, tell me the capital {of}.",
        "One sentence only, please: what is the capital {of}?",
        "Reply with just one sentence. What is the capital {of}?",
    ],
    "es": [
        "En una sola frase, ¿cuál es la capital {of}?",
        "Responde con una sola frase: ¿qué ciudad es la capital {of}?",
        "¿Cuál es la capital {of}? Contéstame en una frase.",
        "Dime en exactamente una frase cuál es la capital {of}.",
        "Solo una frase, por favor: ¿cuál es la capital {of}?",
        "Responde únicamente con una frase. ¿Cuál es la capital {of}?",
    ],
    "it": [
        "In una sola frase: qual è la capitale {of}?",
        "Rispondi con una sola frase: quale città è la capitale {of}?",
        "Qual è la capitale {of}? Rispondi in una frase.",
        "Dimmi in esattamente una frase qual è la capitale {of}.",
        "Una frase sola, per favore: qual è la capitale {of}?",
        "Rispondi soltanto con una frase. Qual è la capitale {of}?",
    ],
    "ko": [
        "한 문장으로 답해 주세요. {c}의 수도는 어디인가요?",
        "{c}의 수도가 어디인지 한 문장으로만 말해 줘.",
        "{c}의 수도는 어디예요? 딱 한 문장으로 답해 주세요.",
        "정확히 한 문장으로 {c}의 수도를 알려 주세요.",
        "한 문장만 부탁해요. {c}의 수도는 어디죠?",
        "한 문장으로만 대답해 줘. {c}의 수도가 어디야?",
    ],
    "zh": [
        "用一句话回答：{c}的首都是哪里？",
        "请只用一句话告诉我{c}的首都是哪座城市。",
        "{c}的首都是哪里？一句话回答就好。",
        "请用恰好一句话说明{c}的首都。",
        "只要一句话：{c}的首都是什么？",
        "只回答一句话。{c}的首都在哪里？",
    ],
}


def sample_format(rng, split):
    family = rng.choice(("date", "json", "sentence"))
    if family == "date":
        y = YEARS[pick(rng, YEARS, split)]
        m, d = rng.randint(1, 12), rng.randint(1, 28)
        slips = ["slashes", "dots", "two_digit_year"]
        if m < 10 or d < 10:
            slips.append("no_padding")
        if d <= 12 and d != m:
            slips.append("day_month_swapped")
        return (
            "format",
            "date",
            y,
            m,
            d,
            rng.choice(slips),
            pick(rng, DATE_QUESTIONS["en"], split),
            rng.randrange(2),
        )
    if family == "json":
        keys = rng.choice(JSON_KEYSETS)
        slips = [s for s in JSON_SLIPS if s != "extra_key" or len(keys) < 3]
        slip = rng.choice(slips)
        renamed = rng.randrange(len(keys)) if slip == "renamed_key" else 0
        return (
            "format",
            "json",
            pick(rng, PEOPLE, split),
            pick(rng, CITIES["en"], split),
            rng.randint(19, 79),
            keys,
            slip,
            pick(rng, JSON_QUESTIONS["en"], split),
            renamed,
        )
    ci = pick(rng, COUNTRIES, split)
    extras = [f for f in ("currency", "language", "continent") if getattr(COUNTRIES[ci], f) is not None]
    return (
        "format",
        "sentence",
        ci,
        rng.choice(extras),
        pick(rng, SENTENCE_QUESTIONS["en"], split),
        rng.randrange(2),
        rng.randrange(2),
    )


def render_format(spec, lang):
    family = spec[1]
    if family == "date":
        _, _, y, m, d, slip, frame, variant = spec
        nat = natural_date(y, m, d, lang)
        prompt = DATE_QUESTIONS[lang][frame].format(d=nat, d_obj=josa(nat, "을/를"), d_top=josa(nat, "은/는"))

        def answer(text: str) -> str:
            return DATE_ANSWERS[lang][variant].format(iso=text, iso_ro=josa(text, "으로/로"))

        return prompt, answer(_date_text(y, m, d, None)), answer(_date_text(y, m, d, slip))
    if family == "json":
        _, _, who, city, age, keys, slip, frame, renamed = spec
        name = person(who, lang, lang)
        city_name = CITIES[lang][city]
        desc = JSON_DESCRIPTIONS[lang].format(n=name, n_top=josa(name, "은/는"), age=age, city=city_name)
        prompt = JSON_QUESTIONS[lang][frame].format(keys=_key_list(keys, lang), desc=desc)
        values = {"name": name, "age": age, "city": city_name}
        right = {k: values[k] for k in keys}
        if slip == "extra_key":
            bad = _json_text({k: values[k] for k in ("name", "age", "city")}, None)
        elif slip == "renamed_key":
            bad = _json_text(
                {(LOCAL_KEYS[lang][k] if i == renamed else k): values[k] for i, k in enumerate(keys)}, None
            )
        else:
            bad = _json_text(right, slip)

        def answer(text: str) -> str:
            return f"{JSON_LEADS[lang]}\n\n```json\n{text}\n```"

        return prompt, answer(_json_text(right, None)), answer(bad)
    _, _, ci, extra, frame, v_main, v_extra = spec
    c = COUNTRIES[ci]
    prompt = SENTENCE_QUESTIONS[lang][frame].format(**country_fields(c, lang))
    main = fact_sentence("capital", v_main, c, lang)
    more = fact_sentence(extra, v_extra, c, lang)
    return prompt, main, main + ("" if lang == "zh" else " ") + more


SUBSETS = [
    Subset(
        "hard-fact",
        "chat_hard",
        "fact",
        sample_fact,
        render_fact,
        "a correct two-fact answer vs the same answer with one fact wrong",
    ),
    Subset(
        "hard-units",
        "chat_hard",
        "units",
        sample_units,
        render_units,
        "a correct unit conversion vs one off by a factor",
    ),
    Subset(
        "hard-format",
        "chat_hard",
        "format",
        sample_format,
        render_format,
        "a requested format followed vs nearly followed",
    ),
]
