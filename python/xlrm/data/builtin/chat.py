"""chat: everyday instructions with a constraint a checker can verify.

- ``chat-language``: a short message requested in a given language; the rejected answer is the same
  message in another language (the user's own language when another was asked for, else English).
- ``chat-count``: "give me N ..."; the rejected list has a different number of items.
- ``chat-relevance``: a question about a country; the rejected answer is fluent and true but answers a
  different question about the same country.
"""

from __future__ import annotations

from xlrm.data.builtin.core import Subset, pick
from xlrm.data.builtin.countries import COUNTRIES, FACETS, country_fields, fact_sentence
from xlrm.data.builtin.lexicon import (
    LANGUAGE_NAMES,
    LANGUAGES,
    PEOPLE,
    gender,
    gendered,
    josa,
    ko_vocative,
    person,
)

# ==== chat-language: answer in the language asked for ====================================================

# {req}: the request (a sentence in en/es/it, a noun phrase ending in 메시지 in ko, a verb phrase in zh);
# {T}: the requested language's name. Korean frames use particle-bearing variants.
LANGUAGE_FRAMES = {
    "en": [
        "{req} Please write it in {T}.",
        "{req} It needs to be in {T}.",
        "Could you help me with something? {req} Write it in {T}, please.",
        "{req} The message should be in {T}.",
        "{req} Use {T} for the whole message.",
        "I need a hand with a message. {req} Answer in {T} only.",
    ],
    "es": [
        "{req} Escríbelo en {T}, por favor.",
        "{req} Tiene que estar en {T}.",
        "¿Me echas una mano? {req} Escríbelo en {T}, por favor.",
        "{req} El mensaje debe ir en {T}.",
        "{req} Usa el {T} en todo el mensaje.",
        "Necesito ayuda con un mensaje. {req} Responde solo en {T}.",
    ],
    "it": [
        "{req} Scrivilo in {T}, per favore.",
        "{req} Deve essere in {T}.",
        "Mi daresti una mano? {req} Scrivilo in {T}, per favore.",
        "{req} Il messaggio deve essere in {T}.",
        "{req} Scrivi tutto il messaggio in {T}.",
        "Ho bisogno di aiuto con un messaggio. {req} Rispondi solo in {T}.",
    ],
    "ko": [
        "{T_ro} {req_obj} 써 주세요.",
        "{req_obj} 써 줘. {T_ro} 부탁해.",
        "부탁이 하나 있어요. {req_obj} {T_ro} 작성해 주세요.",
        "{req_subj} 필요해요. 꼭 {T_ro} 써 주세요.",
        "{req_obj} 쓰려고 하는데, 전부 {T_ro} 써 줄 수 있어?",
        "메시지 쓰는 것 좀 도와줘. {req_obj} {T_ro}만 써 줘.",
    ],
    "zh": [
        "请用{T}{req}。",
        "{req}，要用{T}写。",
        "能帮我个忙吗？用{T}{req}。",
        "帮我{req}，一定要用{T}。",
        "我想{req}，整段都用{T}写吧。",
        "请帮我{req}。只用{T}回答。",
    ],
}

