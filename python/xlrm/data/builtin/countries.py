"""Country facts in five languages, shared by the chat (answer the question asked) and chat_hard (one
wrong fact, one-sentence format) sections.

Each field is a tuple in ``LANGUAGES`` order (en, es, it, ko, zh). Italian names carry the forms a
sentence needs: (bare, "di" form, "in" form). A ``wrong_*`` field is a plausible mistake: a former
capital or the largest city, a neighbour's or a former currency. ``None`` marks a fact left out
because the true answer is not one short phrase (several official languages, a country on two
continents).
"""

from __future__ import annotations

from dataclasses import dataclass

from xlrm.data.builtin.lexicon import CONTINENTS, LANGUAGES, cap, es_prep, it_article, it_from_di, josa

T5 = tuple


@dataclass(frozen=True)
class Country:
    key: str
    continent: str | None
    name: T5
    capital: T5
    wrong_capital: T5
    currency: T5
    wrong_currency: T5 | None
    language: T5 | None

    def field(self, name: str, lang: str) -> str | None:
        value = getattr(self, name)
        if value is None:
            return None
        if name == "continent":
            return CONTINENTS[value][lang]
        return value[LANGUAGES.index(lang)]

    def name_of(self, lang: str) -> str:
        """The genitive phrase: of France, de Francia / del Reino Unido, della Francia, 프랑스의, 法国的."""
        n = self.field("name", lang)
        if lang == "en":
            return f"of {n}"
        if lang == "es":
            return es_prep("de", n)
        if lang == "it":
            return n[1]
        if lang == "ko":
            return f"{n}의"
        return f"{n}的"

    def name_in(self, lang: str) -> str:
        """The locative phrase: in France, en Francia, in Francia / nel Regno Unito, 프랑스에서, 在法国."""
        n = self.field("name", lang)
        if lang == "en":
            return f"in {n}"
        if lang == "es":
            return f"en {n}"
        if lang == "it":
            return n[2]
        if lang == "ko":
            return f"{n}에서"
        return f"在{n}"

    def bare(self, lang: str) -> str:
        n = self.field("name", lang)
        return n[0] if lang == "it" else n


def _c(key, continent, name, capital, wrong_capital, currency, wrong_currency=None, language=None):
    return Country(key, continent, name, capital, wrong_capital, currency, wrong_currency, language)


EURO = ("the euro", "el euro", "l'euro", "유로", "欧元")
STERLING = ("the pound sterling", "la libra esterlina", "la sterlina", "영국 파운드", "英镑")
SPANISH = ("Spanish", "español", "spagnolo", "스페인어", "西班牙语")
ENGLISH = ("English", "inglés", "inglese", "영어", "英语")

