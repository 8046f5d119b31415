"""Real-looking reporting in the five languages the benchmark's evidence arrives in.

Each language has its own words in its own script, so PostgreSQL's per-language configurations
(english, russian, arabic; simple for Persian and Hebrew) index and stem real text. A sentence is
subject + verb + object + place + time, picked by the caller's seeded RNG, with the English
rendering built from the same picks: the translation says what the original says.

`SEARCH_WORDS` are the per-language queries the runner sends; every one of them occurs in the
vocabulary, so each search has hits at any scale.
"""

from __future__ import annotations

import random

# Parallel lists: index i of a language's list means index i of the English list.
SUBJECTS = {
    "en": [
        "the foreign minister",
        "a senior delegation",
        "the movement's political bureau",
        "an intelligence officer",
        "the defence ministry",
        "a private military company",
        "the embassy",
        "a shipping company",
        "a finance official",
        "the military wing",
    ],
    "ru": [
        "министр иностранных дел",
        "высокопоставленная делегация",
        "политбюро движения",
        "офицер разведки",
        "министерство обороны",
        "частная военная компания",
        "посольство",
        "судоходная компания",
        "финансовый чиновник",
        "военное крыло",
    ],
    "ar": [
        "وزير الخارجية",
        "وفد رفيع المستوى",
        "المكتب السياسي للحركة",
        "ضابط استخبارات",
        "وزارة الدفاع",
        "شركة عسكرية خاصة",
        "السفارة",
        "شركة شحن",
        "مسؤول مالي",
        "الجناح العسكري",
    ],
    "fa": [
        "وزیر امور خارجه",
        "هیئت عالی‌رتبه",
        "دفتر سیاسی جنبش",
        "افسر اطلاعاتی",
        "وزارت دفاع",
        "شرکت نظامی خصوصی",
        "سفارت",
        "شرکت کشتیرانی",
        "مقام مالی",
        "شاخه نظامی",
    ],
    "he": [
        "שר החוץ",
        "משלחת בכירה",
        "הלשכה המדינית של התנועה",
        "קצין מודיעין",
        "משרד הביטחון",
        "חברה צבאית פרטית",
        "השגרירות",
        "חברת ספנות",
        "פקיד כספים",
        "הזרוע הצבאית",
    ],
}
VERBS = {
    "en": [
        "met with",
        "transferred weapons to",
        "held negotiations with",
        "sent funds to",
        "trained fighters of",
        "signed an agreement with",
        "hosted a meeting with",
        "supplied drones to",
    ],
    "ru": [
        "встретился с представителями",
        "передал оружие для",
        "провёл переговоры с",
        "перевёл средства для",
        "обучал боевиков из",
        "подписал соглашение с",
        "принял на встрече",
        "поставил беспилотники для",
    ],
    "ar": [
        "التقى مع",
        "نقل أسلحة إلى",
        "أجرى مفاوضات مع",
        "أرسل أموالا إلى",
        "درّب مقاتلين من",
        "وقّع اتفاقا مع",
        "استضاف اجتماعا مع",
        "زوّد بطائرات مسيرة",
    ],
    "fa": [
        "دیدار کرد با",
        "سلاح منتقل کرد به",
        "مذاکره کرد با",
        "پول فرستاد به",
        "رزمندگان را آموزش داد از",
        "توافق امضا کرد با",
        "میزبان نشست بود با",
        "پهپاد تحویل داد به",
    ],
    "he": [
        "נפגש עם",
        "העביר נשק אל",
        "ניהל משא ומתן עם",
        "העביר כספים אל",
        "אימן לוחמים של",
        "חתם על הסכם עם",
        "אירח פגישה עם",
        "סיפק רחפנים אל",
    ],
}
OBJECTS = {
    "en": [
        "Hamas representatives",
        "Iranian officials",
        "a Wagner group commander",
        "a crypto exchange",
        "Hezbollah envoys",
        "the Palestinian delegation",
    ],
    "ru": [
        "ХАМАС",
        "иранских чиновников",
        "командира группы Вагнер",
        "криптовалютной биржи",
        "посланников Хезболлы",
        "палестинской делегации",
    ],
    "ar": [
        "ممثلي حماس",
        "مسؤولين إيرانيين",
        "قائد مجموعة فاغنر",
        "منصة للعملات المشفرة",
        "مبعوثي حزب الله",
        "الوفد الفلسطيني",
    ],
    "fa": [
        "نمایندگان حماس",
        "مقامات ایرانی",
        "فرمانده گروه واگنر",
        "صرافی رمزارز",
        "فرستادگان حزب‌الله",
        "هیئت فلسطینی",
    ],
    "he": [
        "נציגי חמאס",
        "בכירים איראנים",
        "מפקד קבוצת ואגנר",
        "בורסת מטבעות קריפטו",
        "שליחי חיזבאללה",
        "המשלחת הפלסטינית",
    ],
}
PLACES = {
    "en": ["in Moscow", "in Tehran", "in Beirut", "in Doha", "in Damascus", "in Istanbul"],
    "ru": ["в Москве", "в Тегеране", "в Бейруте", "в Дохе", "в Дамаске", "в Стамбуле"],
    "ar": ["في موسكو", "في طهران", "في بيروت", "في الدوحة", "في دمشق", "في إسطنبول"],
    "fa": ["در مسکو", "در تهران", "در بیروت", "در دوحه", "در دمشق", "در استانبول"],
    "he": ["במוסקבה", "בטהרן", "בביירות", "בדוחה", "בדמשק", "באיסטנבול"],
}
TIMES = {
    "en": ["last week", "two weeks before the attack", "in March", "earlier this year"],
    "ru": ["на прошлой неделе", "за две недели до нападения", "в марте", "в начале года"],
    "ar": ["الأسبوع الماضي", "قبل أسبوعين من الهجوم", "في مارس", "في وقت سابق من هذا العام"],
    "fa": ["هفته گذشته", "دو هفته پیش از حمله", "در ماه مارس", "اوایل امسال"],
    "he": ["בשבוע שעבר", "שבועיים לפני המתקפה", "בחודש מרץ", "מוקדם יותר השנה"],
}
HEDGES = {
    "en": ["according to unnamed sources", "the report said", "officials confirmed", ""],
    "ru": [
        "по словам неназванных источников",
        "говорится в сообщении",
        "подтвердили чиновники",
        "",
    ],
    "ar": ["وفقا لمصادر لم تسمها", "بحسب التقرير", "أكد المسؤولون", ""],
    "fa": ["به گفته منابع ناشناس", "در این گزارش آمده است", "مقامات تأیید کردند", ""],
    "he": ["לפי מקורות עלומים", "נמסר בדיווח", "גורמים רשמיים אישרו", ""],
}