# Each message kind: details (parallel across languages; "r" is the form used in the request, "d" the form
# used in the message), the request and the message. Fields: {n} name, {voc} Korean vocative, {pron} Chinese
# pronoun, {caro}/{prep}/{tranq} Italian gendered words, {r_obj}/{r_subj} Korean detail + particle.
MESSAGES = {
    "birthday": {
        "details": {lang: [{}] for lang in LANGUAGES},
        "req": {
            "en": "Write a short birthday message for {n}.",
            "es": "Escribe un mensaje corto de cumpleaños para {n}.",
            "it": "Scrivi un breve messaggio di auguri di compleanno per {n}.",
            "ko": "{n}에게 보낼 짧은 생일 축하 메시지",
            "zh": "给{n}写一段简短的生日祝福",
        },
        "msg": {
            "en": "Happy birthday, {n}! I hope your day is full of good moments and that the year ahead brings "
            "you lots of joy.",
            "es": "¡Feliz cumpleaños, {n}! Espero que pases un día estupendo y que este nuevo año te traiga "
            "muchas alegrías.",
            "it": "Buon compleanno, {n}! Ti auguro una giornata splendida e un nuovo anno pieno di "
            "soddisfazioni.",
            "ko": "{voc} 생일 축하해! 오늘 하루 즐겁게 보내고, 올 한 해도 좋은 일만 가득하길 바랄게.",
            "zh": "{n}，生日快乐！祝你今天开开心心，新的一岁万事顺意。",
        },
    },
    "thanks": {
        "details": {
            "en": [
                {"d": d}
                for d in (
                    "the book",
                    "the flowers",
                    "the scarf",
                    "the homemade cake",
                    "the plant",
                    "the concert tickets",
                )
            ],
            "es": [
                {"d": d}
                for d in (
                    "el libro",
                    "las flores",
                    "la bufanda",
                    "la tarta casera",
                    "la planta",
                    "las entradas del concierto",
                )
            ],
            "it": [
                {"d": d}
                for d in (
                    "il libro",
                    "i fiori",
                    "la sciarpa",
                    "la torta fatta in casa",
                    "la pianta",
                    "i biglietti del concerto",
                )
            ],
            "ko": [{"d": d} for d in ("책", "꽃", "목도리", "직접 만든 케이크", "화분", "콘서트 표")],
            "zh": [{"d": d} for d in ("书", "花", "围巾", "亲手做的蛋糕", "那盆绿植", "音乐会门票")],
        },
        "req": {
            "en": "Write a short note thanking {n} for {d}.",
            "es": "Escribe un mensaje breve para darle las gracias a {n} por {d}.",
            "it": "Scrivi un breve biglietto per ringraziare {n} per {d}.",
            "ko": "{d_obj} 선물해 준 {n}에게 보낼 짧은 감사 메시지",
            "zh": "给{n}写一段简短的感谢留言，谢谢{pron}送我的{d}",
        },
        "msg": {
            "en": "Dear {n}, thank you so much for {d}. It was such a lovely surprise, and it really made my week.",
            "es": "Hola, {n}: ¡muchísimas gracias por {d}! Fue una sorpresa preciosa y me alegró la semana.",
            "it": "{caro} {n}, grazie davvero per {d}. È stata una bellissima sorpresa e mi ha migliorato la "
            "settimana.",
            "ko": "{voc} {d} 정말 고마워! 생각지도 못한 선물이라 더 기뻤어. 덕분에 한 주 내내 기분이 좋았어.",
            "zh": "{n}，谢谢你送我的{d}！真是个惊喜，让我开心了一整个星期。",
        },
    },
    "invite": {
        "details": {
            "en": [
                {"e": e, "day": d}
                for e, d in (
                    ("dinner at my place", "on Friday"),
                    ("a picnic in the park", "on Saturday"),
                    ("a film night at my place", "on Sunday"),
                    ("a picnic in the park", "on Friday"),
                    ("a film night at my place", "on Saturday"),
                    ("dinner at my place", "on Sunday"),
                )
            ],
            "es": [
                {"e": e, "day": d}
                for e, d in (
                    ("a cenar a mi casa", "el viernes"),
                    ("a un pícnic en el parque", "el sábado"),
                    ("a ver una película a mi casa", "el domingo"),
                    ("a un pícnic en el parque", "el viernes"),
                    ("a ver una película a mi casa", "el sábado"),
                    ("a cenar a mi casa", "el domingo"),
                )
            ],
            "it": [
                {"e": e, "day": d}
                for e, d in (
                    ("a cena da me", "venerdì"),
                    ("a un picnic al parco", "sabato"),
                    ("a vedere un film da me", "domenica"),
                    ("a un picnic al parco", "venerdì"),
                    ("a vedere un film da me", "sabato"),
                    ("a cena da me", "domenica"),
                )
            ],
            "ko": [
                {"e": e, "day": d}
                for e, d in (
                    ("우리 집에 저녁 먹으러", "금요일에"),
                    ("공원에 피크닉하러", "토요일에"),
                    ("우리 집에 영화 보러", "일요일에"),
                    ("공원에 피크닉하러", "금요일에"),
                    ("우리 집에 영화 보러", "토요일에"),
                    ("우리 집에 저녁 먹으러", "일요일에"),
                )
            ],
            "zh": [
                {"e": e, "day": d}
                for e, d in (
                    ("我家吃晚饭", "周五"),
                    ("公园野餐", "周六"),
                    ("我家看电影", "周日"),
                    ("公园野餐", "周五"),
                    ("我家看电影", "周六"),
                    ("我家吃晚饭", "周日"),
                )
            ],
        },
        "req": {
            "en": "Write a message inviting {n} to {e} {day}.",
            "es": "Escribe un mensaje para invitar a {n} {e} {day}.",
            "it": "Scrivi un messaggio per invitare {n} {e} {day}.",
            "ko": "{n}에게 {day} {e} 오라고 초대하는 메시지",
            "zh": "写一条消息，邀请{n}{day}来{e}",
        },
        "msg": {
            "en": "Hi {n}! Would you like to come to {e} {day}? It would be great to see you, so let me know if "
            "you can make it.",
            "es": "¡Hola, {n}! ¿Te apetece venir {e} {day}? Me encantaría verte, así que dime si puedes.",
            "it": "Ciao {n}! Ti va di venire {e} {day}? Mi farebbe davvero piacere vederti, fammi sapere se "
            "riesci.",
            "ko": "{voc} {day} {e} 올래? 오랜만에 얼굴 보면 좋겠다. 올 수 있는지 알려 줘!",
            "zh": "{n}，{day}要不要来{e}？好久没见了，很想见见你，能来的话跟我说一声。",
        },
    },
    "late": {
        "details": {
            "en": [{"e": e} for e in ("our coffee", "dinner", "the meeting")],
            "es": [{"e": e} for e in ("al café", "a la cena", "a la reunión")],
            "it": [{"e": e} for e in ("al caffè", "alla cena", "alla riunione")],
            "ko": [{"e": e} for e in ("커피 약속", "저녁 약속", "회의")],
            "zh": [{"e": e} for e in ("喝咖啡", "吃晚饭", "开会")],
        },
        "req": {
            "en": "Write a short apology to {n} for being late to {e} yesterday.",
            "es": "Escribe un mensaje breve para pedirle disculpas a {n} por haber llegado tarde ayer {e}.",
            "it": "Scrivi un breve messaggio di scuse per {n} per il mio ritardo di ieri {e}.",
            "ko": "어제 {e}에 늦은 일로 {n}에게 보낼 짧은 사과 메시지",
            "zh": "给{n}写几句简短的道歉的话，因为我昨天{e}迟到了",
        },
        "msg": {
            "en": "Hi {n}, I'm really sorry I was late for {e} yesterday. I should have let you know sooner, and "
            "next time I'll make sure I'm on time.",
            "es": "Hola, {n}: siento muchísimo haber llegado tarde ayer {e}. Debería haberte avisado antes; te "
            "prometo que la próxima vez seré puntual.",
            "it": "Ciao {n}, scusami tanto per il ritardo di ieri {e}. Avrei dovuto avvisarti prima; la prossima "
            "volta sarò puntuale, promesso.",
            "ko": "{voc} 어제 {e}에 늦어서 정말 미안해. 미리 연락했어야 했는데 그러지 못했네. 다음엔 꼭 시간 맞춰 갈게.",
            "zh": "{n}，真的很抱歉，昨天{e}我迟到了。我应该早点跟你说的，下次一定准时。",
        },
    },
    "congrats": {
        "details": {
            "en": [
                {"r": r, "d": d}
                for r, d in (
                    ("getting a new job", "your new job"),
                    ("graduating", "your graduation"),
                    ("buying a new home", "your new home"),
                )
            ],
            "es": [
                {"r": r, "d": d}
                for r, d in (
                    ("su nuevo trabajo", "tu nuevo trabajo"),
                    ("su graduación", "tu graduación"),
                    ("su nueva casa", "tu nueva casa"),
                )
            ],
            "it": [{"r": d, "d": d} for d in ("il nuovo lavoro", "la laurea", "la casa nuova")],
            "ko": [{"r": d, "d": d} for d in ("취업", "졸업", "새집 마련")],
            "zh": [{"r": d, "d": d} for d in ("找到新工作", "顺利毕业", "搬进新家")],
        },
        "req": {
            "en": "Write a message congratulating {n} on {r}.",
            "es": "Escribe un mensaje para felicitar a {n} por {r}.",
            "it": "Scrivi un messaggio per fare i complimenti a {n} per {r}.",
            "ko": "{n}에게 {r_obj} 축하하는 메시지",
            "zh": "写一条消息，祝贺{n}{r}",
        },
        "msg": {
            "en": "Congratulations on {d}, {n}! You worked so hard for this, and you truly deserve it.",
            "es": "¡Enhorabuena por {d}, {n}! Te has esforzado muchísimo y te lo mereces de verdad.",
            "it": "Congratulazioni per {d}, {n}! Hai lavorato tantissimo per arrivarci e te lo meriti davvero.",
            "ko": "{voc} {d} 정말 축하해! 그동안 열심히 노력했으니 충분히 누릴 자격이 있어.",
            "zh": "{n}，恭喜你{d}！你为此付出了那么多努力，这都是你应得的。",
        },
    },
    "luck": {
        "details": {
            "en": [
                {"r": r, "d": d}
                for r, d in (
                    ("an exam", "your exam"),
                    ("a job interview", "your job interview"),
                    ("a driving test", "your driving test"),
                )
            ],
            "es": [
                {"r": r, "d": d}
                for r, d in (
                    ("un examen", "el examen"),
                    ("una entrevista de trabajo", "la entrevista"),
                    ("el examen de conducir", "el examen de conducir"),
                )
            ],
            "it": [
                {"r": r, "d": d}
                for r, d in (
                    ("un esame", "per l'esame"),
                    ("un colloquio di lavoro", "per il colloquio"),
                    ("l'esame di guida", "per l'esame di guida"),
                )
            ],
            "ko": [{"r": d, "d": d} for d in ("시험", "면접", "운전면허 시험")],
            "zh": [
                {"r": r, "d": d} for r, d in (("考试", "考试"), ("参加面试", "面试"), ("考驾照", "驾照考试"))
            ],
        },
        "req": {
            "en": "Write a short good-luck message for {n}, who has {r} tomorrow.",
            "es": "Escribe un mensaje corto para desearle suerte a {n}, que mañana tiene {r}.",
            "it": "Scrivi un breve messaggio per fare l'in bocca al lupo a {n}, che domani ha {r}.",
            "ko": "내일 {r_subj} 있는 {n}에게 보낼 짧은 응원 메시지",
            "zh": "给明天要{r}的{n}写一段简短的加油消息",
        },
        "msg": {
            "en": "Good luck with {d} tomorrow, {n}! You've prepared really well, so stay calm and trust "
            "yourself. I'll be thinking of you.",
            "es": "¡Mucha suerte mañana con {d}, {n}! Te has preparado muy bien, así que mantén la calma y "
            "confía en ti. Estaré pensando en ti.",
            "it": "In bocca al lupo {d} di domani, {n}! Ti sei {prep} benissimo, quindi stai {tranq} e fidati "
            "di te. Faccio il tifo per te!",
            "ko": "{voc} 내일 {d} 잘 보고 와! 준비 정말 열심히 했으니까 긴장하지 말고 자신을 믿어. 응원할게!",
            "zh": "{n}，明天的{d}加油！你准备得很充分，放轻松，相信自己。等你的好消息！",
        },
    },
}
MESSAGE_KINDS = tuple(MESSAGES)


