"""The family page's words in Kazakh, Russian and English (plain language; no codes on screen)."""

from __future__ import annotations

LANGS = ("kk", "ru", "en")
LANG_NAMES = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

_T: dict[str, tuple[str, str, str]] = {
    "title": ("Отбасы парақшасы", "Страница семьи", "Family page"),
    "skip": ("Негізгі мазмұнға өту", "Перейти к содержанию", "Skip to content"),
    "language": ("Тіл", "Язык", "Language"),
    "signin_title": ("eGov арқылы кіру", "Вход через eGov", "Sign in with eGov"),
    "signin_intro": (
        "ЖСН-іңізді енгізіңіз. Отбасыңыз тіркелген болса, телефоныңызға SMS арқылы бір реттік код келеді.",
        "Введите ваш ИИН. Если ваша семья зарегистрирована, на телефон придёт SMS с одноразовым кодом.",
        "Enter your IIN. If your family is registered, a one-time code will come to your phone by SMS.",
    ),
    "iin": ("ЖСН (12 сан)", "ИИН (12 цифр)", "IIN (12 digits)"),
    "send_code": ("Код жіберу", "Получить код", "Send the code"),
    "code_title": ("SMS кодын енгізіңіз", "Введите код из SMS", "Enter the code from the SMS"),
    "code_intro": (
        "Код бірнеше минут жарамды және бір рет қана қолданылады.",
        "Код действует несколько минут и подходит только один раз.",
        "The code is valid for a few minutes and works only once.",
    ),
    "code": ("Код (6 сан)", "Код (6 цифр)", "Code (6 digits)"),
    "sign_in": ("Кіру", "Войти", "Sign in"),
    "sign_out": ("Шығу", "Выйти", "Sign out"),
    "start_again": ("Қайта бастау", "Начать заново", "Start again"),
    "error_iin_invalid": (
        "ЖСН 12 саннан тұрады және бақылау саны дұрыс болуы керек.",
        "ИИН состоит из 12 цифр с верной контрольной цифрой.",
        "An IIN has 12 digits with a valid check digit.",
    ),
    "error_throttled": (
        "Код тым жиі сұралды. Біраз күтіп, қайталаңыз.",
        "Код запрашивали слишком часто. Подождите немного и повторите.",
        "A code was asked for too often. Please wait a little and try again.",
    ),
    "error_code_wrong": ("Код дұрыс емес.", "Код неверный.", "The code is not right."),
    "error_code_expired": (
        "Кодтың мерзімі өтті. Жаңа код сұраңыз.",
        "Срок действия кода истёк. Запросите новый.",
        "The code has expired. Ask for a new one.",
    ),
    "error_code_used": (
        "Бұл код қолданылған. Жаңа код сұраңыз.",
        "Этот код уже использован. Запросите новый.",
        "This code has been used. Ask for a new one.",
    ),
    "error_too_many_attempts": (
        "Тым көп қате әрекет. Жаңа код сұраңыз.",
        "Слишком много неверных попыток. Запросите новый код.",
        "Too many wrong attempts. Ask for a new code.",
    ),
    "error_reason_required": ("Шағымның себебін жазыңыз.", "Напишите, почему вы обжалуете.", "Write why you appeal."),
    "error_reason_too_long": ("Мәтін тым ұзын.", "Текст слишком длинный.", "The text is too long."),
    "error_not_overdue": (
        "Бұл іс бойынша мерзім әлі өтпеді.",
        "Срок по этому делу ещё не прошёл.",
        "This case is not past its deadline yet.",
    ),
    "error_offer": (
        "Бұл ұсынысқа енді жауап беруге болмайды.",
        "На это предложение уже нельзя ответить.",
        "This offer can no longer be answered.",
    ),
    "code_sent": (
        "Отбасыңыз тіркелген болса, код SMS арқылы жіберілді.",
        "Если ваша семья зарегистрирована, код отправлен по SMS.",
        "If your family is registered, the code has been sent by SMS.",
    ),
    "signed_in_as": ("Кірген: {member}", "Вы вошли: {member}", "Signed in: {member}"),
    "members": ("Отбасы мүшелері", "Члены семьи", "Family members"),
    "me": ("сіз", "вы", "you"),
    "receiving": ("Отбасы қазір не алады", "Что семья получает сейчас", "What the family receives now"),
    "months": ("Ай сайын не төленеді", "Что положено по месяцам", "What is due each month"),
    "months_none": (
        "Соңғы он екі айда төлем болған жоқ.",
        "За последние двенадцать месяцев выплат не было.",
        "Nothing was due in the last twelve months.",
    ),
    "month": ("Ай", "Месяц", "Month"),
    "benefit": ("Төлем", "Выплата", "Payment"),
    "amount": ("Сомасы", "Сумма", "Amount"),
    "receiving_none": (
        "Қазір тағайындалған төлем жоқ.",
        "Сейчас назначенных выплат нет.",
        "No payment is assigned now.",
    ),
    "since": ("басталған күні: {date}", "с {date}", "from {date}"),
    "why": ("Неге", "Почему", "Why"),
    "offers": ("Жауап күтетін ұсыныстар", "Предложения, ждущие ответа", "Offers waiting for your answer"),
    "offers_none": ("Ашық ұсыныс жоқ.", "Открытых предложений нет.", "No open offers."),
    "answer_by": ("Жауап беру мерзімі", "Ответить до", "Answer by"),
    "accept": ("Келісемін", "Согласен(на)", "Accept"),
    "refuse": ("Бас тартамын", "Отказываюсь", "Refuse"),
    "same_as_sms": (
        "Жауап 1414 нөміріне SMS жауабымен бірдей тіркеледі.",
        "Ответ записывается так же, как ответ на SMS с номера 1414.",
        "Your answer is recorded exactly as a reply to the SMS from 1414.",
    ),
    "answered_accepted": ("Келісіміңіз тіркелді.", "Ваше согласие записано.", "Your acceptance is recorded."),
    "answered_refused": ("Бас тартуыңыз тіркелді.", "Ваш отказ записан.", "Your refusal is recorded."),
    "waiting": ("Маман шешімін күтетін істер", "Дела, ждущие решения специалиста", "Cases waiting for a caseworker"),
    "waiting_none": ("Күтіп тұрған іс жоқ.", "Ожидающих дел нет.", "No case is waiting."),
    "waited": ("Күтуде", "Ожидает", "Waiting"),
    "deadline": ("Заң бойынша мерзім", "Срок по закону", "Legal deadline"),
    "overdue": (
        "Мерзім өтті: әрекетсіздікке шағым беруге болады.",
        "Срок прошёл: можно обжаловать бездействие.",
        "The deadline has passed: you can appeal against the delay.",
    ),
    "appeal_inaction": ("Әрекетсіздікке шағым беру", "Обжаловать бездействие", "Appeal against the delay"),
    "history": ("Отбасы туралы шешімдер", "Решения о семье", "Decisions about the family"),
    "history_none": ("Шешім әлі жоқ.", "Решений пока нет.", "No decisions yet."),
    "decided_on": ("Күні", "Дата", "Date"),
    "ruleset": ("Ережелер нұсқасы", "Версия правил", "Rule-set version"),
    "appeal_this": ("Осы шешімге шағым беру", "Обжаловать это решение", "Appeal this decision"),
    "appeal_reason": (
        "Неге келіспейсіз (міндетті)",
        "Почему вы не согласны (обязательно)",
        "Why you disagree (required)",
    ),
    "appeal_send": ("Шағым жіберу", "Отправить жалобу", "Send the appeal"),
    "appeals": ("Шағымдар", "Жалобы", "Appeals"),
    "appeals_none": ("Шағым берілмеген.", "Жалоб нет.", "No appeals."),
    "appeal_filed": (
        "Шағым қабылданды. Маманның жауап беру мерзімі — {due}.",
        "Жалоба принята. Специалист ответит до {due}",
        "The appeal is filed. A caseworker will answer by {due}.",
    ),
    "filed_on": ("Берілген күні", "Подана", "Filed"),
    "answer_due": ("Жауап мерзімі", "Ответ до", "Answer due by"),
    "your_text": ("Сіздің мәтініңіз", "Ваш текст", "Your text"),
    "answer": ("Маманның жауабы", "Ответ специалиста", "The caseworker's answer"),
    "access": ("Отбасы деректерін кім қарады", "Кто смотрел данные семьи", "Who looked at the family's data"),
    "access_none": ("Әзірге ешкім қарамады.", "Пока никто не смотрел.", "Nobody has looked yet."),
    "when": ("Уақыты (UTC)", "Когда (UTC)", "When (UTC)"),
    "who": ("Кім", "Кто", "Who"),
    "through": ("Қайдан", "Откуда", "Through"),
    "refused_title": ("Қол жеткізу жоқ", "Доступ запрещён", "No access"),
    "refused_other_family": (
        "Бұл парақша басқа отбасына тиесілі.",
        "Эта страница принадлежит другой семье.",
        "This page belongs to another family.",
    ),
    "refused_form": (
        "Форма қабылданбады (қорғау белгісі жоқ немесе дұрыс емес). Парақшаны жаңартыңыз.",
        "Форма отклонена (нет или неверный защитный токен). Обновите страницу.",
        "The form was refused (its protection token is missing or wrong). Reload the page.",
    ),
    "refused_not_signed_in": ("Алдымен кіріңіз.", "Сначала войдите.", "Please sign in first."),
    "not_found": ("Табылмады.", "Не найдено.", "Not found."),
    "notice": ("хабарлама", "уведомление", "notice"),
    "period_monthly": ("ай сайын", "в месяц", "a month"),
    "period_quarterly": ("тоқсан сайын", "в квартал", "a quarter"),
    "period_one_time": ("біржолғы", "единовременно", "once"),
    "days_waited": ("{n} күн", "{n} дн.", "{n} days"),
    "kind_grant": ("Тағайындау", "Назначение", "A grant"),
    "kind_increase": ("Көбейту", "Увеличение", "An increase"),
    "kind_reduction": ("Азайту", "Уменьшение", "A reduction"),
    "kind_termination": ("Тоқтату", "Прекращение", "An ending"),
    "status_eligible": ("Тағайындалады", "Положено", "Entitled"),
    "status_not_eligible": ("Құқық жоқ", "Нет права", "Not entitled"),
    "status_insufficient_data": ("Деректер жетіспейді", "Недостаточно данных", "Not enough data"),
    "status_not_in_force": ("Қолданыста емес", "Не действует", "Not in force"),
    "against_decision": ("Шешімге", "На решение", "Against a decision"),
    "against_inaction": ("Әрекетсіздікке", "На бездействие", "Against a delay"),
    "appeal_pending": ("Қаралуда", "Рассматривается", "Being considered"),
    "appeal_approve": ("Қанағаттандырылды", "Удовлетворена", "Upheld"),
    "appeal_reject": ("Қанағаттандырылмады", "Отклонена", "Dismissed"),
    "appeal_superseded": ("Өзектілігін жойды", "Утратила актуальность", "No longer relevant"),
    "via_console": ("маманның консолі", "консоль специалиста", "caseworkers' console"),
    "via_api": ("API", "API", "API"),
    "relation_head": ("отбасы басшысы", "глава семьи", "head of the family"),
    "relation_spouse": ("жұбайы", "супруг(а)", "spouse"),
    "relation_child": ("бала", "ребёнок", "child"),
    "relation_parent": ("ата-анасы", "родитель", "parent"),
    "relation_sibling": ("бауыры", "брат или сестра", "sibling"),
    "relation_other": ("басқа", "другой", "other"),
}


RU_MONTHS_NOMINATIVE = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
                        "октябрь", "ноябрь", "декабрь")


def text(lang: str, key: str, **params: object) -> str:
    """A text in the language (Russian when the language is unknown); the key itself if it has none."""
    found = _T.get(key)
    if found is None:
        return key.split("_", 1)[-1]
    words = found[LANGS.index(lang) if lang in LANGS else 1]
    return words.format(**params) if params else words


def negotiate(requested: str | None, saved: str | None, accept: str | None) -> str:
    """The page's language: asked for, else remembered, else the browser's first known one, else Kazakh."""
    for choice in (requested, saved):
        if choice in LANGS:
            return str(choice)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGS:
            return code
    return "kk"