LANGUAGES = ("en", "ru", "ar", "fa", "he")
# A word of each language's vocabulary (the search benchmark's queries).
SEARCH_WORDS = {
    "en": "negotiations",
    "ru": "переговоры",
    "ar": "مفاوضات",
    "fa": "مذاکره",
    "he": "הסכם",
}

QUESTION_TOPICS = [
    "Russian support for Hamas",
    "Iranian weapons transfers",
    "Wagner group activity in the Middle East",
    "crypto financing of armed groups",
    "Hezbollah's readiness on the northern front",
    "drone supply chains",
    "diplomatic contacts in Doha",
    "training camps abroad",
    "shipping routes for arms",
    "sanctions evasion by front companies",
]
QUESTION_FORMS = [
    "Did {actor} provide {what} ahead of the attack?",
    "What is the extent of {what} since 2022?",
    "Who coordinated {what}, and through which channels?",
    "Is {what} likely to continue over the next six months?",
    "How reliable is the reporting on {what}?",
]


def sentence(rng: random.Random, language: str) -> tuple[str, str]:
    """One reported sentence in `language`, and its English rendering."""
    picks = (
        rng.randrange(len(SUBJECTS["en"])),
        rng.randrange(len(VERBS["en"])),
        rng.randrange(len(OBJECTS["en"])),
        rng.randrange(len(PLACES["en"])),
        rng.randrange(len(TIMES["en"])),
        rng.randrange(len(HEDGES["en"])),
    )

    def render(lang: str) -> str:
        s, v, o, p, t, h = picks
        words = [
            SUBJECTS[lang][s],
            VERBS[lang][v],
            OBJECTS[lang][o],
            PLACES[lang][p],
            TIMES[lang][t],
        ]
        text = " ".join(words)
        hedge = HEDGES[lang][h]
        return f"{text}, {hedge}." if hedge else f"{text}."

    english = render("en")
    return render(language), english[0].upper() + english[1:]


def question_title(rng: random.Random, n: int) -> str:
    topic = rng.choice(QUESTION_TOPICS)
    form = rng.choice(QUESTION_FORMS)
    actor = rng.choice(["Russia", "Iran", "a private military company", "Qatar", "Turkey"])
    return f"{form.format(actor=actor, what=topic)} (#{n})"