def _fill(template: str, lang: str, name: str, g: str, detail: dict) -> str:
    fields = dict(detail)
    fields.setdefault("r", fields.get("d", ""))
    fields.setdefault("d", fields.get("r", ""))
    fields.update(
        n=name,
        voc=ko_vocative(name) if lang == "ko" else name,
        pron="她" if g == "f" else "他",
        caro=gendered(g, "Caro", "Cara"),
        prep=gendered(g, "preparato", "preparata"),
        tranq=gendered(g, "tranquillo", "tranquilla"),
    )
    if lang == "ko":
        fields.update(
            d_obj=josa(fields["d"], "을/를"),
            r_obj=josa(fields["r"], "을/를"),
            r_subj=josa(fields["r"], "이/가"),
        )
    return template.format(**fields)


def _other_language(lang: str, target: str) -> str:
    """The language of the rejected answer: the user's own when another was asked for, else English
    (Spanish for English speakers)."""
    if target != lang:
        return lang
    return "es" if lang == "en" else "en"


def sample_language(rng, split):
    kind = rng.choice(MESSAGE_KINDS)
    details = MESSAGES[kind]["details"]["en"]
    detail = pick(rng, details, split) if len(details) > 1 else 0
    return (
        "language",
        kind,
        pick(rng, PEOPLE, split),
        detail,
        rng.choice(LANGUAGES),
        pick(rng, LANGUAGE_FRAMES["en"], split),
    )


def render_language(spec, lang):
    _, kind, who, detail, target, frame = spec
    g = gender(who)
    m = MESSAGES[kind]

    def message(writing: str) -> str:
        return _fill(
            m["msg"][writing], writing, person(who, target, writing), g, m["details"][writing][detail]
        )

    req = _fill(m["req"][lang], lang, person(who, target, lang), g, m["details"][lang][detail])
    tname = LANGUAGE_NAMES[lang][target]
    prompt = LANGUAGE_FRAMES[lang][frame].format(
        req=req, T=tname, T_ro=josa(tname, "으로/로"), req_obj=josa(req, "을/를"), req_subj=josa(req, "이/가")
    )
    return prompt, message(target), message(_other_language(lang, target))


# ==== chat-count: the requested number of items =========================================================

# (topic phrase, Chinese measure word) per language, and seven items per topic.
TOPICS = {
    "en": [
        "tips for sleeping better",
        "ways to save water at home",
        "things to pack for a day at the beach",
        "healthy breakfast ideas",
        "indoor activities for a rainy day",
        "ways to practise a new language",
        "ways to reduce stress at work",
        "things to check before a long car journey",
        "gift ideas for a friend who loves cooking",
        "ways to make a small flat feel bigger",
        "habits that help you study effectively",
        "ways to shop in a more eco-friendly way",
    ],
    "es": [
        "consejos para dormir mejor",
        "formas de ahorrar agua en casa",
        "cosas que llevar a un día de playa",
        "ideas de desayunos saludables",
        "planes para hacer en casa un día de lluvia",
        "maneras de practicar un idioma nuevo",
        "formas de reducir el estrés en el trabajo",
        "cosas que revisar antes de un viaje largo en coche",
        "ideas de regalo para un amigo al que le encanta cocinar",
        "trucos para que un piso pequeño parezca más grande",
        "hábitos para estudiar de forma eficaz",
        "formas de hacer la compra de manera más sostenible",
    ],
    "it": [
        "consigli per dormire meglio",
        "modi per risparmiare acqua in casa",
        "cose da portare per una giornata al mare",
        "idee per una colazione sana",
        "attività da fare in casa in una giornata di pioggia",
        "modi per esercitarsi in una nuova lingua",
        "modi per ridurre lo stress al lavoro",
        "cose da controllare prima di un lungo viaggio in auto",
        "idee regalo per un amico che ama cucinare",
        "trucchi per far sembrare più grande un appartamento piccolo",
        "abitudini per studiare in modo efficace",
        "modi per fare la spesa in modo più sostenibile",
    ],
    "ko": [
        "잠을 잘 자기 위한 팁",
        "집에서 물을 아끼는 방법",
        "해변에 갈 때 챙겨야 할 물건",
        "건강한 아침 식사 메뉴",
        "비 오는 날 집에서 할 만한 활동",
        "새로운 언어를 연습하는 방법",
        "직장에서 스트레스를 줄이는 방법",
        "장거리 운전 전에 점검할 것",
        "요리를 좋아하는 친구에게 줄 선물 아이디어",
        "작은 집을 더 넓어 보이게 하는 방법",
        "효율적으로 공부하는 데 도움이 되는 습관",
        "더 친환경적으로 장을 보는 방법",
    ],
    "zh": [
        ("改善睡眠的小建议", "条"),
        ("在家节约用水的方法", "个"),
        ("去海边玩一天需要带的东西", "样"),
        ("健康早餐的搭配", "种"),
        ("下雨天在家可以做的事", "件"),
        ("练习一门新语言的方法", "个"),
        ("缓解工作压力的方法", "个"),
        ("长途自驾前需要检查的事项", "项"),
        ("送给爱做饭的朋友的礼物点子", "个"),
        ("让小房子显得更宽敞的窍门", "个"),
        ("帮助高效学习的习惯", "个"),
        ("更环保地购物的方法", "个"),
    ],
}

