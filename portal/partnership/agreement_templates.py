# ruff: noqa: E501 - agreement texts read better unbroken
"""Agreement templates drawn from the ICM pilot: they pre-fill a new draft by the kinds of its parties.

Every text is written in the portal's four languages (Uzbek Latin and Cyrillic, Russian, English)
with the words of the glossary, so a draft starts in its reader's language and script. Clause
rules name party kinds, so one template fits whichever PES office, NGO or employer joins.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClauseRule:
    owner_kind: str
    recipient_kind: str
    categories: tuple[str, ...]
    actions: tuple[str, ...]
    purpose: str
    scope: str = "engaged"
    consent_required: bool = True


@dataclass(frozen=True)
class AgreementTemplate:
    key: str
    title: dict[str, str]
    common_goals: dict[str, str]
    joint_tools: dict[str, str]
    roles: dict[str, dict[str, str]]  # kind -> language -> role and functions
    resources: dict[str, dict[str, str]]  # kind -> language -> resources and contributions
    rules: tuple[ClauseRule, ...] = field(default=())
    kinds: tuple[str, ...] = field(default=())  # kinds of party the template is written for

    def text(self, values: dict[str, str], language: str) -> str:
        """The text in `language`; Uzbek Latin for a language the portal does not speak."""
        return values.get(language) or values.get("uz", "")


_READ = ("read",)
_READ_COMMENT = ("comment", "read")
_REFERRAL_DATA = ("disability", "education", "identity")

REFERRAL = AgreementTemplate(
    key="pes-ngo-referral",
    kinds=("pes", "monocentre", "ngo"),
    title={
        "uz": "Nogironligi boʻlgan shaxslarni kasbga tayyorlash va ishga joylashtirish boʻyicha hamkorlik shartnomasi",
        "uz_Cyrl": "Ногиронлиги бўлган шахсларни касбга тайёрлаш ва ишга жойлаштириш бўйича ҳамкорлик шартномаси",
        "ru": "Соглашение о партнёрстве в профессиональной подготовке и трудоустройстве людей с инвалидностью",
        "en": "Partnership agreement on training and placing persons with disabilities in work",
    },
    common_goals={
        "uz": "Nogironligi boʻlgan shaxslarni tavsiya etilgan kasb va qiziqishiga koʻra kasb-hunarga oʻqitishga yoʻnaltirish, ish beruvchilarni kvotadan ortiq ishga olish va ish joyini moslashtirish imtiyozlaridan foydalanishga jalb qilish, tadbirkorlik va oʻzini oʻzi band qilishga koʻmaklashish.",
        "uz_Cyrl": "Ногиронлиги бўлган шахсларни тавсия этилган касб ва қизиқишига кўра касб-ҳунарга ўқитишга йўналтириш, иш берувчиларни квотадан ортиқ ишга олиш ва иш жойини мослаштириш имтиёзларидан фойдаланишга жалб қилиш, тадбиркорлик ва ўзини ўзи банд қилишга кўмаклашиш.",
        "ru": "Направлять людей с инвалидностью на профессиональное обучение по рекомендованной профессии и интересам; привлекать работодателей к приёму на работу сверх квоты и к льготам на адаптацию рабочего места; содействовать предпринимательству и самозанятости.",
        "en": "Refer persons with disabilities to vocational training by recommended profession and interest; bring employers to use the over-quota hiring and workplace adaptation benefits; support entrepreneurship and self-employment.",
    },
    joint_tools={
        "uz": "Birgalikda: onlayn yoʻllanma (E-CASE), keys konferensiyalari, oylik uchrashuvlar. Alohida: bandlik xizmatining vakansiyalar portali (ish.mehnat.uz); NNTning maslahat xizmati.",
        "uz_Cyrl": "Биргаликда: онлайн йўлланма (E-CASE), кейс конференциялари, ойлик учрашувлар. Алоҳида: бандлик хизматининг вакансиялар портали; ННТнинг маслаҳат хизмати.",
        "ru": "Совместно: электронное направление (E-CASE), конференции по случаю, ежемесячные встречи. Раздельно: портал вакансий службы занятости (ish.mehnat.uz); консультационная служба ННО.",
        "en": "Jointly: online referral (E-CASE), case conferences, monthly meetings. Separately: the PES vacancy portal (ish.mehnat.uz); the NGO's counselling service.",
    },
    roles={
        "pes": {
            "uz": "Ish izlovchilarni roʻyxatga oladi, vakansiya va oʻqishga yoʻllanma beradi, subsidiyalarni rasmiylashtiradi.",
            "uz_Cyrl": "Иш изловчиларни рўйхатга олади, вакансия ва ўқишга йўлланма беради, субсидияларни расмийлаштиради.",
            "ru": "Регистрирует ищущих работу, выдаёт направления на вакансии и обучение, оформляет субсидии.",
            "en": "Registers jobseekers, gives referrals to vacancies and training, processes subsidies.",
        },
        "monocentre": {
            "uz": "Stipendiyali kasb-hunarga oʻqitishni tashkil qiladi, bitiruvchilarni ishga joylashtirishga yordam beradi.",
            "uz_Cyrl": "Стипендияли касб-ҳунарга ўқитишни ташкил қилади, битирувчиларни ишга жойлаштиришга ёрдам беради.",
            "ru": "Организует профессиональное обучение со стипендией и помогает выпускникам трудоустроиться.",
            "en": "Runs stipend-paid vocational training and helps graduates into work.",
        },
        "ngo": {
            "uz": "Maqsadli guruhga chiqadi, maslahat beradi, ijtimoiy buyurtma asosida xizmat koʻrsatadi.",
            "uz_Cyrl": "Мақсадли гуруҳга чиқади, маслаҳат беради, ижтимоий буюртма асосида хизмат кўрсатади.",
            "ru": "Выходит на целевую группу, консультирует, оказывает услуги в рамках социального заказа.",
            "en": "Reaches the target group, counsels, delivers services under a social order.",
        },
    },
    resources={
        "pes": {
            "uz": "Vakansiyalar, kvota (zaxiralangan ish oʻrinlari), oʻqish grantlari.",
            "uz_Cyrl": "Вакансиялар, квота (захираланган иш ўринлари), ўқиш грантлари.",
            "ru": "Вакансии, квота (резервированные рабочие места), гранты на обучение.",
            "en": "Vacancies, quota jobs, training grants.",
        },
        "monocentre": {
            "uz": "Oʻquv xonalari, ustalar, oʻquv dasturlari.",
            "uz_Cyrl": "Ўқув хоналари, усталар, ўқув дастурлари.",
            "ru": "Учебные классы, мастера, учебные программы.",
            "en": "Classrooms, instructors, curricula.",
        },
        "ngo": {
            "uz": "Tajribali xodimlar, koʻngillilar, tarjimonlar.",
            "uz_Cyrl": "Тажрибали ходимлар, кўнгиллилар, таржимонлар.",
            "ru": "Опытные сотрудники, волонтёры, переводчики.",
            "en": "Experienced staff, volunteers, interpreters.",
        },
    },
    rules=(
        ClauseRule("ngo", "pes", ("contact", *_REFERRAL_DATA), _READ, "referral"),
        ClauseRule("ngo", "monocentre", ("contact", *_REFERRAL_DATA), _READ, "referral"),
        ClauseRule("pes", "ngo", ("employment", "identity"), _READ_COMMENT, "referral"),
        ClauseRule("monocentre", "ngo", ("education", "identity"), _READ_COMMENT, "referral"),
    ),
)

PILOT = AgreementTemplate(
    key="tashkent-icm-pilot",
    kinds=("pes", "nasp", "inson", "monocentre", "ngo", "employer", "job_carving_unit", "labour_inspection"),
    title={
        "uz": "Toshkent shahrida integratsiyalashgan keys-menejment (IKM) pilot loyihasi boʻyicha hamkorlik shartnomasi",
        "uz_Cyrl": "Тошкент шаҳрида интеграциялашган кейс-менежмент (ИКМ) пилот лойиҳаси бўйича ҳамкорлик шартномаси",
        "ru": "Соглашение о партнёрстве по пилотному проекту интегрированного ведения случаев (ИВС) в городе Ташкенте",
        "en": "Partnership agreement for the Tashkent integrated case management (ICM) pilot",
    },
    common_goals={
        "uz": "Nogironligi boʻlgan shaxslarga bandlik va ijtimoiy himoya xizmatlarini birgalikda koʻrsatish: ehtiyojlarni baholash, individual harakatlar rejasi, yoʻllanma, 5 kun ichida ishga olish yoki asosli rad etish, ishga joylashgandan keyin 6 oy kuzatib borish.",
        "uz_Cyrl": "Ногиронлиги бўлган шахсларга бандлик ва ижтимоий ҳимоя хизматларини биргаликда кўрсатиш: эҳтиёжларни баҳолаш, индивидуал ҳаракатлар режаси, йўлланма, 5 кун ичида ишга олиш ёки асосли рад этиш, ишга жойлашгандан кейин 6 ой кузатиб бориш.",
        "ru": "Совместно оказывать людям с инвалидностью услуги занятости и социальной защиты: оценка потребностей, индивидуальный план действий, направление, приём на работу или мотивированный отказ в течение 5 дней, сопровождение в течение 6 месяцев после трудоустройства.",
        "en": "Serve persons with disabilities jointly across employment and social protection: needs assessment, individual action plan, referral, hiring or a reasoned refusal within 5 days, 6 months of follow-up after placement.",
    },
    joint_tools={
        "uz": "Birgalikda: portal (keyslar, yoʻllanmalar, keys konferensiyalari), muvofiqlashtiruvchi organ, monitoring va baholash. Alohida: Yagona ijtimoiy himoya reyestri (IHMA), bandlik xizmatining vakansiyalar portali (ish.mehnat.uz).",
        "uz_Cyrl": "Биргаликда: портал (кейслар, йўлланмалар, кейс конференциялари), мувофиқлаштирувчи орган, мониторинг ва баҳолаш. Алоҳида: Ягона ижтимоий ҳимоя реестри (ИҲМА), бандлик хизматининг вакансиялар портали.",
        "ru": "Совместно: портал (случаи, направления, конференции по случаю), координационный орган, мониторинг и оценка. Раздельно: Единый реестр социальной защиты (НАСЗ), портал вакансий службы занятости (ish.mehnat.uz).",
        "en": "Jointly: the portal (cases, referrals, case conferences), the coordination body, monitoring and evaluation. Separately: the Unified Social Protection Registry (NASP), the PES vacancy portal (ish.mehnat.uz).",
    },
    roles={
        "pes": {
            "uz": "Ish izlovchilarni roʻyxatga olish, kvotalar va vakansiyalar, subsidiyalar.",
            "uz_Cyrl": "Иш изловчиларни рўйхатга олиш, квоталар ва вакансиялар, субсидиялар.",
            "ru": "Регистрация ищущих работу, квоты и вакансии, субсидии.",
            "en": "Jobseeker registration, quotas and vacancies, subsidies.",
        },
        "nasp": {
            "uz": "Nafaqa va ijtimoiy yordam maʼlumotlari, reyestr.",
            "uz_Cyrl": "Нафақа ва ижтимоий ёрдам маълумотлари, реестр.",
            "ru": "Данные о пособиях и социальной помощи, реестр.",
            "en": "Benefit and social assistance data, the registry.",
        },
        "inson": {
            "uz": "Keys-menejer: mahallada aniqlash, uyga tashrif, keys ochish, 6 oy kuzatib borish.",
            "uz_Cyrl": "Кейс-менежер: маҳаллада аниқлаш, уйга ташриф, кейс очиш, 6 ой кузатиб бориш.",
            "ru": "Специалист по ведению случая: выявление в махалле, посещения на дому, открытие случаев, сопровождение в течение 6 месяцев.",
            "en": "Case manager: outreach in the mahalla, home visits, opening cases, 6-month follow-up.",
        },
        "monocentre": {
            "uz": "Kasb-hunarga oʻqitish.",
            "uz_Cyrl": "Касб-ҳунарга ўқитиш.",
            "ru": "Профессиональное обучение.",
            "en": "Vocational training.",
        },
        "ngo": {
            "uz": "Maqsadli guruh bilan ishlash, maslahat, huquqlarni himoya qilish.",
            "uz_Cyrl": "Мақсадли гуруҳ билан ишлаш, маслаҳат, ҳуқуқларни ҳимоя қилиш.",
            "ru": "Работа с целевой группой, консультирование, защита прав.",
            "en": "Work with the target group, counselling, advocacy.",
        },
        "employer": {
            "uz": "Ish oʻrinlari, ish joyini moslashtirish, 5 kun ichida javob berish.",
            "uz_Cyrl": "Иш ўринлари, иш жойини мослаштириш, 5 кун ичида жавоб бериш.",
            "ru": "Рабочие места, адаптация рабочего места, ответ в течение 5 дней.",
            "en": "Jobs, workplace adaptation, an answer within 5 days.",
        },
        "job_carving_unit": {
            "uz": "Korxonalarda mos vazifalarni topish va ulardan job carving usulida boʻsh ish oʻrinlari yaratish.",
            "uz_Cyrl": "Корхоналарда мос вазифаларни топиш ва улардан job carving усулида бўш иш ўринлари яратиш.",
            "ru": "Поиск подходящих задач на предприятиях и выделение их в отдельные рабочие места (job carving).",
            "en": "Finding fitting tasks in firms and carving jobs from them (job carving).",
        },
        "labour_inspection": {
            "uz": "Rad etilgan yoʻllanmalarni va kvota bajarilishini koʻrib chiqish.",
            "uz_Cyrl": "Рад этилган йўлланмаларни ва квота бажарилишини кўриб чиқиш.",
            "ru": "Рассмотрение отказов по направлениям и соблюдения квоты.",
            "en": "Reviewing refused referrals and quota compliance.",
        },
    },
    resources={
        "pes": {
            "uz": "Vakansiyalar, subsidiyalar, oʻqish grantlari.",
            "uz_Cyrl": "Вакансиялар, субсидиялар, ўқиш грантлари.",
            "ru": "Вакансии, субсидии, гранты на обучение.",
            "en": "Vacancies, subsidies, training grants.",
        },
        "nasp": {
            "uz": "Reyestr maʼlumotlari.",
            "uz_Cyrl": "Реестр маълумотлари.",
            "ru": "Данные реестра.",
            "en": "Registry data.",
        },
        "inson": {
            "uz": "Ijtimoiy xodimlar.",
            "uz_Cyrl": "Ижтимоий ходимлар.",
            "ru": "Социальные работники.",
            "en": "Social workers.",
        },
        "monocentre": {
            "uz": "Oʻquv kurslari.",
            "uz_Cyrl": "Ўқув курслари.",
            "ru": "Учебные курсы.",
            "en": "Training courses.",
        },
        "ngo": {
            "uz": "Mutaxassislar va koʻngillilar.",
            "uz_Cyrl": "Мутахассислар ва кўнгиллилар.",
            "ru": "Специалисты и волонтёры.",
            "en": "Specialists and volunteers.",
        },
        "employer": {
            "uz": "Ish oʻrinlari va ustozlar.",
            "uz_Cyrl": "Иш ўринлари ва устозлар.",
            "ru": "Рабочие места и наставники.",
            "en": "Jobs and mentors.",
        },
        "job_carving_unit": {
            "uz": "Ish oʻrinlarini tahlil qilish.",
            "uz_Cyrl": "Иш ўринларини таҳлил қилиш.",
            "ru": "Анализ рабочих мест.",
            "en": "Job analysis.",
        },
        "labour_inspection": {
            "uz": "Nazorat vakolati.",
            "uz_Cyrl": "Назорат ваколати.",
            "ru": "Надзорные полномочия.",
            "en": "Inspection powers.",
        },
    },
    rules=(
        # The INSON centre and the PES office hold the case: they share what a referral needs.
        *(
            ClauseRule(owner, recipient, _REFERRAL_DATA, _READ, purpose)
            for owner in ("inson", "pes")
            for recipient, purpose in (
                ("ngo", "referral"),
                ("monocentre", "referral"),
                # The ministry's mechanism: a client referred to an employer's job, answered within 5 working days.
                ("employer", "referral"),
                ("job_carving_unit", "job_matching"),
            )
        ),
        # A client of the INSON centre referred to the employment service's vacancies.
        ClauseRule("inson", "pes", _REFERRAL_DATA, _READ, "referral"),
        ClauseRule(
            "inson",
            "pes",
            ("assessment", "contact", "disability", "education", "employment", "identity", "pinfl"),
            _READ_COMMENT,
            "case_conference",
        ),
        ClauseRule(
            "pes",
            "inson",
            ("contact", "disability", "education", "employment", "identity", "pinfl"),
            _READ_COMMENT,
            "case_conference",
        ),
        ClauseRule("nasp", "inson", ("benefits", "disability", "identity", "pinfl"), _READ, "case_conference"),
        ClauseRule("nasp", "pes", ("benefits", "identity", "pinfl"), _READ, "case_conference"),
        ClauseRule("employer", "inson", ("employment", "identity"), _READ, "monitoring"),
        # The inspection reviews refused referrals: a statutory task, so no consent is asked.
        ClauseRule("pes", "labour_inspection", ("employment", "identity"), _READ, "monitoring", "engaged", False),
        ClauseRule("employer", "labour_inspection", ("employment", "identity"), _READ, "monitoring", "engaged", False),
    ),
)

TEMPLATES: dict[str, AgreementTemplate] = {t.key: t for t in (REFERRAL, PILOT)}