COUNTRIES = [
    _c(
        "australia",
        "oceania",
        ("Australia", "Australia", ("Australia", "dell'Australia", "in Australia"), "호주", "澳大利亚"),
        ("Canberra", "Canberra", "Canberra", "캔버라", "堪培拉"),
        ("Sydney", "Sídney", "Sydney", "시드니", "悉尼"),
        ("the Australian dollar", "el dólar australiano", "il dollaro australiano", "호주 달러", "澳元"),
        STERLING,
        ENGLISH,
    ),
    _c(
        "canada",
        "north_america",
        ("Canada", "Canadá", ("Canada", "del Canada", "in Canada"), "캐나다", "加拿大"),
        ("Ottawa", "Ottawa", "Ottawa", "오타와", "渥太华"),
        ("Toronto", "Toronto", "Toronto", "토론토", "多伦多"),
        ("the Canadian dollar", "el dólar canadiense", "il dollaro canadese", "캐나다 달러", "加元"),
        ("the US dollar", "el dólar estadounidense", "il dollaro statunitense", "미국 달러", "美元"),
    ),
    _c(
        "brazil",
        "south_america",
        ("Brazil", "Brasil", ("Brasile", "del Brasile", "in Brasile"), "브라질", "巴西"),
        ("Brasília", "Brasilia", "Brasilia", "브라질리아", "巴西利亚"),
        ("Rio de Janeiro", "Río de Janeiro", "Rio de Janeiro", "리우데자네이루", "里约热内卢"),
        ("the Brazilian real", "el real brasileño", "il real brasiliano", "브라질 헤알", "巴西雷亚尔"),
        ("the cruzeiro", "el cruzeiro", "il cruzeiro", "크루제이루", "克鲁塞罗"),
        ("Portuguese", "portugués", "portoghese", "포르투갈어", "葡萄牙语"),
    ),
    _c(
        "turkey",
        None,
        ("Turkey", "Turquía", ("Turchia", "della Turchia", "in Turchia"), "튀르키예", "土耳其"),
        ("Ankara", "Ankara", "Ankara", "앙카라", "安卡拉"),
        ("Istanbul", "Estambul", "Istanbul", "이스탄불", "伊斯坦布尔"),
        ("the Turkish lira", "la lira turca", "la lira turca", "튀르키예 리라", "土耳其里拉"),
        EURO,
        ("Turkish", "turco", "turco", "튀르키예어", "土耳其语"),
    ),
    _c(
        "switzerland",
        "europe",
        ("Switzerland", "Suiza", ("Svizzera", "della Svizzera", "in Svizzera"), "스위스", "瑞士"),
        ("Bern", "Berna", "Berna", "베른", "伯尔尼"),
        ("Zurich", "Zúrich", "Zurigo", "취리히", "苏黎世"),
        ("the Swiss franc", "el franco suizo", "il franco svizzero", "스위스 프랑", "瑞士法郎"),
        EURO,
    ),
    _c(
        "new_zealand",
        "oceania",
        (
            "New Zealand",
            "Nueva Zelanda",
            ("Nuova Zelanda", "della Nuova Zelanda", "in Nuova Zelanda"),
            "뉴질랜드",
            "新西兰",
        ),
        ("Wellington", "Wellington", "Wellington", "웰링턴", "惠灵顿"),
        ("Auckland", "Auckland", "Auckland", "오클랜드", "奥克兰"),
        (
            "the New Zealand dollar",
            "el dólar neozelandés",
            "il dollaro neozelandese",
            "뉴질랜드 달러",
            "新西兰元",
        ),
        ("the Australian dollar", "el dólar australiano", "il dollaro australiano", "호주 달러", "澳元"),
        ENGLISH,
    ),
    _c(
        "morocco",
        "africa",
        ("Morocco", "Marruecos", ("Marocco", "del Marocco", "in Marocco"), "모로코", "摩洛哥"),
        ("Rabat", "Rabat", "Rabat", "라바트", "拉巴特"),
        ("Casablanca", "Casablanca", "Casablanca", "카사블랑카", "卡萨布兰卡"),
        (
            "the Moroccan dirham",
            "el dírham marroquí",
            "il dirham marocchino",
            "모로코 디르함",
            "摩洛哥迪拉姆",
        ),
    ),
    _c(
        "vietnam",
        "asia",
        ("Vietnam", "Vietnam", ("Vietnam", "del Vietnam", "in Vietnam"), "베트남", "越南"),
        ("Hanoi", "Hanói", "Hanoi", "하노이", "河内"),
        ("Ho Chi Minh City", "Ciudad Ho Chi Minh", "Città di Ho Chi Minh", "호찌민시", "胡志明市"),
        ("the Vietnamese dong", "el dong vietnamita", "il dong vietnamita", "베트남 동", "越南盾"),
        None,
        ("Vietnamese", "vietnamita", "vietnamita", "베트남어", "越南语"),
    ),
    _c(
        "nigeria",
        "africa",
        ("Nigeria", "Nigeria", ("Nigeria", "della Nigeria", "in Nigeria"), "나이지리아", "尼日利亚"),
        ("Abuja", "Abuya", "Abuja", "아부자", "阿布贾"),
        ("Lagos", "Lagos", "Lagos", "라고스", "拉各斯"),
        ("the naira", "el naira", "la naira", "나이라", "奈拉"),
    ),
    _c(
        "china",
        "asia",
        ("China", "China", ("Cina", "della Cina", "in Cina"), "중국", "中国"),
        ("Beijing", "Pekín", "Pechino", "베이징", "北京"),
        ("Shanghai", "Shanghái", "Shanghai", "상하이", "上海"),
        ("the renminbi (yuan)", "el renminbi (yuan)", "il renminbi (yuan)", "위안화", "人民币"),
        ("the Hong Kong dollar", "el dólar de Hong Kong", "il dollaro di Hong Kong", "홍콩 달러", "港元"),
        ("Mandarin Chinese", "chino mandarín", "cinese mandarino", "중국어", "普通话"),
    ),
    _c(
        "japan",
        "asia",
        ("Japan", "Japón", ("Giappone", "del Giappone", "in Giappone"), "일본", "日本"),
        ("Tokyo", "Tokio", "Tokyo", "도쿄", "东京"),
        ("Kyoto", "Kioto", "Kyoto", "교토", "京都"),
        ("the yen", "el yen", "lo yen", "엔화", "日元"),
        None,
        ("Japanese", "japonés", "giapponese", "일본어", "日语"),
    ),
    _c(
        "south_korea",
        "asia",
        (
            "South Korea",
            "Corea del Sur",
            ("Corea del Sud", "della Corea del Sud", "in Corea del Sud"),
            "한국",
            "韩国",
        ),
        ("Seoul", "Seúl", "Seul", "서울", "首尔"),
        ("Busan", "Busan", "Busan", "부산", "釜山"),
        ("the South Korean won", "el won surcoreano", "il won sudcoreano", "원화", "韩元"),
        None,
        ("Korean", "coreano", "coreano", "한국어", "韩语"),
    ),
    _c(
        "spain",
        "europe",
        ("Spain", "España", ("Spagna", "della Spagna", "in Spagna"), "스페인", "西班牙"),
        ("Madrid", "Madrid", "Madrid", "마드리드", "马德里"),
        ("Barcelona", "Barcelona", "Barcellona", "바르셀로나", "巴塞罗那"),
        EURO,
        ("the peseta", "la peseta", "la peseta", "페세타", "比塞塔"),
        SPANISH,
    ),
    _c(
        "italy",
        "europe",
        ("Italy", "Italia", ("Italia", "dell'Italia", "in Italia"), "이탈리아", "意大利"),
        ("Rome", "Roma", "Roma", "로마", "罗马"),
        ("Milan", "Milán", "Milano", "밀라노", "米兰"),
        EURO,
        ("the Italian lira", "la lira italiana", "la lira", "이탈리아 리라", "意大利里拉"),
        ("Italian", "italiano", "italiano", "이탈리아어", "意大利语"),
    ),
    _c(
        "france",
        "europe",
        ("France", "Francia", ("Francia", "della Francia", "in Francia"), "프랑스", "法国"),
        ("Paris", "París", "Parigi", "파리", "巴黎"),
        ("Lyon", "Lyon", "Lione", "리옹", "里昂"),
        EURO,
        ("the French franc", "el franco francés", "il franco francese", "프랑스 프랑", "法国法郎"),
        ("French", "francés", "francese", "프랑스어", "法语"),
    ),
    _c(
        "germany",
        "europe",
        ("Germany", "Alemania", ("Germania", "della Germania", "in Germania"), "독일", "德国"),
        ("Berlin", "Berlín", "Berlino", "베를린", "柏林"),
        ("Bonn", "Bonn", "Bonn", "본", "波恩"),
        EURO,
        ("the Deutsche Mark", "el marco alemán", "il marco tedesco", "독일 마르크", "德国马克"),
        ("German", "alemán", "tedesco", "독일어", "德语"),
    ),
    _c(
        "uk",
        "europe",
        (
            "the United Kingdom",
            "el Reino Unido",
            ("Regno Unito", "del Regno Unito", "nel Regno Unito"),
            "영국",
            "英国",
        ),
        ("London", "Londres", "Londra", "런던", "伦敦"),
        ("Edinburgh", "Edimburgo", "Edimburgo", "에든버러", "爱丁堡"),
        STERLING,
        EURO,
        ENGLISH,
    ),
    _c(
        "sweden",
        "europe",
        ("Sweden", "Suecia", ("Svezia", "della Svezia", "in Svezia"), "스웨덴", "瑞典"),
        ("Stockholm", "Estocolmo", "Stoccolma", "스톡홀름", "斯德哥尔摩"),
        ("Gothenburg", "Gotemburgo", "Göteborg", "예테보리", "哥德堡"),
        ("the Swedish krona", "la corona sueca", "la corona svedese", "스웨덴 크로나", "瑞典克朗"),
        EURO,
        ("Swedish", "sueco", "svedese", "스웨덴어", "瑞典语"),
    ),
    _c(
        "poland",
        "europe",
        ("Poland", "Polonia", ("Polonia", "della Polonia", "in Polonia"), "폴란드", "波兰"),
        ("Warsaw", "Varsovia", "Varsavia", "바르샤바", "华沙"),
        ("Kraków", "Cracovia", "Cracovia", "크라쿠프", "克拉科夫"),
        ("the złoty", "el esloti", "lo złoty", "즐로티", "兹罗提"),
        EURO,
        ("Polish", "polaco", "polacco", "폴란드어", "波兰语"),
    ),
    _c(
        "mexico",
        "north_america",
        ("Mexico", "México", ("Messico", "del Messico", "in Messico"), "멕시코", "墨西哥"),
        ("Mexico City", "Ciudad de México", "Città del Messico", "멕시코시티", "墨西哥城"),
        ("Guadalajara", "Guadalajara", "Guadalajara", "과달라하라", "瓜达拉哈拉"),
        ("the Mexican peso", "el peso mexicano", "il peso messicano", "멕시코 페소", "墨西哥比索"),
        None,
        SPANISH,
    ),
    _c(
        "argentina",
        "south_america",
        ("Argentina", "Argentina", ("Argentina", "dell'Argentina", "in Argentina"), "아르헨티나", "阿根廷"),
        ("Buenos Aires", "Buenos Aires", "Buenos Aires", "부에노스아이레스", "布宜诺斯艾利斯"),
        ("Córdoba", "Córdoba", "Córdoba", "코르도바", "科尔多瓦"),
        ("the Argentine peso", "el peso argentino", "il peso argentino", "아르헨티나 페소", "阿根廷比索"),
        None,
        SPANISH,
    ),
    _c(
        "egypt",
        "africa",
        ("Egypt", "Egipto", ("Egitto", "dell'Egitto", "in Egitto"), "이집트", "埃及"),
        ("Cairo", "El Cairo", "il Cairo", "카이로", "开罗"),
        ("Alexandria", "Alejandría", "Alessandria", "알렉산드리아", "亚历山大港"),
        ("the Egyptian pound", "la libra egipcia", "la lira egiziana", "이집트 파운드", "埃及镑"),
        None,
        ("Arabic", "árabe", "arabo", "아랍어", "阿拉伯语"),
    ),
    _c(
        "portugal",
        "europe",
        ("Portugal", "Portugal", ("Portogallo", "del Portogallo", "in Portogallo"), "포르투갈", "葡萄牙"),
        ("Lisbon", "Lisboa", "Lisbona", "리스본", "里斯本"),
        ("Porto", "Oporto", "Porto", "포르투", "波尔图"),
        EURO,
        ("the escudo", "el escudo", "l'escudo", "이스쿠두", "埃斯库多"),
        ("Portuguese", "portugués", "portoghese", "포르투갈어", "葡萄牙语"),
    ),
    _c(
        "norway",
        "europe",
        ("Norway", "Noruega", ("Norvegia", "della Norvegia", "in Norvegia"), "노르웨이", "挪威"),
        ("Oslo", "Oslo", "Oslo", "오슬로", "奥斯陆"),
        ("Bergen", "Bergen", "Bergen", "베르겐", "卑尔根"),
        ("the Norwegian krone", "la corona noruega", "la corona norvegese", "노르웨이 크로네", "挪威克朗"),
        EURO,
        ("Norwegian", "noruego", "norvegese", "노르웨이어", "挪威语"),
    ),
    _c(
        "denmark",
        "europe",
        ("Denmark", "Dinamarca", ("Danimarca", "della Danimarca", "in Danimarca"), "덴마크", "丹麦"),
        ("Copenhagen", "Copenhague", "Copenaghen", "코펜하겐", "哥本哈根"),
        ("Aarhus", "Aarhus", "Aarhus", "오르후스", "奥胡斯"),
        ("the Danish krone", "la corona danesa", "la corona danese", "덴마크 크로네", "丹麦克朗"),
        EURO,
        ("Danish", "danés", "danese", "덴마크어", "丹麦语"),
    ),
    _c(
        "greece",
        "europe",
        ("Greece", "Grecia", ("Grecia", "della Grecia", "in Grecia"), "그리스", "希腊"),
        ("Athens", "Atenas", "Atene", "아테네", "雅典"),
        ("Thessaloniki", "Salónica", "Salonicco", "테살로니키", "塞萨洛尼基"),
        EURO,
        ("the drachma", "el dracma", "la dracma", "드라크마", "德拉克马"),
        ("Greek", "griego", "greco", "그리스어", "希腊语"),
    ),
    _c(
        "czechia",
        "europe",
        (
            "the Czech Republic",
            "la República Checa",
            ("Repubblica Ceca", "della Repubblica Ceca", "nella Repubblica Ceca"),
            "체코",
            "捷克",
        ),
        ("Prague", "Praga", "Praga", "프라하", "布拉格"),
        ("Brno", "Brno", "Brno", "브르노", "布尔诺"),
        ("the Czech koruna", "la corona checa", "la corona ceca", "체코 코루나", "捷克克朗"),
        EURO,
        ("Czech", "checo", "ceco", "체코어", "捷克语"),
    ),
    _c(
        "peru",
        "south_america",
        ("Peru", "Perú", ("Perù", "del Perù", "in Perù"), "페루", "秘鲁"),
        ("Lima", "Lima", "Lima", "리마", "利马"),
        ("Cusco", "Cuzco", "Cusco", "쿠스코", "库斯科"),
        ("the sol", "el sol", "il sol", "솔", "索尔"),
        None,
        SPANISH,
    ),
    _c(
        "colombia",
        "south_america",
        ("Colombia", "Colombia", ("Colombia", "della Colombia", "in Colombia"), "콜롬비아", "哥伦比亚"),
        ("Bogotá", "Bogotá", "Bogotà", "보고타", "波哥大"),
        ("Medellín", "Medellín", "Medellín", "메데인", "麦德林"),
        ("the Colombian peso", "el peso colombiano", "il peso colombiano", "콜롬비아 페소", "哥伦比亚比索"),
        None,
        SPANISH,
    ),
    _c(
        "thailand",
        "asia",
        ("Thailand", "Tailandia", ("Thailandia", "della Thailandia", "in Thailandia"), "태국", "泰国"),
        ("Bangkok", "Bangkok", "Bangkok", "방콕", "曼谷"),
        ("Chiang Mai", "Chiang Mai", "Chiang Mai", "치앙마이", "清迈"),
        ("the baht", "el baht", "il baht", "바트", "泰铢"),
        None,
        ("Thai", "tailandés", "thailandese", "태국어", "泰语"),
    ),
    _c(
        "kenya",
        "africa",
        ("Kenya", "Kenia", ("Kenya", "del Kenya", "in Kenya"), "케냐", "肯尼亚"),
        ("Nairobi", "Nairobi", "Nairobi", "나이로비", "内罗毕"),
        ("Mombasa", "Mombasa", "Mombasa", "몸바사", "蒙巴萨"),
        ("the Kenyan shilling", "el chelín keniano", "lo scellino keniota", "케냐 실링", "肯尼亚先令"),
    ),
    _c(
        "chile",
        "south_america",
        ("Chile", "Chile", ("Cile", "del Cile", "in Cile"), "칠레", "智利"),
        ("Santiago", "Santiago", "Santiago", "산티아고", "圣地亚哥"),
        ("Valparaíso", "Valparaíso", "Valparaíso", "발파라이소", "瓦尔帕莱索"),
        ("the Chilean peso", "el peso chileno", "il peso cileno", "칠레 페소", "智利比索"),
        None,
        SPANISH,
    ),
    _c(
        "ireland",
        "europe",
        ("Ireland", "Irlanda", ("Irlanda", "dell'Irlanda", "in Irlanda"), "아일랜드", "爱尔兰"),
        ("Dublin", "Dublín", "Dublino", "더블린", "都柏林"),
        ("Cork", "Cork", "Cork", "코크", "科克"),
        EURO,
        STERLING,
        ENGLISH,
    ),
    _c(
        "hungary",
        "europe",
        ("Hungary", "Hungría", ("Ungheria", "dell'Ungheria", "in Ungheria"), "헝가리", "匈牙利"),
        ("Budapest", "Budapest", "Budapest", "부다페스트", "布达佩斯"),
        ("Debrecen", "Debrecen", "Debrecen", "데브레첸", "德布勒森"),
        ("the forint", "el forinto", "il fiorino ungherese", "포린트", "福林"),
        EURO,
        ("Hungarian", "húngaro", "ungherese", "헝가리어", "匈牙利语"),
    ),
    _c(
        "finland",
        "europe",
        ("Finland", "Finlandia", ("Finlandia", "della Finlandia", "in Finlandia"), "핀란드", "芬兰"),
        ("Helsinki", "Helsinki", "Helsinki", "헬싱키", "赫尔辛基"),
        ("Turku", "Turku", "Turku", "투르쿠", "图尔库"),
        EURO,
        ("the markka", "el marco finlandés", "il marco finlandese", "마르카", "芬兰马克"),
        ("Finnish", "finés", "finlandese", "핀란드어", "芬兰语"),
    ),
    _c(
        "austria",
        "europe",
        ("Austria", "Austria", ("Austria", "dell'Austria", "in Austria"), "오스트리아", "奥地利"),
        ("Vienna", "Viena", "Vienna", "빈", "维也纳"),
        ("Salzburg", "Salzburgo", "Salisburgo", "잘츠부르크", "萨尔茨堡"),
        EURO,
        (
            "the Austrian schilling",
            "el chelín austriaco",
            "lo scellino austriaco",
            "오스트리아 실링",
            "奥地利先令",
        ),
        ("German", "alemán", "tedesco", "독일어", "德语"),
    ),
]