ITEMS = {
    "en": [
        [
            "Go to bed and get up at the same time every day.",
            "Keep your bedroom dark, quiet and cool.",
            "Avoid coffee and other caffeine after midday.",
            "Put your phone away an hour before bed.",
            "Get some daylight and exercise during the day.",
            "Don't eat a heavy meal late in the evening.",
            "Wind down with something calm, like reading or slow breathing.",
        ],
        [
            "Take shorter showers.",
            "Turn off the tap while you brush your teeth.",
            "Fix dripping taps and leaking toilets.",
            "Only run the washing machine and dishwasher when they're full.",
            "Water plants early in the morning or in the evening.",
            "Collect rainwater for the garden.",
            "Keep a jug of cold water in the fridge instead of running the tap.",
        ],
        [
            "Sunscreen with a high protection factor.",
            "A big towel to lie on.",
            "A hat and a pair of sunglasses.",
            "Plenty of drinking water.",
            "A change of dry clothes.",
            "Some fruit or a light snack.",
            "A beach umbrella for shade.",
        ],
        [
            "Porridge with fruit and a handful of nuts.",
            "Plain yogurt with berries.",
            "Wholegrain toast with avocado.",
            "Scrambled eggs with spinach.",
            "A smoothie made with banana, oats and milk.",
            "Rice porridge with vegetables.",
            "A bowl of fresh fruit with seeds.",
        ],
        [
            "Bake bread or a batch of cookies.",
            "Do a jigsaw puzzle.",
            "Have a board game afternoon.",
            "Watch a classic film.",
            "Start a book you've been meaning to read.",
            "Try some simple drawing or painting.",
            "Tidy up and reorganise a cupboard.",
        ],
        [
            "Watch series in that language with subtitles.",
            "Find a conversation partner online.",
            "Learn a few new words every day with flashcards.",
            "Listen to podcasts made for learners.",
            "Write a short diary entry in the language.",
            "Switch your phone to that language.",
            "Read simple books or children's stories.",
        ],
        [
            "Take a short break every hour or so.",
            "Write a to-do list and tackle the most important task first.",
            "Go for a walk at lunchtime.",
            "Turn off notifications when you need to focus.",
            "Talk to a colleague you trust.",
            "Set a clear time to stop working each day.",
            "Spend a few minutes breathing slowly and deeply.",
        ],
        [
            "The tyre pressure, including the spare.",
            "The oil and coolant levels.",
            "That all the lights work.",
            "The wipers and the washer fluid.",
            "That your licence and insurance papers are in the car.",
            "Your route and where you'll stop for breaks.",
            "That the tank is full.",
        ],
        [
            "A good chef's knife.",
            "A cookbook from a cuisine they love.",
            "A set of quality spices.",
            "A cast-iron pan.",
            "A cooking class for two.",
            "A nice apron.",
            "A bottle of really good olive oil.",
        ],
        [
            "Paint the walls in light colours.",
            "Hang a large mirror opposite a window.",
            "Choose furniture with built-in storage.",
            "Keep surfaces clear of clutter.",
            "Use light curtains that let the daylight in.",
            "Pick furniture with visible legs.",
            "Put up wall shelves instead of bulky cabinets.",
        ],
        [
            "Study in short sessions with breaks in between.",
            "Test yourself instead of just rereading.",
            "Explain the topic out loud as if you were teaching it.",
            "Leave your phone in another room.",
            "Review your notes on the same day.",
            "Mix different subjects in one session.",
            "Get a good night's sleep before an exam.",
        ],
        [
            "Bring your own bags.",
            "Buy local, seasonal produce.",
            "Choose products with less packaging.",
            "Plan your meals so less food goes to waste.",
            "Buy second-hand when you can.",
            "Pick refillable containers.",
            "Repair things before replacing them.",
        ],
    ],
    "es": [
        [
            "Acuéstate y levántate a la misma hora todos los días.",
            "Mantén el dormitorio oscuro, silencioso y fresco.",
            "Evita el café y otras bebidas con cafeína a partir del mediodía.",
            "Deja el móvil una hora antes de acostarte.",
            "Toma algo de luz natural y haz ejercicio durante el día.",
            "No cenes demasiado fuerte ni muy tarde.",
            "Relájate antes de dormir con algo tranquilo, como leer o respirar despacio.",
        ],
        [
            "Date duchas más cortas.",
            "Cierra el grifo mientras te lavas los dientes.",
            "Arregla los grifos que gotean y las cisternas que pierden agua.",
            "Pon la lavadora y el lavavajillas solo cuando estén llenos.",
            "Riega las plantas a primera hora de la mañana o al atardecer.",
            "Recoge agua de lluvia para el jardín.",
            "Guarda una jarra de agua fría en la nevera en vez de dejar correr el grifo.",
        ],
        [
            "Crema solar con protección alta.",
            "Una toalla grande para tumbarte.",
            "Un sombrero y unas gafas de sol.",
            "Mucha agua para beber.",
            "Una muda de ropa seca.",
            "Algo de fruta o un tentempié ligero.",
            "Una sombrilla para tener sombra.",
        ],
        [
            "Avena con fruta y un puñado de frutos secos.",
            "Yogur natural con frutos rojos.",
            "Tostada integral con aguacate.",
            "Huevos revueltos con espinacas.",
            "Un batido de plátano, avena y leche.",
            "Gachas de arroz con verduras.",
            "Un cuenco de fruta fresca con semillas.",
        ],
        [
            "Hornear pan o unas galletas.",
            "Hacer un puzle.",
            "Organizar una tarde de juegos de mesa.",
            "Ver una película clásica.",
            "Empezar ese libro que tienes pendiente.",
            "Probar a dibujar o pintar algo sencillo.",
            "Ordenar y reorganizar un armario.",
        ],
        [
            "Ver series en ese idioma con subtítulos.",
            "Buscar a alguien en internet para hacer intercambio de conversación.",
            "Aprender unas cuantas palabras nuevas al día con tarjetas.",
            "Escuchar pódcasts pensados para estudiantes.",
            "Escribir un diario breve en ese idioma.",
            "Poner el móvil en ese idioma.",
            "Leer libros sencillos o cuentos infantiles.",
        ],
        [
            "Hacer una pausa corta más o menos cada hora.",
            "Escribir una lista de tareas y empezar por la más importante.",
            "Salir a caminar a la hora de comer.",
            "Desactivar las notificaciones cuando necesites concentrarte.",
            "Hablar con un compañero de confianza.",
            "Fijar una hora clara para terminar de trabajar cada día.",
            "Dedicar unos minutos a respirar despacio y hondo.",
        ],
        [
            "La presión de los neumáticos, incluida la rueda de repuesto.",
            "Los niveles de aceite y de refrigerante.",
            "Que funcionen todas las luces.",
            "Los limpiaparabrisas y el líquido limpiacristales.",
            "Que llevas el carné y los papeles del seguro.",
            "La ruta y dónde vas a parar a descansar.",
            "Que el depósito esté lleno.",
        ],
        [
            "Un buen cuchillo de cocinero.",
            "Un libro de recetas de una cocina que le encante.",
            "Un juego de especias de calidad.",
            "Una sartén de hierro fundido.",
            "Una clase de cocina para dos.",
            "Un delantal bonito.",
            "Una botella de aceite de oliva muy bueno.",
        ],
        [
            "Pintar las paredes de colores claros.",
            "Colgar un espejo grande frente a una ventana.",
            "Elegir muebles con espacio de almacenaje.",
            "Mantener las superficies despejadas.",
            "Usar cortinas ligeras que dejen pasar la luz.",
            "Escoger muebles con patas a la vista.",
            "Poner estantes en la pared en lugar de muebles voluminosos.",
        ],
        [
            "Estudiar en sesiones cortas con descansos entre medias.",
            "Ponerte a prueba en lugar de limitarte a releer.",
            "Explicar el tema en voz alta como si lo estuvieras enseñando.",
            "Dejar el móvil en otra habitación.",
            "Repasar los apuntes el mismo día.",
            "Alternar distintas asignaturas en una misma sesión.",
            "Dormir bien la noche antes de un examen.",
        ],
        [
            "Llevar tus propias bolsas.",
            "Comprar productos locales y de temporada.",
            "Elegir productos con menos envases.",
            "Planificar las comidas para desperdiciar menos.",
            "Comprar de segunda mano cuando puedas.",
            "Optar por envases reutilizables.",
            "Reparar las cosas antes de sustituirlas.",
        ],
    ],
    "it": [
        [
            "Vai a letto e svegliati alla stessa ora ogni giorno.",
            "Tieni la camera buia, silenziosa e fresca.",
            "Evita il caffè e altre bevande con caffeina dopo mezzogiorno.",
            "Metti via il telefono un'ora prima di andare a dormire.",
            "Prendi un po' di luce naturale e fai attività fisica durante il giorno.",
            "Non fare cene abbondanti a tarda sera.",
            "Rilassati prima di dormire con qualcosa di tranquillo, come leggere o respirare lentamente.",
        ],
        [
            "Fai docce più brevi.",
            "Chiudi il rubinetto mentre ti lavi i denti.",
            "Ripara i rubinetti che gocciolano e lo sciacquone che perde.",
            "Avvia la lavatrice e la lavastoviglie solo a pieno carico.",
            "Innaffia le piante al mattino presto o la sera.",
            "Raccogli l'acqua piovana per il giardino.",
            "Tieni una caraffa d'acqua fresca in frigo invece di far scorrere il rubinetto.",
        ],
        [
            "Crema solare ad alta protezione.",
            "Un asciugamano grande per sdraiarti.",
            "Un cappello e un paio di occhiali da sole.",
            "Tanta acqua da bere.",
            "Un cambio di vestiti asciutti.",
            "Un po' di frutta o uno spuntino leggero.",
            "Un ombrellone per stare all'ombra.",
        ],
        [
            "Fiocchi d'avena con frutta e una manciata di frutta secca.",
            "Yogurt bianco con frutti di bosco.",
            "Pane integrale tostato con avocado.",
            "Uova strapazzate con spinaci.",
            "Un frullato di banana, avena e latte.",
            "Porridge di riso con verdure.",
            "Una ciotola di frutta fresca con semi.",
        ],
        [
            "Preparare il pane o dei biscotti.",
            "Fare un puzzle.",
            "Organizzare un pomeriggio di giochi da tavolo.",
            "Guardare un film classico.",
            "Iniziare quel libro che volevi leggere da tempo.",
            "Provare a disegnare o dipingere qualcosa di semplice.",
            "Mettere in ordine e riorganizzare un armadio.",
        ],
        [
            "Guardare serie in quella lingua con i sottotitoli.",
            "Trovare online qualcuno con cui conversare.",
            "Imparare qualche parola nuova ogni giorno con le flashcard.",
            "Ascoltare podcast pensati per chi studia la lingua.",
            "Scrivere un breve diario in quella lingua.",
            "Impostare il telefono in quella lingua.",
            "Leggere libri semplici o fiabe per bambini.",
        ],
        [
            "Fare una breve pausa più o meno ogni ora.",
            "Scrivere una lista delle cose da fare e cominciare dalla più importante.",
            "Fare una passeggiata in pausa pranzo.",
            "Disattivare le notifiche quando devi concentrarti.",
            "Parlare con un collega di cui ti fidi.",
            "Stabilire un orario preciso per smettere di lavorare ogni giorno.",
            "Dedicare qualche minuto a respirare lentamente e a fondo.",
        ],
        [
            "La pressione delle gomme, compresa la ruota di scorta.",
            "I livelli dell'olio e del liquido di raffreddamento.",
            "Che tutte le luci funzionino.",
            "I tergicristalli e il liquido lavavetri.",
            "Di avere in auto patente e documenti dell'assicurazione.",
            "Il percorso e i punti in cui fermarti a riposare.",
            "Che il serbatoio sia pieno.",
        ],
        [
            "Un buon coltello da chef.",
            "Un libro di ricette di una cucina che adora.",
            "Un set di spezie di qualità.",
            "Una padella in ghisa.",
            "Un corso di cucina per due.",
            "Un bel grembiule.",
            "Una bottiglia di olio d'oliva davvero buono.",
        ],
        [
            "Dipingere le pareti con colori chiari.",
            "Appendere un grande specchio di fronte a una finestra.",
            "Scegliere mobili contenitori.",
            "Tenere le superfici libere dal disordine.",
            "Usare tende leggere che lascino entrare la luce.",
            "Preferire mobili con le gambe a vista.",
            "Montare mensole a muro al posto di mobili ingombranti.",
        ],
        [
            "Studiare in sessioni brevi con delle pause.",
            "Metterti alla prova invece di limitarti a rileggere.",
            "Spiegare l'argomento ad alta voce come se lo stessi insegnando.",
            "Lasciare il telefono in un'altra stanza.",
            "Ripassare gli appunti il giorno stesso.",
            "Alternare materie diverse nella stessa sessione.",
            "Dormire bene la notte prima di un esame.",
        ],
        [
            "Portare le borse da casa.",
            "Comprare prodotti locali e di stagione.",
            "Scegliere prodotti con meno imballaggi.",
            "Pianificare i pasti per sprecare meno cibo.",
            "Comprare usato quando puoi.",
            "Preferire contenitori ricaricabili.",
            "Riparare le cose prima di sostituirle.",
        ],
    ],
    "ko": [
        [
            "매일 같은 시간에 자고 일어나기",
            "침실을 어둡고 조용하고 시원하게 유지하기",
            "점심 이후에는 커피 등 카페인 음료 피하기",
            "잠들기 한 시간 전에는 휴대폰 내려놓기",
            "낮에 햇볕을 쬐고 몸을 움직이기",
            "늦은 저녁에 과식하지 않기",
            "자기 전에 책 읽기나 천천히 호흡하기처럼 차분한 활동하기",
        ],
        [
            "샤워 시간 줄이기",
            "양치하는 동안 수도꼭지 잠그기",
            "물이 새는 수도꼭지와 변기 고치기",
            "세탁기와 식기세척기는 가득 찼을 때만 돌리기",
            "화분에는 이른 아침이나 저녁에 물 주기",
            "빗물을 모아 정원에 쓰기",
            "찬물이 나올 때까지 틀어 두지 말고 냉장고에 물병 넣어 두기",
        ],
        [
            "자외선 차단 지수가 높은 선크림",
            "누울 때 쓸 큰 수건",
            "모자와 선글라스",
            "넉넉한 양의 마실 물",
            "갈아입을 마른 옷",
            "과일이나 가벼운 간식",
            "그늘을 만들어 줄 파라솔",
        ],
        [
            "과일과 견과류를 곁들인 오트밀",
            "베리를 올린 플레인 요거트",
            "아보카도를 올린 통곡물 토스트",
            "시금치를 넣은 스크램블드에그",
            "바나나, 귀리, 우유로 만든 스무디",
            "채소를 넣은 죽",
            "씨앗을 뿌린 신선한 과일 한 그릇",
        ],
        [
            "빵이나 쿠키 굽기",
            "직소 퍼즐 맞추기",
            "보드게임 하며 오후 보내기",
            "고전 영화 보기",
            "미뤄 두었던 책 읽기 시작하기",
            "간단한 그림 그리기나 색칠하기",
            "옷장 정리하기",
        ],
        [
            "자막을 켜고 그 언어로 된 드라마 보기",
            "온라인에서 언어 교환 상대 찾기",
            "단어 카드로 매일 새 단어 몇 개씩 외우기",
            "학습자를 위한 팟캐스트 듣기",
            "그 언어로 짧은 일기 쓰기",
            "휴대폰 언어 설정을 그 언어로 바꾸기",
            "쉬운 책이나 동화책 읽기",
        ],
        [
            "한 시간 정도마다 잠깐씩 쉬기",
            "할 일 목록을 쓰고 가장 중요한 일부터 하기",
            "점심시간에 산책하기",
            "집중해야 할 때는 알림 끄기",
            "믿을 만한 동료와 이야기 나누기",
            "매일 퇴근 시간을 분명히 정해 두기",
            "몇 분 동안 천천히 깊게 호흡하기",
        ],
        [
            "스페어타이어를 포함한 타이어 공기압",
            "엔진 오일과 냉각수 양",
            "모든 등이 제대로 켜지는지",
            "와이퍼와 워셔액",
            "운전면허증과 보험 서류를 챙겼는지",
            "경로와 중간에 쉴 곳",
            "연료가 가득 차 있는지",
        ],
        [
            "좋은 셰프 나이프",
            "친구가 좋아하는 나라 요리의 요리책",
            "품질 좋은 향신료 세트",
            "무쇠 프라이팬",
            "둘이 함께 듣는 요리 수업",
            "예쁜 앞치마",
            "질 좋은 올리브유 한 병",
        ],
        [
            "벽을 밝은 색으로 칠하기",
            "창문 맞은편에 큰 거울 걸기",
            "수납공간이 있는 가구 고르기",
            "물건을 늘어놓지 않고 깔끔하게 유지하기",
            "햇빛이 잘 들어오는 얇은 커튼 달기",
            "다리가 보이는 가구 고르기",
            "부피가 큰 수납장 대신 벽 선반 달기",
        ],
        [
            "중간중간 쉬면서 짧게 나눠 공부하기",
            "다시 읽기만 하지 말고 스스로 문제 내 보기",
            "남에게 가르치듯 소리 내어 설명해 보기",
            "휴대폰은 다른 방에 두기",
            "배운 내용은 그날 바로 복습하기",
            "한 번에 여러 과목을 섞어서 공부하기",
            "시험 전날 밤에는 충분히 자기",
        ],
        [
            "장바구니 챙겨 가기",
            "제철 지역 농산물 사기",
            "포장이 적은 제품 고르기",
            "음식물 쓰레기가 덜 나오도록 식단 계획하기",
            "가능하면 중고로 사기",
            "리필할 수 있는 용기 고르기",
            "새로 사기 전에 먼저 고쳐 쓰기",
        ],
    ],
    "zh": [
        [
            "每天固定时间睡觉和起床。",
            "让卧室保持黑暗、安静、凉爽。",
            "中午过后尽量不喝咖啡等含咖啡因的饮料。",
            "睡前一小时放下手机。",
            "白天多晒太阳、多活动。",
            "晚上不要吃得太晚太饱。",
            "睡前做些放松的事，比如看书或慢慢深呼吸。",
        ],
        [
            "缩短洗澡时间。",
            "刷牙时关掉水龙头。",
            "及时修好滴水的水龙头和漏水的马桶。",
            "洗衣机和洗碗机装满了再用。",
            "在清晨或傍晚给植物浇水。",
            "收集雨水用来浇花园。",
            "在冰箱里放一壶凉水，不用一直开着水龙头等凉水。",
        ],
        [
            "高倍数防晒霜。",
            "一条可以躺的大毛巾。",
            "一顶帽子和一副太阳镜。",
            "足够的饮用水。",
            "一套干爽的换洗衣服。",
            "一些水果或轻便的零食。",
            "一把遮阳伞。",
        ],
        [
            "燕麦粥配水果和一小把坚果。",
            "原味酸奶配莓果。",
            "全麦吐司配牛油果。",
            "菠菜炒鸡蛋。",
            "用香蕉、燕麦和牛奶打的奶昔。",
            "蔬菜粥。",
            "一碗新鲜水果，撒点芝麻或亚麻籽。",
        ],
        [
            "烤面包或饼干。",
            "拼一幅拼图。",
            "约上家人玩一下午桌游。",
            "看一部经典电影。",
            "开始读一本一直想读的书。",
            "试着画一幅简单的画。",
            "整理一下衣柜。",
        ],
        [
            "看带字幕的外语剧。",
            "在网上找一个语伴练口语。",
            "用单词卡每天记几个新单词。",
            "听专门为学习者制作的播客。",
            "用这门语言写简短的日记。",
            "把手机语言设置成这门语言。",
            "读简单的书或儿童故事。",
        ],
        [
            "大约每小时休息一小会儿。",
            "列一张待办清单，先做最重要的事。",
            "午饭时间出去散散步。",
            "需要专心时关掉消息通知。",
            "和信得过的同事聊一聊。",
            "每天给自己定一个明确的下班时间。",
            "花几分钟慢慢地深呼吸。",
        ],
        [
            "轮胎气压，包括备胎。",
            "机油和冷却液的液位。",
            "所有车灯是否正常。",
            "雨刮器和玻璃水。",
            "驾照和保险单据有没有带齐。",
            "行车路线和中途休息的地点。",
            "油箱是否加满。",
        ],
        [
            "一把好用的主厨刀。",
            "一本对方喜欢的菜系的菜谱。",
            "一套优质香料。",
            "一口铸铁锅。",
            "一节双人烹饪课。",
            "一条好看的围裙。",
            "一瓶上好的橄榄油。",
        ],
        [
            "把墙刷成浅色。",
            "在窗户对面挂一面大镜子。",
            "选择带收纳功能的家具。",
            "台面上尽量不堆杂物。",
            "用透光的薄窗帘。",
            "挑选露出腿脚的家具。",
            "用墙上的搁板代替笨重的柜子。",
        ],
        [
            "分成短时段学习，中间穿插休息。",
            "多做自测，不要只是反复看书。",
            "像给别人讲课一样把内容大声讲出来。",
            "把手机放在另一个房间。",
            "当天就复习笔记。",
            "一次学习时交替复习不同科目。",
            "考试前一晚睡个好觉。",
        ],
        [
            "自带购物袋。",
            "购买本地的时令农产品。",
            "选择包装更少的商品。",
            "提前规划三餐，减少食物浪费。",
            "能买二手的就买二手。",
            "选择可以续装的容器。",
            "东西坏了先修，再考虑换新。",
        ],
    ],
}

