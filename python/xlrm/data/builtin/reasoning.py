"""reasoning: answers whose correctness can be recomputed.

- ``math-arith``: a two-step word problem with a short worked solution; the rejected solution makes one
  plausible wrong step (a slip in one calculation, or the wrong operation) and carries it through.
- ``code-python``: a small Python function and what one call returns; the rejected answer has a buggy
  function (an off-by-one, a forgotten case) and reports either what the buggy code returns or the
  value the correct code would return.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass

from xlrm.data.builtin.core import Subset, pick
from xlrm.data.builtin.lexicon import PEOPLE, fmt_num, gender, gendered, josa, person

# ==== math-arith =========================================================================================

OPS = {"+": lambda a, b: a + b, "−": lambda a, b: a - b, "×": lambda a, b: a * b, "÷": lambda a, b: a / b}


@dataclass(frozen=True)
class Family:
    """A word-problem family: how to draw its numbers, the two solution steps (operands are number names or
    literals), and per language (problem text, the two step labels, the unit of the answer)."""

    key: str
    draw: Callable
    steps: tuple
    text: dict


def _draw_pages(rng):
    r, d = rng.randint(8, 30), rng.randint(3, 9)
    return {"P": (r * d // 10 + rng.randint(2, 30)) * 10, "r": r, "d": d}


def _draw_boxes(rng):
    k, m = rng.randint(3, 12), rng.randint(6, 24)
    return {"k": k, "m": m, "g": rng.randint(5, k * m - 5)}


def _draw_stickers(rng):
    return {"a": rng.randint(10, 90), "c": rng.randint(3, 15), "w": rng.randint(2, 10)}


def _draw_share(rng):
    k, q, r = rng.randint(3, 8), rng.randint(3, 15), rng.randint(2, 10)
    return {"T": k * q + r, "r": r, "k": k}


def _draw_running(rng):
    return {"x": rng.randint(3, 12), "d": rng.randint(3, 7), "y": rng.randint(10, 25)}


def _draw_seats(rng):
    r, s = rng.randint(5, 20), rng.randint(8, 25)
    return {"r": r, "s": s, "p": rng.randint(10, r * s - 3)}


def _draw_groups(rng):
    g, n = rng.randint(3, 8), rng.randint(4, 12)
    return {"P": g * n, "g": g, "h": rng.randint(2, 9)}


def _draw_garden(rng):
    return {"l": rng.randint(3, 15), "w": rng.randint(2, 10), "s": rng.randint(2, 6)}


def _draw_age(rng):
    return {"a": rng.randint(6, 40), "b": rng.randint(2, 30), "y": rng.randint(2, 15)}


def _draw_tank(rng):
    r, t = rng.randint(2, 12), rng.randint(3, 20)
    f = rng.randint(1, 10) * 10
    return {"C": f + r * t, "f": f, "r": r}


def _draw_piano(rng):
    m = rng.choice((15, 20, 30, 40, 45, 50, 75, 90))
    d = rng.choice([d for d in range(2, 15) if m * d % 60 == 0])
    return {"m": m, "d": d}


def _draw_bus(rng):
    p = rng.randint(15, 60)
    return {"p": p, "a": rng.randint(2, p - 5), "b": rng.randint(2, 20)}


def _draw_cookies(rng):
    t, c = rng.randint(2, 8), rng.randint(6, 20)
    sizes = [b for b in range(3, 13) if t * c % b == 0 and b != c]
    return {"t": t, "c": c, "b": rng.choice(sizes)} if sizes else None


FAMILIES = [
    Family(
        "pages",
        _draw_pages,
        (("r", "×", "d", "x"), ("P", "−", "x", "y")),
        {
            "en": (
                "{N} is reading a book with {P} pages. {She} reads {r} pages every day. How many pages does {she} "
                "still have to read after {d} days?",
                ("Pages read in {d} days", "Pages left"),
                "pages",
            ),
            "es": (
                "{N} está leyendo un libro de {P} páginas. Lee {r} páginas cada día. ¿Cuántas páginas le quedan por "
                "leer después de {d} días?",
                ("Páginas leídas en {d} días", "Páginas que quedan"),
                "páginas",
            ),
            "it": (
                "{N} sta leggendo un libro di {P} pagine. Ogni giorno ne legge {r}. Quante pagine {gli} restano da "
                "leggere dopo {d} giorni?",
                ("Pagine lette in {d} giorni", "Pagine rimaste"),
                "pagine",
            ),
            "ko": (
                "{N_top} {P}쪽짜리 책을 읽고 있습니다. 하루에 {r}쪽씩 읽는다면, {d}일 뒤에 남은 쪽수는 몇 쪽일까요?",
                ("{d}일 동안 읽은 쪽수", "남은 쪽수"),
                "쪽",
            ),
            "zh": (
                "{N}在读一本{P}页的书，每天读{r}页。{d}天后还剩多少页没读？",
                ("{d}天读的页数", "剩下的页数"),
                "页",
            ),
        },
    ),
    Family(
        "boxes",
        _draw_boxes,
        (("k", "×", "m", "t"), ("t", "−", "g", "y")),
        {
            "en": (
                "{N} buys {k} boxes of pencils with {m} pencils in each box. {She} gives {g} pencils to {her} "
                "classmates. How many pencils does {she} have left?",
                ("Pencils bought", "Pencils left"),
                "pencils",
            ),
            "es": (
                "{N} compra {k} cajas de lápices con {m} lápices cada una. Reparte {g} lápices entre sus compañeros "
                "de clase. ¿Cuántos lápices le quedan?",
                ("Lápices comprados", "Lápices que le quedan"),
                "lápices",
            ),
            "it": (
                "{N} compra {k} scatole di matite, ognuna con {m} matite. Ne regala {g} ai compagni di classe. "
                "Quante matite {gli} restano?",
                ("Matite comprate", "Matite rimaste"),
                "matite",
            ),
            "ko": (
                "{N_top} 연필이 {m}자루씩 든 상자를 {k}상자 샀습니다. 그중 {g}자루를 반 친구들에게 나눠 주었다면, 남은 "
                "연필은 몇 자루일까요?",
                ("산 연필 수", "남은 연필 수"),
                "자루",
            ),
            "zh": (
                "{N}买了{k}盒铅笔，每盒{m}支。{pron}送给同学{g}支，还剩多少支铅笔？",
                ("买的铅笔总数", "剩下的铅笔"),
                "支",
            ),
        },
    ),
    Family(
        "share",
        _draw_share,
        (("T", "−", "r", "s"), ("s", "÷", "k", "q")),
        {
            "en": (
                "{N} has {T} sweets. {She} keeps {r} for {herself} and shares the rest equally among {k} friends. "
                "How many sweets does each friend get?",
                ("Sweets to share", "Sweets per friend"),
                "sweets",
            ),
            "es": (
                "{N} tiene {T} caramelos. Se queda con {r} y reparte el resto a partes iguales entre {k} amigos. "
                "¿Cuántos caramelos recibe cada amigo?",
                ("Caramelos para repartir", "Caramelos por amigo"),
                "caramelos",
            ),
            "it": (
                "{N} ha {T} caramelle. Ne tiene {r} per sé e divide le altre in parti uguali tra {k} amici. Quante "
                "caramelle riceve ciascun amico?",
                ("Caramelle da dividere", "Caramelle per amico"),
                "caramelle",
            ),
            "ko": (
                "{N}에게 사탕이 {T}개 있습니다. {r}개는 자기가 먹으려고 남겨 두고, 나머지를 친구 {k}명에게 똑같이 나누어 "
                "주었습니다. 친구 한 명이 받은 사탕은 몇 개일까요?",
                ("나누어 줄 사탕", "한 명이 받은 사탕"),
                "개",
            ),
            "zh": (
                "{N}有{T}颗糖，自己留下{r}颗，剩下的平均分给{k}个朋友。每个朋友能分到几颗？",
                ("要分的糖", "每个朋友分到的糖"),
                "颗",
            ),
        },
    ),
    Family(
        "running",
        _draw_running,
        (("x", "×", "d", "a"), ("a", "+", "y", "z")),
        {
            "en": (
                "{N} runs {x} km every day for {d} days and then does one long run of {y} km. How many kilometres "
                "does {she} run in total?",
                ("Daily runs", "Total"),
                "km",
            ),
            "es": (
                "{N} corre {x} km al día durante {d} días y después hace una tirada larga de {y} km. ¿Cuántos "
                "kilómetros corre en total?",
                ("Carreras diarias", "Total"),
                "km",
            ),
            "it": (
                "{N} corre {x} km al giorno per {d} giorni e poi fa un lungo di {y} km. Quanti chilometri corre in "
                "tutto?",
                ("Corse giornaliere", "Totale"),
                "km",
            ),
            "ko": (
                "{N_top} {d}일 동안 매일 {x}km씩 달리고, 그다음 날 {y}km를 한 번에 달렸습니다. 모두 몇 km를 "
                "달렸을까요?",
                ("매일 달린 거리", "전체 거리"),
                "km",
            ),
            "zh": (
                "{N}连续{d}天每天跑{x}公里，之后又跑了一次{y}公里的长距离。{pron}一共跑了多少公里？",
                ("每天跑的总距离", "总距离"),
                "公里",
            ),
        },
    ),
    Family(
        "stickers",
        _draw_stickers,
        (("c", "×", "w", "n"), ("a", "+", "n", "z")),
        {
            "en": (
                "{N} has {a} stickers and gets {c} new ones every week. How many stickers will {she} have after {w} "
                "weeks?",
                ("New stickers in {w} weeks", "Total"),
                "stickers",
            ),
            "es": (
                "{N} tiene {a} pegatinas y cada semana consigue {c} nuevas. ¿Cuántas pegatinas tendrá dentro de {w} "
                "semanas?",
                ("Pegatinas nuevas en {w} semanas", "Total"),
                "pegatinas",
            ),
            "it": (
                "{N} ha {a} adesivi e ogni settimana ne riceve {c} nuovi. Quanti adesivi avrà tra {w} settimane?",
                ("Adesivi nuovi in {w} settimane", "Totale"),
                "adesivi",
            ),
            "ko": (
                "{N}에게는 스티커가 {a}장 있고, 매주 새 스티커를 {c}장씩 받습니다. {w}주 뒤에는 스티커가 모두 몇 장이 "
                "될까요?",
                ("{w}주 동안 받은 스티커", "전체 스티커"),
                "장",
            ),
            "zh": (
                "{N}有{a}张贴纸，每周又能得到{c}张新的。{w}周后{pron}一共有多少张贴纸？",
                ("{w}周得到的新贴纸", "总数"),
                "张",
            ),
        },
    ),
    Family(
        "seats",
        _draw_seats,
        (("r", "×", "s", "c"), ("c", "−", "p", "e")),
        {
            "en": (
                "A hall has {r} rows of {s} chairs. {p} people come to a concert. How many chairs are still empty?",
                ("Chairs in total", "Empty chairs"),
                "chairs",
            ),
            "es": (
                "Un salón tiene {r} filas de {s} sillas. Al concierto van {p} personas. ¿Cuántas sillas quedan "
                "vacías?",
                ("Sillas en total", "Sillas vacías"),
                "sillas",
            ),
            "it": (
                "Una sala ha {r} file da {s} sedie. Al concerto arrivano {p} persone. Quante sedie restano libere?",
                ("Sedie in totale", "Sedie libere"),
                "sedie",
            ),
            "ko": (
                "강당에 의자가 한 줄에 {s}개씩 {r}줄 있습니다. 음악회에 {p}명이 왔다면 빈 의자는 몇 개일까요?",
                ("전체 의자 수", "빈 의자 수"),
                "개",
            ),
            "zh": (
                "礼堂里有{r}排椅子，每排{s}把。来听音乐会的有{p}人，还有多少把椅子空着？",
                ("椅子总数", "空椅子"),
                "把",
            ),
        },
    ),
    Family(
        "groups",
        _draw_groups,
        (("P", "÷", "g", "n"), ("n", "×", "h", "t")),
        {
            "en": (
                "A teacher splits {P} students into groups of {g}. Each group gets {h} sheets of paper. How many "
                "sheets does the teacher hand out?",
                ("Number of groups", "Sheets handed out"),
                "sheets",
            ),
            "es": (
                "Una profesora reparte a {P} alumnos en grupos de {g}. Cada grupo recibe {h} hojas de papel. "
                "¿Cuántas hojas reparte en total?",
                ("Número de grupos", "Hojas repartidas"),
                "hojas",
            ),
            "it": (
                "Un'insegnante divide {P} studenti in gruppi da {g}. Ogni gruppo riceve {h} fogli. Quanti fogli "
                "distribuisce in tutto?",
                ("Numero di gruppi", "Fogli distribuiti"),
                "fogli",
            ),
            "ko": (
                "선생님이 학생 {P}명을 {g}명씩 모둠으로 나누고, 모둠마다 종이를 {h}장씩 나누어 주었습니다. 선생님이 나누어 "
                "준 종이는 모두 몇 장일까요?",
                ("모둠 수", "나누어 준 종이"),
                "장",
            ),
            "zh": (
                "老师把{P}名学生分成每组{g}人的小组，每组发{h}张纸。老师一共发了多少张纸？",
                ("小组数", "发出的纸"),
                "张",
            ),
        },
    ),
    Family(
        "garden",
        _draw_garden,
        (("l", "×", "w", "A"), ("A", "×", "s", "F")),
        {
            "en": (
                "{N}'s garden is {l} m long and {w} m wide. {She} wants to plant {s} flowers in every square metre. "
                "How many flowers does {she} need?",
                ("Area of the garden", "Flowers needed"),
                "flowers",
            ),
            "es": (
                "El jardín de {N} mide {l} m de largo y {w} m de ancho. Quiere plantar {s} flores en cada metro "
                "cuadrado. ¿Cuántas flores necesita?",
                ("Superficie del jardín", "Flores necesarias"),
                "flores",
            ),
            "it": (
                "Il giardino di {N} è lungo {l} m e largo {w} m. Vuole piantare {s} fiori per ogni metro quadrato. "
                "Quanti fiori {gli} servono?",
                ("Area del giardino", "Fiori necessari"),
                "fiori",
            ),
            "ko": (
                "{N}네 정원은 가로 {l}m, 세로 {w}m입니다. 제곱미터당 꽃을 {s}송이씩 심으려면 꽃이 모두 몇 송이 "
                "필요할까요?",
                ("정원의 넓이", "필요한 꽃"),
                "송이",
            ),
            "zh": (
                "{N}家的花园长{l}米、宽{w}米，{pron}想每平方米种{s}朵花。一共需要多少朵花？",
                ("花园面积", "需要的花"),
                "朵",
            ),
        },
    ),
    Family(
        "age",
        _draw_age,
        (("a", "+", "b", "c"), ("c", "+", "y", "t")),
        {
            "en": (
                "{N} is {a} years old. {Her} cousin is {b} years older. How old will the cousin be in {y} years?",
                ("The cousin's age now", "The cousin's age in {y} years"),
                "years old",
            ),
            "es": (
                "{N} tiene {a} años. Su primo es {b} años mayor. ¿Cuántos años tendrá su primo dentro de {y} años?",
                ("Edad actual del primo", "Edad del primo dentro de {y} años"),
                "años",
            ),
            "it": (
                "{N} ha {a} anni. Suo cugino ha {b} anni più di {lui}. Quanti anni avrà il cugino tra {y} anni?",
                ("Età attuale del cugino", "Età del cugino tra {y} anni"),
                "anni",
            ),
            "ko": (
                "{N_top} {a}살이고, 사촌은 {N}보다 {b}살 많습니다. {y}년 뒤에 사촌은 몇 살이 될까요?",
                ("지금 사촌의 나이", "{y}년 뒤 사촌의 나이"),
                "살",
            ),
            "zh": (
                "{N}今年{a}岁，{pron}的表哥比{pron}大{b}岁。{y}年后表哥多少岁？",
                ("表哥现在的年龄", "{y}年后表哥的年龄"),
                "岁",
            ),
        },
    ),
    Family(
        "tank",
        _draw_tank,
        (("C", "−", "f", "D"), ("D", "÷", "r", "t")),
        {
            "en": (
                "A water tank holds {C} litres and already contains {f} litres. A tap adds {r} litres per minute. "
                "How many minutes will it take to fill the tank?",
                ("Litres still needed", "Minutes"),
                "minutes",
            ),
            "es": (
                "Un depósito de agua tiene capacidad para {C} litros y ya contiene {f} litros. Un grifo añade {r} "
                "litros por minuto. ¿Cuántos minutos tardará en llenarse?",
                ("Litros que faltan", "Minutos"),
                "minutos",
            ),
            "it": (
                "Un serbatoio d'acqua contiene al massimo {C} litri e ne ha già {f}. Un rubinetto aggiunge {r} litri "
                "al minuto. Quanti minuti ci vogliono per riempirlo?",
                ("Litri mancanti", "Minuti"),
                "minuti",
            ),
            "ko": (
                "{C}리터들이 물탱크에 물이 이미 {f}리터 들어 있습니다. 수도꼭지에서 분당 {r}리터씩 물이 나온다면, 탱크를 "
                "가득 채우는 데 몇 분이 걸릴까요?",
                ("더 필요한 물의 양", "걸리는 시간"),
                "분",
            ),
            "zh": (
                "一个水箱能装{C}升水，里面已经有{f}升。水龙头每分钟注入{r}升，还要多少分钟才能装满？",
                ("还需要的水量", "所需时间"),
                "分钟",
            ),
        },
    ),
    Family(
        "piano",
        _draw_piano,
        (("m", "×", "d", "M"), ("M", "÷", 60, "H")),
        {
            "en": (
                "{N} practises the piano for {m} minutes a day. How many hours does {she} practise in {d} days?",
                ("Minutes in total", "Hours"),
                "hours",
            ),
            "es": (
                "{N} practica piano {m} minutos al día. ¿Cuántas horas practica en {d} días?",
                ("Minutos en total", "Horas"),
                "horas",
            ),
            "it": (
                "{N} si esercita al pianoforte {m} minuti al giorno. Quante ore si esercita in {d} giorni?",
                ("Minuti in totale", "Ore"),
                "ore",
            ),
            "ko": (
                "{N_top} 매일 {m}분씩 피아노를 연습합니다. {d}일 동안 연습한 시간은 모두 몇 시간일까요?",
                ("전체 연습 시간(분)", "시간으로 바꾸기"),
                "시간",
            ),
            "zh": ("{N}每天练{m}分钟钢琴，{d}天一共练了多少小时？", ("总分钟数", "换算成小时"), "小时"),
        },
    ),
    Family(
        "bus",
        _draw_bus,
        (("p", "−", "a", "x"), ("x", "+", "b", "z")),
        {
            "en": (
                "A bus leaves the station with {p} passengers. At the first stop, {a} people get off and {b} get on. "
                "How many passengers are on the bus now?",
                ("After people get off", "After people get on"),
                "passengers",
            ),
            "es": (
                "Un autobús sale de la estación con {p} pasajeros. En la primera parada se bajan {a} personas y "
                "suben {b}. ¿Cuántos pasajeros lleva ahora?",
                ("Después de que se bajen", "Después de que suban"),
                "pasajeros",
            ),
            "it": (
                "Un autobus parte dal capolinea con {p} passeggeri. Alla prima fermata scendono {a} persone e ne "
                "salgono {b}. Quanti passeggeri ci sono ora sull'autobus?",
                ("Dopo la discesa", "Dopo la salita"),
                "passeggeri",
            ),
            "ko": (
                "버스가 승객 {p}명을 태우고 출발했습니다. 첫 번째 정류장에서 {a}명이 내리고 {b}명이 탔습니다. 지금 버스에 "
                "탄 승객은 몇 명일까요?",
                ("내린 뒤 승객 수", "탄 뒤 승객 수"),
                "명",
            ),
            "zh": (
                "一辆公交车载着{p}名乘客出发，到第一站下去{a}人，又上来{b}人。现在车上有多少名乘客？",
                ("下车后的人数", "上车后的人数"),
                "人",
            ),
        },
    ),
    Family(
        "cookies",
        _draw_cookies,
        (("t", "×", "c", "n"), ("n", "÷", "b", "k")),
        {
            "en": (
                "{N} bakes {t} trays of cookies with {c} cookies on each tray. {She} packs them into bags of {b}. "
                "How many bags does {she} fill?",
                ("Cookies baked", "Bags filled"),
                "bags",
            ),
            "es": (
                "{N} hornea {t} bandejas de galletas con {c} galletas en cada una. Las mete en bolsas de {b}. "
                "¿Cuántas bolsas llena?",
                ("Galletas horneadas", "Bolsas llenas"),
                "bolsas",
            ),
            "it": (
                "{N} inforna {t} teglie di biscotti con {c} biscotti ciascuna. Li mette in sacchetti da {b}. Quanti "
                "sacchetti riempie?",
                ("Biscotti sfornati", "Sacchetti riempiti"),
                "sacchetti",
            ),
            "ko": (
                "{N_top} 한 판에 {c}개씩 쿠키를 {t}판 구웠습니다. 쿠키를 {b}개씩 봉지에 담으면 모두 몇 봉지가 될까요?",
                ("구운 쿠키 수", "봉지 수"),
                "봉지",
            ),
            "zh": (
                "{N}烤了{t}盘饼干，每盘{c}块。{pron}把饼干按每袋{b}块装袋，能装满多少袋？",
                ("饼干总数", "装的袋数"),
                "袋",
            ),
        },
    ),
]

SOLUTION_INTROS = {
    "en": ["", "Let's work it out step by step.", "Here's the calculation:"],
    "es": ["", "Vamos a resolverlo paso a paso.", "Este es el cálculo:"],
    "it": ["", "Risolviamolo passo per passo.", "Ecco il calcolo:"],
    "ko": ["", "단계별로 풀어 볼게요.", "계산 과정은 다음과 같습니다."],
    "zh": ["", "我们一步一步来算。", "计算过程如下："],
}
ANSWER_LINE = {
    "en": "Answer: {v} {u}.",
    "es": "Respuesta: {v} {u}.",
    "it": "Risposta: {v} {u}.",
    "ko": "답: {v}{u}",
    "zh": "答案：{v}{u}",
}
STEP_LINE = {
    "en": "{label}: {eq}.",
    "es": "{label}: {eq}.",
    "it": "{label}: {eq}.",
    "ko": "{label}: {eq}",
    "zh": "{label}：{eq}",
}


def _solve(family: Family, nums: dict, error: tuple | None):
    """The solution as [(a, op, b, shown_result)] and the final value. ``error`` is (step, "slip", delta):
    the shown result of that step is off by delta and later steps use it; or (step, "op", new_op): that
    step uses the wrong operation (correctly computed). Returns None when the mistake does not give a
    positive whole number."""
    values = dict(nums)
    lines = []
    for i, (a, op, b, out) in enumerate(family.steps):
        av = values[a] if isinstance(a, str) else a
        bv = values[b] if isinstance(b, str) else b
        if error and error[0] == i and error[1] == "op":
            op = error[2]
        result = OPS[op](av, bv)
        if error and error[0] == i and error[1] == "slip":
            result += error[2]
        if result != int(result) or result <= 0:
            return None
        values[out] = int(result)
        lines.append((av, op, bv, int(result)))
    return lines, lines[-1][3]


def sample_arith(rng, split):
    fi = pick(rng, FAMILIES, split)
    family = FAMILIES[fi]
    nums = family.draw(rng)
    if nums is None or _solve(family, nums, None) is None:
        return None
    step = rng.randrange(len(family.steps))
    op = family.steps[step][1]
    if op in "+−" and rng.random() < 0.4:
        error = (step, "op", "+" if op == "−" else "−")
    elif op == "×" and rng.random() < 0.25:
        error = (step, "op", "+")
    else:
        error = (step, "slip", rng.choice((-10, -2, -1, 1, 2, 10)))
    right, wrong = _solve(family, nums, None), _solve(family, nums, error)
    if wrong is None or wrong[1] == right[1] or 1 in (wrong[1], right[1]):
        return None  # (an answer of 1 would not agree with the plural unit)
    return (
        "arith",
        fi,
        pick(rng, PEOPLE, split),
        tuple(sorted(nums.items())),
        error,
        rng.randrange(len(SOLUTION_INTROS["en"])),
    )


def _person_fields(who: int, lang: str) -> dict:
    name = person(who, lang, lang)
    g = gender(who)
    return {
        "N": name,
        "N_top": josa(name, "은/는"),
        "She": gendered(g, "He", "She"),
        "she": gendered(g, "he", "she"),
        "her": gendered(g, "his", "her"),
        "Her": gendered(g, "His", "Her"),
        "herself": gendered(g, "himself", "herself"),
        "gli": gendered(g, "gli", "le"),
        "lui": gendered(g, "lui", "lei"),
        "pron": gendered(g, "他", "她"),
    }


def render_arith(spec, lang):
    _, fi, who, nums, error, intro = spec
    family = FAMILIES[fi]
    nums = dict(nums)
    shown = {k: fmt_num(v, lang) for k, v in nums.items()}
    problem, labels, unit = family.text[lang]
    prompt = problem.format(**_person_fields(who, lang), **shown)

    def solution(err) -> str:
        lines, final = _solve(family, nums, err)
        out = [SOLUTION_INTROS[lang][intro]] if SOLUTION_INTROS[lang][intro] else []
        for label, (a, op, b, r) in zip(labels, lines, strict=True):
            eq = f"{fmt_num(a, lang)} {op} {fmt_num(b, lang)} = {fmt_num(r, lang)}"
            out.append(STEP_LINE[lang].format(label=label.format(**shown), eq=eq))
        out.append(ANSWER_LINE[lang].format(v=fmt_num(final, lang), u=unit))
        return "\n".join(out)

    return prompt, solution(None), solution(error)


# ==== code-python ========================================================================================

SAFE_BUILTINS = {
    "range": range,
    "len": len,
    "sum": sum,
    "sorted": sorted,
    "set": set,
    "list": list,
    "enumerate": enumerate,
}


@dataclass(frozen=True)
class CodeTask:
    name: str
    params: str
    desc: dict
    code: str
    bugs: tuple
    inputs: Callable  # rng -> tuple of arguments

    def run(self, source: str, args: tuple):
        namespace = {"__builtins__": SAFE_BUILTINS}
        exec(compile(source, f"<{self.name}>", "exec"), namespace)  # our own fixed snippets only
        return namespace[self.name](*args)


_PHRASES = [
    "the cat sat on the mat",
    "good morning to you",
    "keep it simple",
    "see you later",
    "time flies when you have fun",
    "the river runs to the sea",
    "a bright and quiet morning",
    "every step counts",
    "slow and steady wins the race",
    "home is where the heart is",
    "the train leaves at noon",
    "practice makes perfect",
    "one small step",
    "read the map first",
    "the old dog sleeps all day",
    "walk before you run",
    "better late than never",
    "the sky is clear tonight",
    "fresh bread every morning",
    "we meet again at last",
]
_VOWEL_TEXTS = [
    "Ice Cream",
    "Orange Juice",
    "Apple Pie",
    "Open Air",
    "Echo Park",
    "Umbrella Stand",
    "Avocado Toast",
    "Ocean View",
    "Island Tour",
    "Easy Answer",
    "Autumn Evening",
    "Under One Roof",
    "Art Exhibit",
    "Eagle Eye",
    "Oak Avenue",
    "Indigo Ink",
]
_PALINDROMES = [
    "Level",
    "Racecar",
    "Noon",
    "Kayak",
    "Madam",
    "Refer",
    "Rotor",
    "Civic",
    "Radar",
    "Stats",
    "Anna",
    "Otto",
    "Hannah",
    "Reviver",
    "Deified",
    "Solos",
]

CODE_TASKS = [
    CodeTask(
        "sum_even",
        "nums",
        {
            "en": "returns the sum of the even numbers in a list",
            "es": "devuelva la suma de los números pares de una lista",
            "it": "restituisca la somma dei numeri pari di una lista",
            "ko": "리스트에 있는 짝수의 합을 반환하는",
            "zh": "返回列表中所有偶数的和",
        },
        "def sum_even(nums):\n    total = 0\n    for n in nums:\n        if n % 2 == 0:\n            total += n\n"
        "    return total",
        (
            "def sum_even(nums):\n    total = 0\n    for n in nums:\n        if n % 2 == 1:\n            total += n\n"
            "    return total",
            "def sum_even(nums):\n    total = 0\n    for n in nums:\n        if n % 2 == 0:\n            total = n\n"
            "    return total",
        ),
        lambda rng: ([rng.randint(1, 30) for _ in range(rng.randint(5, 7))],),
    ),
    CodeTask(
        "count_vowels",
        "text",
        {
            "en": "counts the vowels (a, e, i, o, u) in a string, ignoring case",
            "es": "cuente las vocales (a, e, i, o, u) de una cadena sin distinguir mayúsculas y minúsculas",
            "it": "conti le vocali (a, e, i, o, u) in una stringa, senza distinguere tra maiuscole e minuscole",
            "ko": "대소문자를 구분하지 않고 문자열에 들어 있는 모음(a, e, i, o, u)의 개수를 세는",
            "zh": "统计字符串中元音字母（a、e、i、o、u）的个数，不区分大小写",
        },
        'def count_vowels(text):\n    count = 0\n    for ch in text.lower():\n        if ch in "aeiou":\n'
        "            count += 1\n    return count",
        (
            'def count_vowels(text):\n    count = 0\n    for ch in text:\n        if ch in "aeiou":\n'
            "            count += 1\n    return count",
        ),
        lambda rng: (rng.choice(_VOWEL_TEXTS),),
    ),
    CodeTask(
        "largest",
        "nums",
        {
            "en": "returns the largest number in a list without using max()",
            "es": "devuelva el número más grande de una lista sin usar max()",
            "it": "restituisca il numero più grande di una lista senza usare max()",
            "ko": "max()를 쓰지 않고 리스트에서 가장 큰 수를 반환하는",
            "zh": "不使用max()，返回列表中最大的数",
        },
        "def largest(nums):\n    best = nums[0]\n    for n in nums[1:]:\n        if n > best:\n            best = n\n"
        "    return best",
        (
            "def largest(nums):\n    best = 0\n    for n in nums:\n        if n > best:\n            best = n\n"
            "    return best",
            "def largest(nums):\n    best = nums[0]\n    for n in nums[1:]:\n        if n < best:\n            best = n\n"
            "    return best",
        ),
        lambda rng: (
            [
                rng.randint(-40, -1) if rng.random() < 0.6 else rng.randint(-40, 40)
                for _ in range(rng.randint(4, 6))
            ],
        ),
    ),
    CodeTask(
        "factorial",
        "n",
        {
            "en": "returns the factorial of a non-negative integer n",
            "es": "devuelva el factorial de un entero no negativo n",
            "it": "restituisca il fattoriale di un intero non negativo n",
            "ko": "음이 아닌 정수 n의 팩토리얼을 반환하는",
            "zh": "返回非负整数n的阶乘",
        },
        "def factorial(n):\n    result = 1\n    for i in range(2, n + 1):\n        result *= i\n    return result",
        (
            "def factorial(n):\n    result = 1\n    for i in range(2, n):\n        result *= i\n    return result",
            "def factorial(n):\n    result = 0\n    for i in range(1, n + 1):\n        result += i\n    return result",
        ),
        lambda rng: (rng.randint(3, 10),),
    ),
    CodeTask(
        "is_palindrome",
        "word",
        {
            "en": "checks whether a word reads the same forwards and backwards, ignoring case",
            "es": "compruebe si una palabra se lee igual al derecho y al revés, sin distinguir mayúsculas y minúsculas",
            "it": "controlli se una parola si legge allo stesso modo in entrambi i sensi, senza distinguere tra "
            "maiuscole e minuscole",
            "ko": "대소문자를 무시하고 단어를 앞뒤로 읽어도 같은지 확인하는",
            "zh": "判断一个单词正着读和倒着读是否相同（不区分大小写）",
        },
        "def is_palindrome(word):\n    w = word.lower()\n    return w == w[::-1]",
        ("def is_palindrome(word):\n    return word == word[::-1]",),
        lambda rng: (rng.choice(_PALINDROMES),),
    ),
    CodeTask(
        "count_positive",
        "nums",
        {
            "en": "counts how many numbers in a list are greater than zero",
            "es": "cuente cuántos números de una lista son mayores que cero",
            "it": "conti quanti numeri di una lista sono maggiori di zero",
            "ko": "리스트에서 0보다 큰 수가 몇 개인지 세는",
            "zh": "统计列表中大于零的数有多少个",
        },
        "def count_positive(nums):\n    count = 0\n    for n in nums:\n        if n > 0:\n            count += 1\n"
        "    return count",
        (
            "def count_positive(nums):\n    count = 0\n    for n in nums:\n        if n >= 0:\n            count += 1\n"
            "    return count",
        ),
        lambda rng: (rng.sample([0, 0, *rng.sample(range(-9, 10), 5)], rng.randint(5, 7)),),
    ),
    CodeTask(
        "average",
        "nums",
        {
            "en": "returns the average of a list of numbers",
            "es": "devuelva la media de una lista de números",
            "it": "restituisca la media di una lista di numeri",
            "ko": "숫자 리스트의 평균을 반환하는",
            "zh": "返回一组数字的平均值",
        },
        "def average(nums):\n    return sum(nums) / len(nums)",
        (
            "def average(nums):\n    return sum(nums) // len(nums)",
            "def average(nums):\n    return sum(nums) / (len(nums) - 1)",
        ),
        lambda rng: ([rng.randint(1, 20) for _ in range(rng.choice((2, 4, 5)))],),
    ),
    CodeTask(
        "reverse_words",
        "sentence",
        {
            "en": "reverses the order of the words in a sentence",
            "es": "invierta el orden de las palabras de una frase",
            "it": "inverta l'ordine delle parole di una frase",
            "ko": "문장에 있는 단어의 순서를 거꾸로 뒤집는",
            "zh": "把句子中单词的顺序颠倒过来",
        },
        'def reverse_words(sentence):\n    return " ".join(sentence.split()[::-1])',
        (
            "def reverse_words(sentence):\n    return sentence[::-1]",
            'def reverse_words(sentence):\n    return " ".join(sorted(sentence.split()))',
        ),
        lambda rng: (rng.choice([p for p in _PHRASES if len(p.split()) <= 5]),),
    ),
    CodeTask(
        "running_total",
        "nums",
        {
            "en": "returns a list of running totals, where each element is the sum of all numbers up to that position",
            "es": "devuelva una lista con las sumas acumuladas, en la que cada elemento es la suma de todos los números "
            "hasta esa posición",
            "it": "restituisca una lista con le somme cumulative, in cui ogni elemento è la somma di tutti i numeri "
            "fino a quella posizione",
            "ko": "각 원소가 그 위치까지의 모든 수의 합이 되도록 누적 합 리스트를 반환하는",
            "zh": "返回前缀和列表，每个元素是到该位置为止所有数的和",
        },
        "def running_total(nums):\n    totals = []\n    current = 0\n    for n in nums:\n        current += n\n"
        "        totals.append(current)\n    return totals",
        (
            "def running_total(nums):\n    totals = []\n    current = 0\n    for n in nums:\n"
            "        totals.append(current)\n        current += n\n    return totals",
        ),
        lambda rng: ([rng.randint(1, 12) for _ in range(rng.randint(3, 5))],),
    ),
    CodeTask(
        "remove_duplicates",
        "items",
        {
            "en": "removes duplicates from a list while keeping the original order",
            "es": "elimine los duplicados de una lista conservando el orden original",
            "it": "rimuova i duplicati da una lista mantenendo l'ordine originale",
            "ko": "원래 순서를 유지하면서 리스트의 중복을 제거하는",
            "zh": "去掉列表中的重复元素，同时保持原来的顺序",
        },
        "def remove_duplicates(items):\n    seen = set()\n    result = []\n    for x in items:\n"
        "        if x not in seen:\n            seen.add(x)\n            result.append(x)\n    return result",
        (
            "def remove_duplicates(items):\n    return list(set(items))",
            "def remove_duplicates(items):\n    seen = set()\n    result = []\n    for x in items:\n"
            "        seen.add(x)\n        if x not in seen:\n            result.append(x)\n    return result",
        ),
        lambda rng: ([rng.randint(1, 9) for _ in range(rng.randint(5, 7))],),
    ),
    CodeTask(
        "digit_sum",
        "n",
        {
            "en": "returns the sum of the digits of a positive integer",
            "es": "devuelva la suma de las cifras de un entero positivo",
            "it": "restituisca la somma delle cifre di un intero positivo",
            "ko": "양의 정수의 각 자릿수를 모두 더한 값을 반환하는",
            "zh": "返回一个正整数各位数字之和",
        },
        "def digit_sum(n):\n    total = 0\n    while n > 0:\n        total += n % 10\n        n //= 10\n    return total",
        (
            "def digit_sum(n):\n    total = 0\n    while n > 9:\n        total += n % 10\n        n //= 10\n"
            "    return total",
        ),
        lambda rng: (rng.randint(100, 99999),),
    ),
    CodeTask(
        "count_words",
        "text",
        {
            "en": "counts the words in a sentence",
            "es": "cuente las palabras de una frase",
            "it": "conti le parole di una frase",
            "ko": "문장에 들어 있는 단어 수를 세는",
            "zh": "统计一句话里有多少个单词",
        },
        "def count_words(text):\n    return len(text.split())",
        ('def count_words(text):\n    return text.count(" ")',),
        lambda rng: (rng.choice(_PHRASES),),
    ),
    CodeTask(
        "first_index",
        "items, target",
        {
            "en": "returns the index of the first occurrence of target in a list, or -1 if it is not there",
            "es": "devuelva la posición de la primera aparición de target en una lista, o -1 si no está",
            "it": "restituisca l'indice della prima occorrenza di target in una lista, oppure -1 se non c'è",
            "ko": "리스트에서 target이 처음 나오는 위치의 인덱스를 반환하고, 없으면 -1을 반환하는",
            "zh": "返回target在列表中第一次出现的下标，如果不存在就返回-1",
        },
        "def first_index(items, target):\n    for i, x in enumerate(items):\n        if x == target:\n"
        "            return i\n    return -1",
        (
            "def first_index(items, target):\n    index = -1\n    for i, x in enumerate(items):\n"
            "        if x == target:\n            index = i\n    return index",
        ),
        lambda rng: ([rng.randint(1, 6) for _ in range(rng.randint(5, 7))], rng.randint(1, 6)),
    ),
    CodeTask(
        "celsius_to_fahrenheit",
        "c",
        {
            "en": "converts a temperature from degrees Celsius to degrees Fahrenheit",
            "es": "convierta una temperatura de grados Celsius a grados Fahrenheit",
            "it": "converta una temperatura da gradi Celsius a gradi Fahrenheit",
            "ko": "섭씨온도를 화씨온도로 바꾸는",
            "zh": "把摄氏温度转换成华氏温度",
        },
        "def celsius_to_fahrenheit(c):\n    return c * 9 / 5 + 32",
        (
            "def celsius_to_fahrenheit(c):\n    return (c + 32) * 9 / 5",
            "def celsius_to_fahrenheit(c):\n    return c * 5 / 9 + 32",
        ),
        lambda rng: (rng.randint(-4, 20) * 5,),
    ),
    CodeTask(
        "second_largest",
        "nums",
        {
            "en": "returns the second largest distinct value in a list",
            "es": "devuelva el segundo valor distinto más grande de una lista",
            "it": "restituisca il secondo valore distinto più grande di una lista",
            "ko": "리스트에서 서로 다른 값 중 두 번째로 큰 값을 반환하는",
            "zh": "返回列表中第二大的不同值",
        },
        "def second_largest(nums):\n    return sorted(set(nums))[-2]",
        (
            "def second_largest(nums):\n    return sorted(nums)[-2]",
            "def second_largest(nums):\n    return sorted(set(nums))[1]",
        ),
        lambda rng: ([rng.randint(1, 20) for _ in range(rng.randint(4, 6))],),
    ),
    CodeTask(
        "is_leap_year",
        "year",
        {
            "en": "checks whether a year is a leap year in the Gregorian calendar",
            "es": "compruebe si un año es bisiesto en el calendario gregoriano",
            "it": "controlli se un anno è bisestile nel calendario gregoriano",
            "ko": "그레고리력에서 어떤 해가 윤년인지 확인하는",
            "zh": "判断某一年在公历中是否为闰年",
        },
        "def is_leap_year(year):\n    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)",
        (
            "def is_leap_year(year):\n    return year % 4 == 0",
            "def is_leap_year(year):\n    return year % 4 == 0 and year % 100 != 0",
        ),
        lambda rng: (rng.choice((rng.randint(15, 30) * 100, rng.randint(375, 525) * 4)),),
    ),
]

CODE_QUESTIONS = {
    "en": [
        "Write a Python function `{sig}` that {desc}. Then tell me what `{call}` returns.",
        "I need a Python function `{sig}` that {desc}. What does `{call}` return?",
        "Can you write `{sig}` in Python? It's a function that {desc}. Also show what `{call}` gives.",
        "Please implement `{sig}` in Python: a function that {desc}. What is the result of `{call}`?",
        "Implement a Python function `{sig}` that {desc}, and tell me the output of `{call}`.",
        "Show me a Python function `{sig}` that {desc}, then work out what `{call}` returns.",
    ],
    "es": [
        "Escribe una función de Python `{sig}` que {desc}. Después dime qué devuelve `{call}`.",
        "Necesito una función de Python `{sig}` que {desc}. ¿Qué devuelve `{call}`?",
        "¿Puedes escribir `{sig}` en Python? Es una función que {desc}. Enséñame también qué da `{call}`.",
        "Implementa `{sig}` en Python: una función que {desc}. ¿Cuál es el resultado de `{call}`?",
        "Programa una función de Python `{sig}` que {desc} y dime la salida de `{call}`.",
        "Enséñame una función de Python `{sig}` que {desc} y calcula qué devuelve `{call}`.",
    ],
    "it": [
        "Scrivi una funzione Python `{sig}` che {desc}. Poi dimmi che cosa restituisce `{call}`.",
        "Mi serve una funzione Python `{sig}` che {desc}. Che cosa restituisce `{call}`?",
        "Puoi scrivere `{sig}` in Python? È una funzione che {desc}. Mostrami anche il risultato di `{call}`.",
        "Implementa `{sig}` in Python: una funzione che {desc}. Qual è il risultato di `{call}`?",
        "Scrivi in Python una funzione `{sig}` che {desc} e dimmi l'output di `{call}`.",
        "Mostrami una funzione Python `{sig}` che {desc}, poi calcola che cosa restituisce `{call}`.",
    ],
    "ko": [
        "{desc} 파이썬 함수 `{sig}`{sig_obj} 작성하고, `{call}`의 결과가 무엇인지 알려 주세요.",
        "{desc} 파이썬 함수 `{sig}`{sig_subj} 필요해요. `{call}`{call_top} 무엇을 반환하나요?",
        "파이썬으로 `{sig}`{sig_obj} 만들어 줄 수 있나요? {desc} 함수예요. `{call}`의 결과도 보여 주세요.",
        "`{sig}`{sig_obj} 파이썬으로 구현해 주세요. {desc} 함수입니다. `{call}`의 결과는 무엇인가요?",
        "{desc} 파이썬 함수 `{sig}`{sig_obj} 구현하고 `{call}`의 출력을 알려 줘.",
        "{desc} 파이썬 함수 `{sig}`{sig_obj} 보여 주고, `{call}`{call_subj} 무엇을 반환하는지 계산해 주세요.",
    ],
    "zh": [
        "写一个Python函数`{sig}`，{desc}。然后告诉我`{call}`的返回值。",
        "我需要一个Python函数`{sig}`，{desc}。`{call}`会返回什么？",
        "能用Python写一个`{sig}`吗？这个函数要{desc}。顺便给出`{call}`的结果。",
        "请用Python实现`{sig}`：{desc}。`{call}`的结果是什么？",
        "用Python实现一个函数`{sig}`，{desc}，并告诉我`{call}`的输出。",
        "给我写一个Python函数`{sig}`，{desc}，再算一算`{call}`返回什么。",
    ],
}

CODE_LEADS = {
    "en": ["Here's one way to write it:", "Here is the function:", "Sure, this does it:"],
    "es": ["Aquí tienes una forma de escribirla:", "Esta es la función:", "Claro, con esto funciona:"],
    "it": ["Ecco un modo per scriverla:", "Ecco la funzione:", "Certo, ecco come fare:"],
    "ko": [
        "다음과 같이 작성할 수 있습니다.",
        "함수는 이렇게 만들면 됩니다.",
        "물론이죠. 이렇게 작성하면 됩니다.",
    ],
    "zh": ["可以这样写：", "函数如下：", "没问题，这样就可以："],
}
CODE_RESULTS = {
    "en": "`{call}` returns `{out}`.",
    "es": "`{call}` devuelve `{out}`.",
    "it": "`{call}` restituisce `{out}`.",
    "ko": "`{call}`의 결과는 `{out}`입니다.",
    "zh": "`{call}`的返回值是`{out}`。",
}


def _call_text(task: CodeTask, args: tuple) -> str:
    return f"{task.name}({', '.join(repr(a) for a in args)})"


def sample_code(rng, split):
    ti = pick(rng, CODE_TASKS, split)
    task = CODE_TASKS[ti]
    args = task.inputs(rng)
    bug = rng.randrange(len(task.bugs))
    try:
        right = task.run(task.code, args)
        wrong = task.run(task.bugs[bug], args)
    except (IndexError, ZeroDivisionError):
        return None
    if wrong == right:
        return None
    claim = rng.choice(("buggy_output", "correct_output"))
    return (
        "code",
        ti,
        repr(args),
        bug,
        claim,
        pick(rng, CODE_QUESTIONS["en"], split),
        rng.randrange(len(CODE_LEADS["en"])),
    )


def render_code(spec, lang):
    _, ti, args, bug, claim, frame, lead = spec
    task = CODE_TASKS[ti]
    args = ast.literal_eval(args)
    sig = f"{task.name}({task.params})"
    call = _call_text(task, args)
    fields = {"sig": sig, "call": call, "desc": task.desc[lang]}
    if lang == "ko":
        fields.update(
            sig_obj=josa(sig, "을/를")[len(sig) :],
            sig_subj=josa(sig, "이/가")[len(sig) :],
            call_top=josa(call, "은/는")[len(call) :],
            call_subj=josa(call, "이/가")[len(call) :],
        )
    prompt = CODE_QUESTIONS[lang][frame].format(**fields)
    right = task.run(task.code, args)

    def answer(source: str, out) -> str:
        return f"{CODE_LEADS[lang][lead]}\n\n```python\n{source}\n```\n\n" + CODE_RESULTS[lang].format(
            call=call, out=repr(out)
        )

    shown = task.run(task.bugs[bug], args) if claim == "buggy_output" else right
    return prompt, answer(task.code, right), answer(task.bugs[bug], shown)


SUBSETS = [
    Subset(
        "math-arith",
        "reasoning",
        "arith",
        sample_arith,
        render_arith,
        "a worked two-step word problem vs the same with one wrong step",
    ),
    Subset(
        "code-python",
        "reasoning",
        "code",
        sample_code,
        render_code,
        "a correct Python function and its output vs a buggy one",
    ),
]
