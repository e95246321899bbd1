"""Name pools for synthetic people: Kazakh ones written here, Russian ones taken from Faker's ru_RU.

Faker has no Kazakhstan locale, so the Kazakh given names and surnames are listed here (common
modern names in Kazakh Cyrillic). A Kazakh patronymic is written two ways in real documents: the
traditional -ұлы / -қызы ("Нұрланұлы") and the Russified -ович / -овна ("Нурланович"), which
drops the Kazakh letters. Russian names come from Faker's own ru_RU pools. A father's patronymic follows
the regular rules (Иван -> Иванович, Алексей -> Алексеевич, Игорь -> Игоревич); where the rule is
ambiguous (-ий gives -ьевич or -иевич) the name is used as a father only if Faker's ru_RU lists
the result, and names in -а/-я only from a table of irregular forms, so none is invented wrongly.

The Faker provider (`faker_provider`) and the vectorised generator (`naming`) draw from these
same tuples. Names say nothing else about a person, and no field records which pool they came from.
"""

from __future__ import annotations

import functools

from faker.providers.person.ru_RU import Provider as RuPersonProvider

KK_MALE: tuple[str, ...] = (
    "Абай", "Абылай", "Айбек", "Айдар", "Айдос", "Ақжол", "Алдияр", "Алмас", "Алмат", "Алпамыс",
    "Амангелді", "Аманжол", "Арман", "Арнұр", "Арсен", "Асан", "Асқар", "Асылан", "Асылбек",
    "Атабек", "Ахмет", "Әбілқайыр", "Әділ", "Әділет", "Әлібек", "Әлихан", "Әміржан", "Бағдат",
    "Бақберген", "Бақдәулет", "Бақыт", "Бақытжан", "Батыр", "Бауыржан", "Бейбіт", "Бекжан",
    "Бекзат", "Берік", "Болат", "Ғабит", "Ғалым", "Ғани", "Дамир", "Данияр", "Дархан", "Дастан",
    "Дәурен", "Дінмұхамед", "Елдос", "Ербол", "Ерболат", "Ержан", "Ерлан", "Ернар", "Ерасыл",
    "Еркін", "Жақсылық", "Жанболат", "Жандос", "Жарас", "Жасұлан", "Жеңіс", "Заманбек", "Ислам",
    "Ілияс", "Қайрат", "Қайсар", "Қанат", "Қасым", "Қуаныш", "Құрманғазы", "Мағжан", "Мақсат",
    "Марат", "Мейрам", "Мирас", "Мұрат", "Мұхтар", "Назар", "Нұрбол", "Нұрдәулет", "Нұржан",
    "Нұрлан", "Нұрсұлтан", "Олжас", "Оралбек", "Өмірзақ", "Рауан", "Руслан", "Рүстем", "Сабыр",
    "Самат", "Санжар", "Саят", "Серік", "Сұлтан", "Талғат", "Темірлан", "Тимур", "Тоқтар",
    "Төлеген", "Тұрар", "Ұлан", "Шыңғыс", "Ырысбек",
)  # fmt: skip

KK_FEMALE: tuple[str, ...] = (
    "Айару", "Айгерім", "Айгүл", "Айдана", "Айжан", "Айзере", "Айнұр", "Айсұлу", "Айым", "Ақбота",
    "Ақмарал", "Ақнұр", "Аққу", "Аружан", "Асылзат", "Аяулым", "Әйгерім", "Әлия", "Әминә", "Әсел",
    "Әсем", "Балжан", "Балнұр", "Баян", "Бибігүл", "Ботагөз", "Гауһар", "Гүлжан", "Гүлмира",
    "Гүлназ", "Гүлнар", "Гүлнұр", "Дана", "Дариға", "Динара", "Дильназ", "Дәмеш", "Еркежан",
    "Жадыра", "Жазира", "Жанар", "Жанель", "Жаннат", "Жансая", "Жібек", "Жұлдыз", "Зарина", "Зере",
    "Индира", "Камила", "Кәмшат", "Күнсұлу", "Қарлығаш", "Қуралай", "Қымбат", "Ләззат", "Ләйлә",
    "Мадина", "Мақпал", "Маржан", "Мейрамгүл", "Меруерт", "Мөлдір", "Назерке", "Назгүл", "Нұргүл",
    "Нұрай", "Нұрила", "Нұрсұлу", "Перизат", "Раушан", "Райхан", "Роза", "Сабина", "Салтанат",
    "Самал", "Сандуғаш", "Сая", "Сәуле", "Сымбат", "Толқын", "Томирис", "Тоғжан", "Ұлжан", "Ұлпан",
    "Фариза", "Хадиша", "Шолпан", "Шынар", "Іңкәр",
)  # fmt: skip