COUNT_FRAMES = {
    "en": [
        "Give me {n} {topic}.",
        "Can you list {n} {topic}?",
        "I'd like exactly {n} {topic}, please.",
        "Please suggest {n} {topic}.",
        "List {n} {topic}; a short list is fine.",
        "Could you come up with {n} {topic}?",
    ],
    "es": [
        "Dame {n} {topic}.",
        "¿Puedes hacer una lista de {n} {topic}?",
        "Quiero exactamente {n} {topic}, por favor.",
        "Sugiéreme {n} {topic}.",
        "Enumera {n} {topic}; con una lista breve basta.",
        "¿Se te ocurren {n} {topic}?",
    ],
    "it": [
        "Dammi {n} {topic}.",
        "Puoi elencarmi {n} {topic}?",
        "Vorrei esattamente {n} {topic}, per favore.",
        "Suggeriscimi {n} {topic}.",
        "Elenca {n} {topic}: basta un elenco breve.",
        "Ti vengono in mente {n} {topic}?",
    ],
    "ko": [
        "{topic} {n}가지를 알려 주세요.",
        "{topic} {n}가지만 정리해 줄래?",
        "{topic_obj} 정확히 {n}가지 추천해 주세요.",
        "{topic} {n}가지를 추천해 줘.",
        "{topic} {n}가지를 목록으로 알려 주세요. 짧게요.",
        "{topic} {n}가지만 떠오르는 대로 말해 줄 수 있어?",
    ],
    "zh": [
        "给我{n}{cl}{topic}。",
        "能列出{n}{cl}{topic}吗？",
        "请正好给我{n}{cl}{topic}。",
        "推荐{n}{cl}{topic}吧。",
        "列举{n}{cl}{topic}，简单列个清单就行。",
        "你能想到{n}{cl}{topic}吗？",
    ],
}

