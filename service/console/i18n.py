"""Every string the console shows, in Kazakh, Russian and English, and how a language is chosen.

The catalogue is one table, so a missing translation is a failing test rather than a blank on a
caseworker's screen. Benefit names are not here: they come from the rule files (`name: {kk, ru,
en}`), as do explanation summaries. Codes the catalogue does not know (a new review reason added
by an analyst) are shown as the code itself, never hidden.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGS: tuple[str, ...] = ("kk", "ru", "en")
DEFAULT_LANG = "kk"
LANG_NAMES: dict[str, str] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

# key: (kk, ru, en)
_T: dict[str, tuple[str, str, str]] = {
    # appeals from the family's page
    "appeal_heading": ("Азаматтың шағымы", "Жалоба гражданина", "The citizen's appeal"),
    "appeal_against": ("Неге қарсы", "На что", "Against"),
    "appeal_text": ("Азаматтың мәтіні", "Текст гражданина", "The citizen's text"),
    "appeal_member": ("Берген", "Подал(а)", "Filed by"),
    "appeal_due": ("Жауап мерзімі", "Ответить до", "Answer due by"),
    "appeal_approve_label": ("Мақұлдау: шағымды қанағаттандыру", "Одобрить: удовлетворить жалобу",
                             "Approve: uphold the appeal"),
    "appeal_reject_label": ("Қабылдамау: шағымды қанағаттандырмау", "Отклонить: отказать в жалобе",
                            "Reject: dismiss the appeal"),
    "appeal_hint": ("Мақұлдау — шағым қанағаттандырылды, қабылдамау — қанағаттандырылмады; себебін отбасы көреді.",
                    "Одобрить — жалоба удовлетворена, отклонить — не удовлетворена; причину увидит семья.",
                    "Approve upholds the appeal, reject dismisses it; the family reads your reason."),
    # layout
    "app_title": ("Отбасының цифрлық картасы · тексеру консолі", "Цифровая карта семьи · консоль проверки",
                  "Digital Family Card · review console"),
    "skip_to_content": ("Негізгі мазмұнға өту", "Перейти к основному содержанию", "Skip to main content"),
    "language": ("Тіл", "Язык", "Language"),
    "signed_in_as": ("Жүйеге кірген: {name}", "Вы вошли как {name}", "Signed in as {name}"),
    "sign_out": ("Шығу", "Выйти", "Sign out"),
    "nav_queue": ("Тексеру кезегі", "Очередь проверки", "Review queue"),
    # sign-in
    "sign_in": ("Кіру", "Войти", "Sign in"),
    "signin_heading": ("Тексерушінің тіркелгі деректерімен кіру", "Вход по учётным данным проверяющего",
                       "Sign in with your reviewer credential"),
    "token_label": ("Тексерушінің токені", "Токен проверяющего", "Reviewer token"),
    "token_hint": (
        "Сізге берілген токенді қойыңыз. Ол бір рет тексеріледі, браузерде сақталмайды.",
        "Вставьте выданный вам токен. Он проверяется один раз и не сохраняется в браузере.",
        "Paste the token issued to you. It is checked once and never kept in the browser.",
    ),
    "error_token_missing": ("Токенді енгізіңіз.", "Введите токен.", "Enter your token."),
    "error_token_unknown": ("Бұл токен танылмады.", "Токен не распознан.", "This token is not recognised."),
    "error_too_many_attempts": ("Кіру әрекеттері тым көп болды. Біраз күтіп, қайталап көріңіз.",
                                "Слишком много неудачных попыток входа. Подождите и попробуйте снова.",
                                "Too many failed sign-in attempts. Please wait a little and try again."),
    "error_token_role": (
        "Бұл тіркелгінің рөлі — «{role}». Консольге тек тексерушілер кіре алады.",
        "У этих учётных данных роль «{role}». Войти в консоль могут только проверяющие.",
        "This credential has the role “{role}”. Only reviewers can sign in to the console.",
    ),
    "notice_signed_out": ("Сіз жүйеден шықтыңыз.", "Вы вышли из системы.", "You have signed out."),
    "notice_sign_in_first": ("Алдымен жүйеге кіріңіз.", "Сначала войдите в систему.", "Please sign in first."),
    # refusals
    "refused_heading": ("Сұрау қабылданбады", "Запрос отклонён", "Request refused"),
    "refused_form": (
        "Бұл форманың мерзімі өтті немесе ол консольден жіберілмеген. Бетті жаңартып, қайталап көріңіз.",
        "Срок действия формы истёк, или она отправлена не из консоли. Обновите страницу и повторите.",
        "This form has expired or did not come from the console. Reload the page and try again.",
    ),
    "refused_not_signed_in": ("Сіз жүйеге кірмегенсіз.", "Вы не вошли в систему.", "You are not signed in."),
    "go_to_sign_in": ("Кіру бетіне өту", "Перейти ко входу", "Go to sign-in"),
    "not_found": ("{id} ісі табылмады.", "Дело {id} не найдено.", "No case {id}."),
    # queue
    "queue_heading": ("Тексеруді күтіп тұрған істер", "Дела, ожидающие проверки", "Cases waiting for review"),
    "queue_intro": (
        "Ең ескісі бірінші. Ұзақ күткен іс — мемлекеттің әрекетсіздігі, азамат оған шағымдана алады.",
        "Сначала самые старые. Долгое ожидание — это бездействие государства, которое гражданин вправе обжаловать.",
        "Oldest first. A case left waiting is the state's inaction, which the citizen can appeal.",
    ),
    "filters": ("Сүзгілер", "Фильтры", "Filters"),
    "filter_benefit": ("Төлем түрі", "Выплата", "Benefit"),
    "filter_region": ("Өңір", "Регион", "Region"),
    "filter_reason": ("Тексеру себебі", "Причина проверки", "Reason for review"),
    "filter_any": ("Барлығы", "Все", "All"),
    "filter_apply": ("Сүзу", "Применить", "Apply filters"),
    "filter_reset": ("Сүзгілерді тазарту", "Сбросить фильтры", "Clear filters"),
    "count_pending": ("Барлығы күтуде: {n}", "Всего ожидают: {n}", "Pending in total: {n}"),
    "count_shown": ("Сүзгіге сәйкес: {n}", "Соответствуют фильтрам: {n}", "Matching the filters: {n}"),
    "count_overdue": ("Мерзімі өткені ({days} күннен астам): {n}", "Просрочено (дольше {days} дн.): {n}",
                      "Overdue (over {days} days): {n}"),
    "queue_caption": ("Күтудегі істер, ең ескісі бірінші", "Ожидающие дела, сначала самые старые",
                      "Pending cases, oldest first"),
    "queue_empty": ("Бұл сүзгілерге сәйкес күтіп тұрған іс жоқ.", "Нет ожидающих дел, соответствующих фильтрам.",
                    "No pending case matches these filters."),
    "col_case": ("Іс", "Дело", "Case"),
    "col_family": ("Отбасы", "Семья", "Family"),
    "col_benefit": ("Төлем", "Выплата", "Benefit"),
    "col_region": ("Өңір", "Регион", "Region"),
    "col_change": ("Ұсынылған өзгеріс", "Предлагаемое изменение", "Proposed change"),
    "col_reasons": ("Себептері", "Причины", "Reasons"),
    "col_amounts": ("Қазір → ұсыныс, ₸", "Сейчас → предложено, ₸", "Now → proposed, ₸"),
    "col_waiting": ("Күтуде", "Ожидает", "Waiting"),
    "col_opened": ("Ашылған уақыты", "Открыто", "Opened"),
    "overdue": ("мерзімі өтті", "просрочено", "overdue"),
    "age_days": ("{d} күн {h} сағ", "{d} дн. {h} ч", "{d} d {h} h"),
    "age_hours": ("{h} сағ {m} мин", "{h} ч {m} мин", "{h} h {m} min"),
    "age_minutes": ("{m} мин", "{m} мин", "{m} min"),
    "next_page": ("Келесі бет", "Следующая страница", "Next page"),
    "previous_page": ("Алдыңғы бет", "Предыдущая страница", "Previous page"),
    "notice_resolved": (
        "{id} ісі бойынша шешім тіркелді: {status}. Іс кезектен шықты.",
        "Решение по делу {id} зафиксировано: {status}. Дело покинуло очередь.",
        "Decision on case {id} recorded: {status}. The case has left the queue.",
    ),
    # case page
    "case_heading": ("{id} ісі", "Дело {id}", "Case {id}"),
    "back_to_queue": ("Кезекке оралу", "Вернуться к очереди", "Back to the queue"),
    "case_status": ("Күйі", "Статус", "Status"),
    "case_opened_by_event": ("Ашқан оқиға", "Открыто событием", "Opened by event"),
    "section_family": ("Отбасы", "Семья", "Family"),
    "family_caption": ("Отбасы мүшелері (ЖСН соңғы төрт цифрынан басқасы жасырылған)",
                       "Члены семьи (ИИН скрыты, кроме последних четырёх цифр)",
                       "Family members (IINs masked except the last four digits)"),
    "deceased_caption": ("Қайтыс болған мүшелер", "Умершие члены семьи", "Deceased members"),
    "col_iin": ("ЖСН", "ИИН", "IIN"),
    "col_relation": ("Туыстығы", "Родство", "Relation"),
    "col_birth_date": ("Туған күні", "Дата рождения", "Born"),
    "col_age": ("Жасы", "Возраст", "Age"),
    "col_employment": ("Жұмыспен қамтылуы", "Занятость", "Employment"),
    "col_student": ("Күндізгі оқу", "Очное обучение", "Full-time student"),
    "col_disability": ("Мүгедектік", "Инвалидность", "Disability"),
    "col_income": ("Табыс, ₸/ай", "Доход, ₸/мес.", "Income, ₸/month"),
    "col_date_of_death": ("Қайтыс болған күні", "Дата смерти", "Date of death"),
    "col_source": ("Дереккөзі (оқиға)", "Источник (событие)", "Source (event)"),
    "disability_group": ("{g}-топ", "{g} группа", "group {g}"),
    "disability_no_group": ("топсыз (бала)", "без группы (ребёнок)", "no group (child)"),
    "since_childhood": ("бала кезінен", "с детства", "since childhood"),
    "yes": ("иә", "да", "yes"),
    "no": ("жоқ", "нет", "no"),
    "none": ("жоқ", "нет", "none"),
    "family_region": ("Өңірі: {region}", "Регион: {region}", "Region: {region}"),
    "section_indicators": ("Көрсеткіштер", "Показатели", "Indicators"),
    "indicators_caption": ("Осы шешімде қолданылған көрсеткіштер, дереккөзі мен күні",
                           "Показатели, использованные в этом решении, с источником и датой",
                           "Indicators this decision used, with their source and date"),
    "indicators_all": ("Барлық көрсеткіштер ({n})", "Все показатели ({n})", "All indicators ({n})"),
    "col_indicator": ("Көрсеткіш", "Показатель", "Indicator"),
    "col_value": ("Мәні", "Значение", "Value"),
    "col_registry": ("Тізілім", "Реестр", "Registry"),
    "col_date": ("Күні", "Дата", "Date"),
    "section_compare": ("Қазіргі құқық және ұсынылған өзгеріс", "Текущее право и предлагаемое изменение",
                        "Current entitlement and proposed change"),
    "current": ("Қазір", "Сейчас", "Current"),
    "proposed": ("Ұсынылған", "Предлагается", "Proposed"),
    "nothing_held": ("Отбасы бұл төлемді алмайды.", "Семья не получает эту выплату.",
                     "The family holds nothing for this benefit."),
    "holding_entitlement": ("Белсенді құқық: {amount} ₸ {period}", "Действующее право: {amount} ₸ {period}",
                            "Active entitlement: {amount} ₸ {period}"),
    "holding_offer": ("Ашық ұсыныс: {amount} ₸ {period}", "Открытое предложение: {amount} ₸ {period}",
                      "Open offer: {amount} ₸ {period}"),
    "no_previous_decision": ("Бұрынғы шешім жоқ.", "Предыдущего решения нет.", "No earlier decision."),
    "decision_status": ("Шешім", "Решение", "Decision"),
    "amount": ("Сомасы", "Сумма", "Amount"),
    "conditions": ("Шарттар", "Условия", "Conditions"),
    "held": ("орындалды", "выполнено", "held"),
    "failed": ("орындалмады", "не выполнено", "failed"),
    "values": ("Мәндер", "Значения", "Values"),
    "parameters": ("Параметрлер", "Параметры", "Parameters"),
    "in_force_from": ("{date} бастап", "с {date}", "from {date}"),
    "formula": ("Формула", "Формула", "Formula"),
    "calculation": ("Есептеу", "Расчёт", "Calculation"),
    "legal_basis": ("Құқықтық негіз", "Правовое основание", "Legal basis"),
    "ruleset": ("Ережелер нұсқасы", "Версия правил", "Rule set"),
    "as_of": ("Күйі бойынша", "По состоянию на", "As of"),
    "missing_data": ("Жетіспейтін деректер", "Недостающие данные", "Missing data"),
    "section_history": ("Отбасы шешімдерінің тарихы", "История решений по семье", "The family's decision history"),
    "history_caption": ("Осы төлем бойынша шешімдер, ең жаңасы бірінші", "Решения по этой выплате, сначала новые",
                        "Decisions on this benefit, newest first"),
    "history_all": ("Барлық төлемдер бойынша шешімдер ({n})", "Решения по всем выплатам ({n})",
                    "Decisions on every benefit ({n})"),
    "col_recorded": ("Тіркелген", "Записано", "Recorded"),
    "col_status": ("Күйі", "Статус", "Status"),
    "col_event": ("Оқиға", "Событие", "Event"),
    "why": ("Неге", "Почему", "Why"),
    "section_resolve": ("Сіздің шешіміңіз", "Ваше решение", "Your decision"),
    "resolve_intro": (
        "«Мақұлдау» ұсынылған өзгерісті орындайды; «Қабылдамау» отбасыда барын сақтайды. "
        "Жазбаша негіздеме міндетті, ол сіздің атыңызбен аудит журналына жазылады.",
        "«Одобрить» исполняет предлагаемое изменение; «Отклонить» сохраняет то, что у семьи есть сейчас. "
        "Письменное обоснование обязательно; оно записывается в журнал аудита с вашим именем.",
        "Approve carries the proposed change out; reject keeps what the family has now. A written reason "
        "is required and is recorded in the audit log under your name.",
    ),
    "resolution_legend": ("Шешім", "Решение", "Decision"),
    "approve_label": ("Мақұлдау: ұсынылған өзгерісті орындау", "Одобрить: исполнить предлагаемое изменение",
                      "Approve: carry out the proposed change"),
    "reject_label": ("Қабылдамау: қазіргі құқықты сақтау", "Отклонить: сохранить текущее право",
                     "Reject: keep the current entitlement"),
    "reason_label": ("Негіздеме (міндетті)", "Обоснование (обязательно)", "Reason (required)"),
    "reason_hint": ("Кемінде 3 таңба.", "Не менее 3 символов.", "At least 3 characters."),
    "submit_resolution": ("Шешімді тіркеу", "Зафиксировать решение", "Record the decision"),
    "error_resolution_required": ("Мақұлдауды немесе қабылдамауды таңдаңыз.", "Выберите «одобрить» или «отклонить».",
                                  "Choose approve or reject."),
    "error_reason_required": (
        "Шешіміңіздің негіздемесін жазыңыз (кемінде 3 таңба).",
        "Напишите обоснование решения (не менее 3 символов).",
        "Write the reason for your decision (at least 3 characters).",
    ),
    "errors_heading": ("Форманы түзетіңіз", "Исправьте форму", "Please correct the form"),
    "already_resolved": (
        "Бұл іс бойынша шешім қабылданған ({status}, {reviewer}, {at}); оны қайта шешуге болмайды.",
        "По этому делу уже принято решение ({status}, {reviewer}, {at}); повторно его решить нельзя.",
        "This case is already resolved ({status}, {reviewer}, {at}); it cannot be resolved again.",
    ),
    "resolution_recorded": ("Шешім: {status}. Негіздемесі: {reason}", "Решение: {status}. Обоснование: {reason}",
                            "Decision: {status}. Reason: {reason}"),
    "section_audit": ("Аудит журналы", "Журнал аудита", "Audit trail"),
    "audit_caption": ("Отбасыға қатысты жазбалар, ең жаңасы бірінші; осы іске қатыстылары белгіленген",
                      "Записи по семье, сначала новые; записи по этому делу отмечены",
                      "Entries about this family, newest first; those about this case are marked"),
    "col_seq": ("№", "№", "No."),
    "col_time": ("Уақыты", "Время", "Time"),
    "col_entry": ("Жазба", "Запись", "Entry"),
    "col_actor": ("Кім", "Кто", "By"),
    "col_details": ("Толығырақ", "Подробности", "Details"),
    "this_case": ("осы іс", "это дело", "this case"),
    "audit_empty": ("Жазба жоқ.", "Записей нет.", "No entries."),
}

_PERIODS: dict[str, tuple[str, str, str]] = {
    "monthly": ("айына", "в месяц", "per month"),
    "quarterly": ("тоқсанына", "в квартал", "per quarter"),
    "one_time": ("біржолғы", "единовременно", "one-time"),
    "notice": ("хабарлама", "уведомление", "notice"),
}

_CODES: dict[str, tuple[str, str, str]] = {
    # review kinds
    "kind.termination": ("Тоқтату", "Прекращение", "Termination"),
    "kind.reduction": ("Азайту", "Уменьшение", "Reduction"),
    "kind.grant": ("Тағайындау (белгіленген)", "Назначение (с отметкой)", "Grant (flagged)"),
    "kind.increase": ("Көбейту (белгіленген)", "Увеличение (с отметкой)", "Increase (flagged)"),
    "kind.appeal": ("Шағым", "Жалоба", "Appeal"),
    "reason.appeal_decision": ("Отбасы шешімге шағым берді", "Семья обжалует решение", "The family appeals a decision"),
    "reason.appeal_inaction": ("Отбасы әрекетсіздікке шағым берді (мерзім өтті)",
                               "Семья обжалует бездействие (срок прошёл)",
                               "The family appeals a delay (past the deadline)"),
    # review statuses
    "review.pending": ("күтуде", "ожидает", "pending"),
    "review.approved": ("мақұлданды", "одобрено", "approved"),
    "review.rejected": ("қабылданбады", "отклонено", "rejected"),
    "review.superseded": ("өзектілігін жойды", "утратило актуальность", "superseded"),
    # review reasons
    "reason.adverse_termination": ("Отбасы алатын төлемді тоқтатады", "Прекращает выплату, которую семья получает",
                                   "Would end a benefit the family receives"),
    "reason.adverse_reduction": ("Отбасы алатын төлемді азайтады", "Уменьшает выплату, которую семья получает",
                                 "Would reduce a benefit the family receives"),
    "reason.insufficient_data": ("Деректер жетіспейді немесе ескірген", "Данных недостаточно или они устарели",
                                 "Data missing or stale"),
    "reason.student_status_decides_eligibility": (
        "Құқықты білім алушы мәртебесі шешеді", "Право зависит от статуса учащегося",
        "Student status decides eligibility"),
    "reason.disability_group_missing": ("Мүгедектік тобы көрсетілмеген", "Не указана группа инвалидности",
                                        "Disability group missing"),
    "reason.formula_unconfirmed": ("Сома формуласы расталмаған", "Формула суммы не подтверждена",
                                   "Amount formula unconfirmed"),
    "reason.excluded_for_loans": ("Несиелерге байланысты шектеу", "Исключение из-за кредитов", "Excluded for loans"),
    "reason.income_near_poverty_line": ("Табыс кедейлік шегіне жақын", "Доход близок к черте бедности",
                                        "Income near the poverty line"),
    "reason.grant_flagged": ("Ережелер тексеруге белгілеген", "Отмечено правилами для проверки",
                             "Flagged by the rules"),
    "reason.increase_flagged": ("Ережелер тексеруге белгілеген", "Отмечено правилами для проверки",
                                "Flagged by the rules"),
    # decision statuses
    "decision.eligible": ("құқығы бар", "право есть", "eligible"),
    "decision.not_eligible": ("құқығы жоқ", "права нет", "not eligible"),
    "decision.insufficient_data": ("деректер жеткіліксіз", "недостаточно данных", "insufficient data"),
    "decision.not_in_force": ("күшінде емес", "не действует", "not in force"),
    # changes in the decision history
    "change.grant": ("тағайындау", "назначение", "grant"),
    "change.increase": ("көбейту", "увеличение", "increase"),
    "change.unchanged": ("өзгеріссіз", "без изменений", "unchanged"),
    "change.reduction": ("азайту", "уменьшение", "reduction"),
    "change.termination": ("тоқтату", "прекращение", "termination"),
    "change.none": ("—", "—", "—"),
    # relations
    "relation.head": ("отбасы басшысы", "глава семьи", "head"),
    "relation.spouse": ("жұбайы", "супруг(а)", "spouse"),
    "relation.child": ("бала", "ребёнок", "child"),
    "relation.parent": ("ата-анасы", "родитель", "parent"),
    "relation.sibling": ("бауыры", "брат или сестра", "sibling"),
    "relation.other": ("басқа", "другое", "other"),
    # employment
    "employment.employed": ("жалдамалы жұмыста", "работает по найму", "employed"),
    "employment.self_employed": ("өзін-өзі жұмыспен қамтыған", "самозанятый", "self-employed"),
    "employment.unemployed": ("жұмыссыз", "безработный", "unemployed"),
    "employment.student": ("білім алушы", "учащийся", "student"),
    "employment.pensioner": ("зейнеткер", "пенсионер", "pensioner"),
    "employment.childcare_leave": ("бала күтімі демалысында", "в отпуске по уходу за ребёнком", "childcare leave"),
    "employment.none": ("жоқ", "нет", "none"),
    # audit entries
    "audit.review.opened": ("Тексеру ашылды", "Открыта проверка", "Review opened"),
    "audit.review.resolved": ("Тексеру шешілді", "Проверка завершена", "Review resolved"),
    "audit.review.superseded": ("Тексеру өзектілігін жойды", "Проверка утратила актуальность",
                                "Review superseded"),
    "audit.decisions": ("Шешімдер тіркелді", "Записаны решения", "Decisions recorded"),
    "audit.offer.created": ("Ұсыныс жіберілді", "Отправлено предложение", "Offer sent"),
    "audit.offer.accepted": ("Ұсыныс қабылданды", "Предложение принято", "Offer accepted"),
    "audit.offer.refused": ("Ұсыныстан бас тартылды", "От предложения отказались", "Offer refused"),
    "audit.offer.expired": ("Ұсыныс мерзімі өтті (бас тарту емес)", "Срок предложения истёк (не отказ)",
                            "Offer expired (not a refusal)"),
    "audit.offer.superseded": ("Ұсыныс жаңасымен ауыстырылды", "Предложение заменено новым", "Offer superseded"),
    "audit.offer.withdrawn": ("Ұсыныс кері қайтарылды", "Предложение отозвано", "Offer withdrawn"),
    "audit.notice.sent": ("Хабарлама жіберілді", "Отправлено уведомление", "Notice sent"),
    "audit.consent.received": ("Келісім жауабы алынды", "Получен ответ на предложение", "Consent answer received"),
    "audit.entitlement.granted": ("Құқық тағайындалды", "Право назначено", "Entitlement granted"),
    "audit.entitlement.changed": ("Құқық сомасы өзгерді", "Сумма права изменена", "Entitlement changed"),
    "audit.entitlement.ended": ("Құқық тоқтатылды", "Право прекращено", "Entitlement ended"),
    "audit.event.rejected": ("Оқиға қабылданбады", "Событие отклонено", "Event rejected"),
    # regions (ISO 3166-2:KZ)
    "region.KZ-71": ("Астана", "Астана", "Astana"),
    "region.KZ-75": ("Алматы", "Алматы", "Almaty City"),
    "region.KZ-79": ("Шымкент", "Шымкент", "Shymkent"),
    "region.KZ-10": ("Абай облысы", "Абайская область", "Abai"),
    "region.KZ-11": ("Ақмола облысы", "Акмолинская область", "Akmola"),
    "region.KZ-15": ("Ақтөбе облысы", "Актюбинская область", "Aktobe"),
    "region.KZ-19": ("Алматы облысы", "Алматинская область", "Almaty Region"),
    "region.KZ-23": ("Атырау облысы", "Атырауская область", "Atyrau"),
    "region.KZ-27": ("Батыс Қазақстан облысы", "Западно-Казахстанская область", "West Kazakhstan"),
    "region.KZ-31": ("Жамбыл облысы", "Жамбылская область", "Jambyl"),
    "region.KZ-33": ("Жетісу облысы", "область Жетісу", "Jetisu"),
    "region.KZ-35": ("Қарағанды облысы", "Карагандинская область", "Karaganda"),
    "region.KZ-39": ("Қостанай облысы", "Костанайская область", "Kostanay"),
    "region.KZ-43": ("Қызылорда облысы", "Кызылординская область", "Kyzylorda"),
    "region.KZ-47": ("Маңғыстау облысы", "Мангистауская область", "Mangystau"),
    "region.KZ-55": ("Павлодар облысы", "Павлодарская область", "Pavlodar"),
    "region.KZ-59": ("Солтүстік Қазақстан облысы", "Северо-Казахстанская область", "North Kazakhstan"),
    "region.KZ-61": ("Түркістан облысы", "Туркестанская область", "Turkistan"),
    "region.KZ-62": ("Ұлытау облысы", "область Ұлытау", "Ulytau"),
    "region.KZ-63": ("Шығыс Қазақстан облысы", "Восточно-Казахстанская область", "East Kazakhstan"),
}


def _index(lang: str) -> int:
    return LANGS.index(lang) if lang in LANGS else LANGS.index(DEFAULT_LANG)


def text(lang: str, key: str, **params: object) -> str:
    """A UI string in `lang`, with `{name}` placeholders filled (KeyError for an unknown key)."""
    template = _T[key][_index(lang)]
    return template.format(**params) if params else template


def code(lang: str, group: str, value: str | None) -> str:
    """The name of a code (`group.value`: a reason, status, relation, region...), or the code itself."""
    if value is None:
        return "—"
    found = _CODES.get(f"{group}.{value}")
    return found[_index(lang)] if found else value


def period(lang: str, value: str | None) -> str:
    """A payment period in words (per month, one-time...)."""
    found = _PERIODS.get(value or "")
    return found[_index(lang)] if found else (value or "")


def localised(texts: Mapping[str, str] | None, lang: str) -> str:
    """Pick one language from a `{kk, ru, en}` text such as a benefit name from the rules."""
    if not texts:
        return ""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def negotiate(requested: str | None, remembered: str | None, accept_language: str | None) -> str:
    """The language to use: `?lang=` if supported, else the session's, else Accept-Language, else Kazakh."""
    for candidate in (requested, remembered):
        if candidate in LANGS:
            return candidate
    best: tuple[float, str] | None = None
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        primary = tag.split("-")[0].strip().lower()
        if primary not in LANGS:
            continue
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        if best is None or weight > best[0]:
            best = (weight, primary)
    return best[1] if best else DEFAULT_LANG


def catalogue() -> dict[str, tuple[str, str, str]]:
    """Every UI string and code name (for tests that check each has all three languages)."""
    return {**_T, **{f"period.{k}": v for k, v in _PERIODS.items()}, **_CODES}
