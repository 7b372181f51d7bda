# ruff: noqa: E501 - agreement texts read better unbroken
"""Agreement templates drawn from the ICM pilot: they pre-fill a new draft by the kinds of its parties.

Texts are in Uzbek (Latin), the language such agreements are signed in, with English for donors.
Clause rules name party kinds, so one template fits whichever PES office, NGO or employer joins.
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
        return values.get("en" if language == "en" else "uz") or values.get("uz", "")


_READ = ("read",)
_READ_COMMENT = ("comment", "read")
_REFERRAL_DATA = ("disability", "education", "identity")

REFERRAL = AgreementTemplate(
    key="pes-ngo-referral",
    kinds=("pes", "monocentre", "ngo"),
    title={
        "uz": "Nogironligi bo‘lgan shaxslarni kasbga tayyorlash va ishga joylashtirishda hamkorlik memorandumi",
        "en": "Memorandum of cooperation on training and placing persons with disabilities in work",
    },
    common_goals={
        "uz": "Nogironligi bo‘lgan shaxslarni tavsiya etilgan kasb va qiziqishiga ko‘ra kasb-hunarga o‘qitishga "
        "yo‘naltirish, ish beruvchilarni kvotadan ortiq ishga olish va ish o‘rnini moslashtirish imtiyozlaridan "
        "foydalanishga jalb qilish, tadbirkorlik va o‘zini o‘zi band qilishga ko‘maklashish.",
        "en": "Refer persons with disabilities to vocational training by recommended profession and interest; "
        "bring employers to use the over-quota hiring and workplace adaptation benefits; support "
        "entrepreneurship and self-employment.",
    },
    joint_tools={
        "uz": "Birgalikda: onlayn yo‘llanma (E-CASE), keys konferensiyasi, oylik uchrashuvlar. "
        "Alohida: bandlik bo‘limining vakansiyalar bazasi (ish.mehnat.uz); NNTning maslahat xizmati.",
        "en": "Jointly: online referral (E-CASE), case conferences, monthly meetings. Separately: the PES vacancy "
        "base (ish.mehnat.uz); the NGO's counselling service.",
    },
    roles={
        "pes": {
            "uz": "Ish izlovchilarni ro‘yxatga oladi, vakansiya va o‘qishga yo‘llanma beradi, subsidiyalarni rasmiylashtiradi.",
            "en": "Registers jobseekers, refers to vacancies and training, processes subsidies.",
        },
        "monocentre": {
            "uz": "Stipendiyali kasb-hunar o‘qitishni tashkil qiladi, bitiruvchilarni ishga joylashtirishga yordam beradi.",
            "en": "Runs stipend-paid vocational training and helps graduates into work.",
        },
        "ngo": {
            "uz": "Maqsadli guruhga chiqadi, maslahat beradi, ijtimoiy buyurtma asosida xizmat ko‘rsatadi.",
            "en": "Reaches the target group, counsels, delivers services under a social order.",
        },
    },
    resources={
        "pes": {
            "uz": "Vakansiyalar, kvota ish o‘rinlari, o‘qish grantlari.",
            "en": "Vacancies, quota jobs, training grants.",
        },
        "monocentre": {"uz": "O‘quv xonalari, ustalar, o‘quv dasturlari.", "en": "Classrooms, instructors, curricula."},
        "ngo": {
            "uz": "Tajribali xodimlar, ko‘ngillilar, tarjimonlar.",
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
        "uz": "Toshkent shahrida integratsiyalashgan keys menejment (IKM) pilot loyihasi bo‘yicha hamkorlik shartnomasi",
        "en": "Partnership agreement for the Tashkent integrated case management (ICM) pilot",
    },
    common_goals={
        "uz": "Nogironligi bo‘lgan shaxslarga bandlik va ijtimoiy himoya xizmatlarini birgalikda ko‘rsatish: "
        "ehtiyojlarni baholash, individual harakat rejasi, yo‘llanma, 5 kun ichida ishga olish yoki asosli rad, "
        "ishga joylashgandan keyin 6 oy kuzatish.",
        "en": "Serve persons with disabilities jointly across employment and social protection: needs assessment, "
        "individual action plan, referral, hiring or a reasoned refusal within 5 days, 6 months of follow-up "
        "after placement.",
    },
    joint_tools={
        "uz": "Birgalikda: portal (keys, yo‘llanmalar, keys konferensiyalari), muvofiqlashtiruvchi organ, "
        "monitoring va baholash. Alohida: Yagona ijtimoiy himoya reyestri (IHMA), ish.mehnat.uz (bandlik bo‘limi).",
        "en": "Jointly: the portal (cases, referrals, case conferences), the coordination body, monitoring and "
        "evaluation. Separately: the Unified Social Protection Registry (NASP), ish.mehnat.uz (PES).",
    },
    roles={
        "pes": {
            "uz": "Ish izlovchilarni ro‘yxatga olish, kvota va vakansiyalar, subsidiyalar.",
            "en": "Jobseeker registration, quotas and vacancies, subsidies.",
        },
        "nasp": {
            "uz": "Nafaqa va ijtimoiy yordam ma’lumotlari, reyestr.",
            "en": "Benefit and social assistance data, the registry.",
        },
        "inson": {
            "uz": "Keys menejer: mahallada aniqlash, uyga tashrif, keys ochish, 6 oy kuzatish.",
            "en": "Case manager: outreach in the mahalla, home visits, opening cases, 6-month follow-up.",
        },
        "monocentre": {"uz": "Kasb-hunar o‘qitish.", "en": "Vocational training."},
        "ngo": {
            "uz": "Maqsadli guruh bilan ishlash, maslahat, advokatlik.",
            "en": "Work with the target group, counselling, advocacy.",
        },
        "employer": {
            "uz": "Ish o‘rinlari, moslashtirish, 5 kun ichida javob.",
            "en": "Jobs, workplace adaptation, an answer within 5 days.",
        },
        "job_carving_unit": {
            "uz": "Korxonalarda mos vazifalarni topish va ish o‘rinlarini shakllantirish.",
            "en": "Finding fitting tasks in firms and carving jobs.",
        },
        "labour_inspection": {
            "uz": "Rad etilgan yo‘llanmalarni va kvota bajarilishini ko‘rib chiqish.",
            "en": "Reviewing refused referrals and quota compliance.",
        },
    },
    resources={
        "pes": {"uz": "Vakansiyalar, subsidiyalar, o‘qish grantlari.", "en": "Vacancies, subsidies, training grants."},
        "nasp": {"uz": "Reyestr ma’lumotlari.", "en": "Registry data."},
        "inson": {"uz": "Ijtimoiy xodimlar.", "en": "Social workers."},
        "monocentre": {"uz": "O‘quv kurslari.", "en": "Training courses."},
        "ngo": {"uz": "Mutaxassislar va ko‘ngillilar.", "en": "Specialists and volunteers."},
        "employer": {"uz": "Ish o‘rinlari va ustozlar.", "en": "Jobs and mentors."},
        "job_carving_unit": {"uz": "Ish o‘rinlarini tahlil qilish.", "en": "Job analysis."},
        "labour_inspection": {"uz": "Nazorat vakolati.", "en": "Inspection powers."},
    },
    rules=(
        # The INSON centre and the PES office hold the case: they share what a referral needs.
        *(
            ClauseRule(owner, recipient, _REFERRAL_DATA, _READ, purpose)
            for owner in ("inson", "pes")
            for recipient, purpose in (
                ("ngo", "referral"),
                ("monocentre", "referral"),
                ("employer", "job_matching"),
                ("job_carving_unit", "job_matching"),
            )
        ),
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