COUNT_INTROS = {
    "en": ["Here are some ideas:", "Sure, here's a short list:", "Here you go:"],
    "es": ["Aquí tienes algunas ideas:", "Claro, aquí va una lista breve:", "Ahí van:"],
    "it": ["Ecco qualche idea:", "Certo, ecco un breve elenco:", "Ecco a te:"],
    "ko": ["몇 가지 정리해 드릴게요:", "물론이죠. 간단히 정리하면 다음과 같아요:", "이런 것들이 있어요:"],
    "zh": ["给你整理了一下：", "好的，简单列一下：", "可以参考下面这些："],
}

MIN_ITEMS, MAX_ITEMS = 3, 6


def sample_count(rng, split):
    topic = pick(rng, TOPICS["en"], split)
    n = rng.randint(MIN_ITEMS, MAX_ITEMS)
    pool = len(ITEMS["en"][topic])
    wrong = rng.choice([m for m in (n - 1, n + 1, n + 2) if 2 <= m <= pool])
    chosen = tuple(sorted(rng.sample(range(pool), n)))
    if wrong < n:
        rejected = tuple(sorted(rng.sample(chosen, wrong)))
    else:
        extra = rng.sample([i for i in range(pool) if i not in chosen], wrong - n)
        rejected = tuple(sorted(chosen + tuple(extra)))
    return (
        "count",
        topic,
        n,
        chosen,
        rejected,
        pick(rng, COUNT_FRAMES["en"], split),
        rng.randrange(len(COUNT_INTROS["en"])),
    )