FACETS = ("capital", "currency", "language", "continent")


def country_fields(c, lang: str) -> dict:
    name = c.bare(lang)
    f = {"c": name, "C": cap(name), "of": c.name_of(lang), "in": c.name_in(lang), "In": cap(c.name_in(lang))}
    if lang == "es":
        f["to"] = es_prep("a", name)
    if lang == "it":
        art = it_from_di(c.name_of(lang))
        f.update(art=art, Art=cap(art))
    if lang == "ko":
        f.update(c_top=josa(name, "은/는"))
    return f


# One-sentence true answers, two phrasings per facet.
FACT_TEMPLATES = {
    "capital": {
        "en": ["The capital {of} is {x}.", "{X} is the capital {of}."],
        "es": ["La capital {of} es {x}.", "{X} es la capital {of}."],
        "it": ["La capitale {of} è {x}.", "{X} è la capitale {of}."],
        "ko": ["{c}의 수도는 {x}입니다.", "{x_subj} {c}의 수도예요."],
        "zh": ["{c}的首都是{x}。", "{x}是{c}的首都。"],
    },
    "currency": {
        "en": ["{In}, people pay with {x}.", "The currency {of} is {x}."],
        "es": ["{In} se paga con {x}.", "La moneda {of} es {x}."],
        "it": ["{In} si paga con {x}.", "La valuta {of} è {x}."],
        "ko": ["{c}에서는 통화로 {x_obj} 사용합니다.", "{c}의 통화는 {x_cop}."],
        "zh": ["{c}使用的货币是{x}。", "在{c}，大家用{x}付款。"],
    },
    "language": {
        "en": ["{In}, people mainly speak {x}.", "The main language {of} is {x}."],
        "es": ["{In} se habla principalmente {x}.", "El idioma principal {of} es {x_art}."],
        "it": ["{In} si parla principalmente {x}.", "La lingua principale {of} è {x_art}."],
        "ko": ["{c}에서 주로 쓰는 언어는 {x_cop}.", "{c}의 주요 언어는 {x_cop}."],
        "zh": ["{c}人主要说{x}。", "{c}的主要语言是{x}。"],
    },
    "continent": {
        "en": ["{C} is in {x}.", "{C} is a country in {x}."],
        "es": ["{C} está en {x}.", "{C} es un país de {x}."],
        "it": ["{Art} si trova in {x}.", "{Art} fa parte dell'{x}."],
        "ko": ["{c_top} {x}에 있는 나라입니다.", "{c_top} {x}에 속해요."],
        "zh": ["{c}位于{x}。", "{c}是一个{x}国家。"],
    },
}


def fact_sentence(facet: str, variant: int, c, lang: str) -> str:
    """A one-sentence true answer about ``facet`` of country ``c`` (two phrasings per facet)."""
    f = country_fields(c, lang)
    x = c.field(facet, lang)
    f.update(x=x, X=cap(x))
    if lang == "ko":
        f.update(x_subj=josa(x, "이/가"), x_obj=josa(x, "을/를"), x_cop=josa(x, "이에요/예요"))
    if lang == "es" and facet == "language":
        f["x_art"] = "el " + x
    if lang == "it" and facet == "language":
        f["x_art"] = it_article(x)
    return FACT_TEMPLATES[facet][lang][variant].format(**f)