# Male forms; the female form adds "а" (Ахметов -> Ахметова, Сейфуллин -> Сейфуллина).
KK_SURNAMES_MALE: tuple[str, ...] = (
    "Абдуллаев", "Абенов", "Айтбаев", "Ақылбеков", "Әбілов", "Әлиев", "Әміров", "Ахметов",
    "Байжанов", "Байменов", "Байтұрсынов", "Бекболатов", "Бекмұхамбетов", "Бектұров", "Бейсенов",
    "Бөкейханов", "Дәулетов", "Досжанов", "Досмұхамедов", "Дүйсенбаев", "Ермеков", "Ержанов",
    "Есенов", "Есімов", "Жақсыбеков", "Жанұзақов", "Жансүгіров", "Жұмабаев", "Жұмағұлов",
    "Жүсіпов", "Зейнуллин", "Ибраев", "Исабеков", "Иманғалиев", "Кенжебаев", "Кәрімов",
    "Қабдолов", "Қадыров", "Қайратов", "Қалиев", "Қанатов", "Қасымов", "Қожахметов",
    "Құлмағамбетов", "Қуанышев", "Майлин", "Мамыров", "Махамбетов", "Мұқанов", "Мұратов",
    "Мұсабаев", "Мусин", "Мырзахметов", "Назарбаев", "Нұрланов", "Нұрмағамбетов", "Нысанбаев",
    "Оспанов", "Омаров", "Оразбаев", "Өтепов", "Рахимов", "Рысқұлов", "Сағынтаев", "Сапаров",
    "Сәрсенбаев", "Сейітов", "Сейфуллин", "Серікбаев", "Смағұлов", "Сүлейменов", "Сыздықов",
    "Тасмағамбетов", "Тоқаев", "Төлеуов", "Тұрсынов", "Тілеубаев", "Уәлиханов", "Үсенов",
    "Хасенов", "Шәкенов", "Шаяхметов", "Шоқаев", "Ыбыраев", "Ілиясов", "Әуезов",
)  # fmt: skip

_KK_TO_RU = str.maketrans("ӘәҒғҚқҢңӨөҰұҮүҺһІі", "АаГгКкНнОоУуУуХхИи")
_VOWELS = "аеёиоуыэюя"


def russified(name: str) -> str:
    """A Kazakh name in Russian spelling, as Russified documents write it (Нұрлан -> Нурлан)."""
    return name.translate(_KK_TO_RU)


def female_surname(male: str) -> str:
    """The female form of a surname ending in -ов, -ев, -ин or -ий (Смирнов -> Смирнова)."""
    if male.endswith("ий"):
        return male[:-2] + "ая"
    return male + "а"


def kazakh_patronymic(father: str, sex: str, style: str) -> str:
    """A Kazakh patronymic: 'traditional' (Нұрланұлы, Нұрланқызы) or 'russified' (Нурланович)."""
    if style == "traditional":
        return father + ("ұлы" if sex == "male" else "қызы")
    stem = russified(father)
    if stem.endswith("й"):
        stem = stem[:-1] + "е"
    elif stem[-1] in _VOWELS:
        stem = stem + "е"
    else:
        stem = stem + "о"
    return stem + ("вич" if sex == "male" else "вна")


_RU_IRREGULAR: dict[str, tuple[str, str]] = {
    "Илья": ("Ильич", "Ильинична"),
    "Никита": ("Никитич", "Никитична"),
    "Кузьма": ("Кузьмич", "Кузьминична"),
    "Лука": ("Лукич", "Лукинична"),
    "Фома": ("Фомич", "Фоминична"),
    "Савва": ("Саввич", "Саввична"),
    "Михаил": ("Михайлович", "Михайловна"),
    "Павел": ("Павлович", "Павловна"),
    "Пётр": ("Петрович", "Петровна"),
    "Лев": ("Львович", "Львовна"),
    "Яков": ("Яковлевич", "Яковлевна"),
}


def _russian_patronymic(father: str, known: set[str]) -> tuple[str, str] | None:
    if father in _RU_IRREGULAR:
        return _RU_IRREGULAR[father]
    if father.endswith("ий"):
        stem = father[:-2]
        for male in (stem + "ьевич", stem + "иевич"):
            if male in known:
                return male, male[:-2] + "на"
        return None
    if father.endswith(("й", "ь")):
        stem = father[:-1]
        return stem + "евич", stem + "евна"
    if father[-1] in _VOWELS:
        return None
    return father + "ович", father + "овна"


@functools.cache
def russian_patronymics() -> dict[str, tuple[str, str]]:
    """Faker ru_RU male names mapped to their (male, female) patronymics, where the rules are sure."""
    known = set(RuPersonProvider.middle_names_male)
    out: dict[str, tuple[str, str]] = {}
    for name in RuPersonProvider.first_names_male:
        pair = _russian_patronymic(name, known)
        if pair is not None:
            out[name] = pair
    return out


def russian_patronymic(father: str, sex: str) -> str:
    """The Russian patronymic from a father's name in `RU_MALE` (Александр -> Александрович)."""
    male, female = russian_patronymics()[father]
    return male if sex == "male" else female


RU_MALE: tuple[str, ...] = tuple(russian_patronymics())
RU_FEMALE: tuple[str, ...] = tuple(RuPersonProvider.first_names_female)
RU_SURNAMES_MALE: tuple[str, ...] = tuple(RuPersonProvider.last_names_male)