def _numbered(lang: str, intro: int, items: list[str]) -> str:
    lines = [COUNT_INTROS[lang][intro], ""]
    lines += [f"{i}. {text}" for i, text in enumerate(items, 1)]
    return "\n".join(lines)


def render_count(spec, lang):
    _, topic, n, chosen, rejected, frame, intro = spec
    phrase = TOPICS[lang][topic]
    cl = ""
    if lang == "zh":
        phrase, cl = phrase
    prompt = COUNT_FRAMES[lang][frame].format(n=n, topic=phrase, cl=cl, topic_obj=josa(phrase, "을/를"))
    items = ITEMS[lang][topic]
    return (
        prompt,
        _numbered(lang, intro, [items[i] for i in chosen]),
        _numbered(lang, intro, [items[i] for i in rejected]),
    )


# ==== chat-relevance: answer the question that was asked =================================================

# Questions: three phrasings per facet (the third is held out for evaluation).
QUESTIONS = {
    "capital": {
        "en": [
            "What is the capital {of}?",
            "Which city is the capital {of}?",
            "Do you know what the capital {of} is?",
        ],
        "es": [
            "¿Cuál es la capital {of}?",
            "¿Qué ciudad es la capital {of}?",
            "¿Sabes cuál es la capital {of}?",
        ],
        "it": ["Qual è la capitale {of}?", "Quale città è la capitale {of}?", "Sai qual è la capitale {of}?"],
        "ko": ["{c}의 수도는 어디인가요?", "{c}의 수도가 어느 도시예요?", "{c}의 수도가 어디인지 알아?"],
        "zh": ["{c}的首都是哪里？", "{c}的首都是哪座城市？", "你知道{c}的首都是哪儿吗？"],
    },
    "currency": {
        "en": [
            "What currency is used {in}?",
            "What money do people pay with {in}?",
            "I'm travelling to {c} soon. What currency do they use there?",
        ],
        "es": [
            "¿Qué moneda se usa {in}?",
            "¿Con qué moneda se paga {in}?",
            "Pronto me voy de viaje {to}. ¿Qué moneda se usa allí?",
        ],
        "it": [
            "Che valuta si usa {in}?",
            "Con quale moneta si paga {in}?",
            "Tra poco vado {in}. Che valuta usano lì?",
        ],
        "ko": [
            "{c}에서 쓰는 화폐는 뭐예요?",
            "{c}의 통화는 무엇인가요?",
            "곧 {c}에 여행 가는데, 거기서는 어떤 돈을 써?",
        ],
        "zh": ["{c}用的是什么货币？", "在{c}买东西用什么钱？", "我马上要去{c}旅行，那里用什么货币？"],
    },
    "language": {
        "en": [
            "What language do people mainly speak {in}?",
            "Which language is spoken {in}?",
            "If I visit {c}, what language will I hear most?",
        ],
        "es": [
            "¿Qué idioma se habla principalmente {in}?",
            "¿Qué lengua se habla {in}?",
            "Si viajo {to}, ¿qué idioma es el que más voy a oír?",
        ],
        "it": [
            "Che lingua si parla principalmente {in}?",
            "Quale lingua si parla {in}?",
            "Se vado {in}, che lingua sentirò parlare di più?",
        ],
        "ko": [
            "{c}에서는 주로 어떤 언어를 써요?",
            "{c}에서 쓰는 언어는 뭐예요?",
            "{c}에 가면 어떤 언어를 가장 많이 듣게 될까?",
        ],
        "zh": ["{c}人主要说什么语言？", "{c}通用什么语言？", "如果去{c}，最常听到的是哪种语言？"],
    },
    "continent": {
        "en": [
            "Which continent is {c} in?",
            "What continent is {c} part of?",
            "I always forget: which continent is {c} on?",
        ],
        "es": [
            "¿En qué continente está {c}?",
            "¿A qué continente pertenece {c}?",
            "Siempre se me olvida: ¿en qué continente está {c}?",
        ],
        "it": [
            "In quale continente si trova {art}?",
            "A quale continente appartiene {art}?",
            "Mi sfugge sempre: in che continente si trova {art}?",
        ],
        "ko": [
            "{c_top} 어느 대륙에 있나요?",
            "{c_top} 어느 대륙에 속해요?",
            "매번 헷갈리는데, {c_top} 어느 대륙이야?",
        ],
        "zh": ["{c}在哪个洲？", "{c}属于哪个大洲？", "我总是记不清：{c}位于哪个洲？"],
    },
}


def sample_relevance(rng, split):
    ci = pick(rng, COUNTRIES, split)
    c = COUNTRIES[ci]
    facets = [f for f in FACETS if getattr(c, f) is not None]
    asked, answered = rng.sample(facets, 2)
    return (
        "relevance",
        ci,
        asked,
        answered,
        pick(rng, QUESTIONS[asked]["en"], split),
        rng.randrange(2),
        rng.randrange(2),
    )


def render_relevance(spec, lang):
    _, ci, asked, answered, frame, v_chosen, v_rejected = spec
    c = COUNTRIES[ci]
    prompt = QUESTIONS[asked][lang][frame].format(**country_fields(c, lang))
    return prompt, fact_sentence(asked, v_chosen, c, lang), fact_sentence(answered, v_rejected, c, lang)


SUBSETS = [
    Subset(
        "chat-language",
        "chat",
        "language",
        sample_language,
        render_language,
        "a message in the requested language vs the same message in another language",
    ),
    Subset(
        "chat-count",
        "chat",
        "count",
        sample_count,
        render_count,
        "the requested number of list items vs a different number",
    ),
    Subset(
        "chat-relevance",
        "chat",
        "relevance",
        sample_relevance,
        render_relevance,
        "an answer to the question asked vs a true answer to a different question",
    ),
]
