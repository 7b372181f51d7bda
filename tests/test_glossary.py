"""The glossary (shared/GLOSSARY.md) holds in every catalogue: one word per concept, one code point per
Uzbek apostrophe, no Latin letters in Uzbek Cyrillic, and none of the forms it forbids.

`problems()` is the checker; the tests below run it over the four catalogues and prove, on planted
bad entries, that it does catch what it is meant to catch.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from portal import i18n
from portal.cases.translit import normalise_uz
from portal.partnership.agreement_templates import TEMPLATES, AgreementTemplate

CATALOGUES = {language: i18n.TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po" for language in i18n.LANGUAGES}
_I = re.IGNORECASE

# Forms the glossary forbids, per language: (pattern, the word to use instead).
FORBIDDEN: dict[str, list[tuple[re.Pattern[str], str]]] = {
    "uz": [
        (re.compile(r"holat\w* boshqar", _I), "keys-menejment (IKM)"),
        (re.compile(r"holat\w* boʻyicha konferens", _I), "keys konferensiyasi"),
        (re.compile(r"kelishuv", _I), "shartnoma: one word for the agreement"),
        (re.compile(r"sheriklik", _I), "hamkorlik shartnomasi"),
        (re.compile(r"tahrir(?!la[^r])", _I), "versiya (tahrir reads as an edit)"),
        # "monitoring va baholash" is monitoring and evaluation, another concept.
        (re.compile(r"(?<!ehtiyojlarni )(?<!monitoring va )\bbaholash", _I), "ehtiyojlarni baholash"),
        (re.compile(r"imzolovchi", _I), "imzo chekuvchi"),
        (re.compile(r"JSHSHIR|PINFL|\bICM\b"), "JShShIR, IKM"),
        (re.compile(r"ish oʻrin\w* moslashtir|moslashtirilgan ish", _I), "job carving is not workplace adaptation"),
        (re.compile(r"[‘’`´]"), "ʻ (U+02BB) for oʻ/gʻ, ʼ (U+02BC) for the tutuq sign"),
        (re.compile(r"[\u0400-\u04ff]"), "Latin letters only"),
    ],
    "uz_Cyrl": [
        (re.compile(r"ҳолат\w* бошқар", _I), "кейс-менежмент (ИКМ)"),
        (re.compile(r"ҳолат\w* бўйича конференц", _I), "кейс конференцияси"),
        (re.compile(r"келишув", _I), "шартнома: one word for the agreement"),
        (re.compile(r"шериклик", _I), "ҳамкорлик шартномаси"),
        (re.compile(r"таҳрир(?!ла[^р])", _I), "версия (таҳрир reads as an edit)"),
        (re.compile(r"(?<!эҳтиёжларни )(?<!мониторинг ва )(?<!\w)баҳолаш", _I), "эҳтиёжларни баҳолаш"),
        (re.compile(r"имзоловчи", _I), "имзо чекувчи"),
        (re.compile(r"менеджер", _I), "менежер"),
        (re.compile(r"ПИНФЛ|JShShIR|PINFL"), "ЖШШИР"),
        (re.compile(r"иш ўрин\w* мослаштир|мослаштирилган иш", _I), "job carving is not workplace adaptation"),
    ],
    "ru": [
        (re.compile(r"(?<!\w)Дано(?!\w)"), "a natural header, e.g. «Получено»"),
        (re.compile(r"^Через$"), "a natural header, e.g. «Вид взаимодействия»"),
        (re.compile(r"открыт\w* (нам|вам|ей)|открыва\w*", _I), "доступен / предоставляет"),
        (re.compile(r"(?<!\w)кейс", _I), "случай, ведение случая"),
        (re.compile(r"(?<!\w)чтени", _I), "просмотр"),
        (re.compile(r"ЖШШИР|JShShIR|PINFL"), "ПИНФЛ"),
        (re.compile(r"\bICM\b"), "ИВС"),
    ],
    "en": [],
}

# Where the English names a concept, the translation uses the glossary's word for it.
REQUIRED: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(r"\bagreement", _I), {"uz": "shartnoma", "uz_Cyrl": "шартнома", "ru": "соглашени"}),
    (re.compile(r"\bversion", _I), {"uz": "versiya", "uz_Cyrl": "версия", "ru": "верси"}),
    (re.compile(r"\bassessment", _I), {"uz": "ehtiyojlarni baholash", "uz_Cyrl": "эҳтиёжларни баҳолаш", "ru": "оценк"}),
    (re.compile(r"\bclause", _I), {"uz": "band", "uz_Cyrl": "банд", "ru": "пункт"}),
    (re.compile(r"\breferral", _I), {"uz": "yoʻllanma", "uz_Cyrl": "йўлланма", "ru": "направлени"}),
    (re.compile(r"\bconsent", _I), {"uz": "rozili[kg]", "uz_Cyrl": "розили[кг]", "ru": "согласи"}),
    (re.compile(r"\bsignatory", _I), {"uz": "imzo chekuvchi", "uz_Cyrl": "имзо чекувчи", "ru": "подписант"}),
    (
        re.compile(r"\bcase conference", _I),
        {"uz": "keys konferensiya", "uz_Cyrl": "кейс конференция", "ru": r"конференци\w* по случа"},
    ),
    (
        re.compile(r"\bcase manage", _I),
        {"uz": "keys-menej", "uz_Cyrl": "кейс-менеж", "ru": r"ведени\w* случа"},
    ),
    (
        re.compile(r"\bterminat", _I),
        {"uz": "muddatidan oldin bekor qil", "uz_Cyrl": "муддатидан олдин бекор қил", "ru": r"досрочн\w* растор"},
    ),
    (re.compile(r"\bPINFL\b"), {"uz": "JShShIR", "uz_Cyrl": "ЖШШИР", "ru": "ПИНФЛ"}),
    (re.compile(r"\bICM\b"), {"uz": "IKM", "uz_Cyrl": "ИКМ", "ru": "ИВС"}),
    (re.compile(r"\bcarv", _I), {"uz": "job carving", "uz_Cyrl": "job carving", "ru": "job carving"}),
    (re.compile(r"\bwork recommendation", _I), {"uz": "TIEK", "uz_Cyrl": "ТИЭК", "ru": "ВТЭК"}),
    (
        re.compile(r"\bjob matching", _I),
        {"uz": "nomzod tanlash", "uz_Cyrl": "номзод танлаш", "ru": "подбор кандидатов"},
    ),
]

# Latin that Uzbek Cyrillic keeps: acronyms with no Cyrillic form, Roman numerals, and the
# glossary's own "(job carving)".
LATIN_IN_CYRILLIC = (
    *("SHA-256", "PDF", "HTMX", "OIDC", "UTC", "QR", "E-CASE", "E-IMZO", "OneID"),
    *("CSV", "XLSX", "UTF-8", "JPEG", "PNG"),  # file formats, named so in every script
    *("job carving", "job crafting"),
)
_PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_]+\))?[sd]|%%")
_ROMAN = re.compile(r"\b[IVX]+\b")  # disability groups I, II, III are written so in Cyrillic too
_EXAMPLE = re.compile(r"(?:e\.g\.|like)\s+(.*)$")


def _latin_outside_the_allow_list(msgid: str, text: str) -> str:
    text = _ROMAN.sub("", _PLACEHOLDER.sub("", text))
    for allowed in LATIN_IN_CYRILLIC:
        text = text.replace(allowed, "")
    # A hint for a field typed in Latin shows the Latin example the English gives.
    example = _EXAMPLE.search(msgid)
    for token in example.group(1).split() if example else ():
        text = text.replace(token.strip(",."), "")
    return "".join(re.findall(r"[A-Za-z]+", text))


def problems(language: str, msgid: str, msgstr: str) -> list[str]:
    """What in one translation goes against the glossary (empty when nothing does)."""
    found = [
        f"{language} {msgstr!r}: {pattern.pattern!r} is forbidden, use {instead}"
        for pattern, instead in FORBIDDEN[language]
        if pattern.search(msgstr)
    ]
    if language != "en":
        for concept, words in REQUIRED:
            if concept.search(msgid) and not re.search(words[language], msgstr, _I):
                found.append(f"{language} {msgstr!r}: {msgid!r} needs the glossary's {words[language]!r}")
    if language == "uz" and normalise_uz(msgstr) != msgstr:
        found.append(f"uz {msgstr!r}: apostrophes must be ʻ after o/g and ʼ for the tutuq sign")
    if language == "uz_Cyrl" and (latin := _latin_outside_the_allow_list(msgid, msgstr)):
        found.append(f"uz_Cyrl {msgstr!r}: Latin letters {latin!r}")
    return found


def catalogue_problems(path: Path, language: str) -> list[str]:
    with path.open("rb") as fh:
        catalogue = read_po(fh, locale=language)
    found = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgstr in strings:
            found.extend(problems(language, ids[-1] if len(ids) > 1 else ids[0], msgstr))
    return found


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_catalogue_keeps_to_the_glossary(language: str) -> None:
    found = catalogue_problems(CATALOGUES[language], language)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("language", "msgid", "msgstr"),
    [
        ("uz", "Integrated case management", "Integratsiyalashgan holatlarni boshqarish"),
        ("uz", "Version %(n)s", "%(n)s-tahrir"),
        ("uz", "Versions", "Tahrirlar"),
        ("uz", "Assessment", "Baholash"),
        ("uz", "Agreements to sign", "Imzolanadigan kelishuvlar"),
        ("uz", "Partnership agreements", "Sheriklik shartnomalari"),
        ("uz", "Referral", "Yo'llanma"),  # ASCII apostrophe
        ("uz", "Referral", "Yo‘llanma"),  # U+2018
        ("uz", "Data", "Ma’lumotlar"),  # U+2019
        ("uz", "Data", "Maʻlumotlar"),  # the oʻ sign used as the tutuq
        ("uz", "Referrals and carved jobs", "Yoʻllanmalar va moslashtirilgan ish oʻrinlari"),
        ("uz", "Signatory", "Imzolovchi"),
        ("uz", "PINFL", "PINFL"),
        ("uz_Cyrl", "Integrated case management", "Интеграциялашган ҳолатларни бошқариш"),
        ("uz_Cyrl", "Version", "Таҳрир"),
        ("uz_Cyrl", "Agreements to sign", "Имзоланадиган келишувлар"),
        ("uz_Cyrl", "ICM partnership portal", "ICM ҳамкорлик портали"),  # Latin letters
        ("uz_Cyrl", "Case manager", "Кейс-менеджер"),
        ("ru", "Given", "Дано"),
        ("ru", "Through", "Через"),
        ("ru", "Shared with us", "Открыт нам"),
        ("ru", "Case conference", "Кейс-конференция"),
        ("ru", "PINFL", "ЖШШИР"),
        ("ru", "Terminate", "Расторгнуть"),
    ],
)
def test_the_checker_catches_each_planted_bad_entry(language: str, msgid: str, msgstr: str) -> None:
    assert problems(language, msgid, msgstr)


def test_a_catalogue_with_one_planted_bad_entry_fails(tmp_path: Path) -> None:
    catalogue = Catalog(locale="ru")
    catalogue.add("Consent", "Согласие")
    catalogue.add("Given", "Дано")
    path = tmp_path / "messages.po"
    with path.open("wb") as fh:
        write_po(fh, catalogue)
    found = catalogue_problems(path, "ru")
    assert len(found) == 1 and "Дано" in found[0]


@pytest.mark.parametrize(
    ("language", "msgid", "msgstr"),
    [
        ("uz", "Version %(n)s", "%(n)s-versiya"),
        ("uz", "Edit", "Tahrirlash"),  # an edit is still tahrirlash
        ("uz", "Data", "Maʼlumotlar"),
        ("uz", "Referral", "Yoʻllanma"),
        ("uz_Cyrl", "Terms hash (SHA-256)", "Шартлар хеши (SHA-256)"),
        ("uz_Cyrl", "Small Latin letters, digits, dots or dashes, e.g. d.karimova", "Масалан: d.karimova"),
        ("ru", "Sign in with %(provider)s", "Войти через %(provider)s"),  # «через» in a sentence reads well
        ("ru", "Given", "Получено"),
    ],
)
def test_the_checker_lets_the_glossarys_own_words_through(language: str, msgid: str, msgstr: str) -> None:
    assert problems(language, msgid, msgstr) == []


# --- agreement templates ------------------------------------------------------------------------


def _template_texts(template: AgreementTemplate) -> list[tuple[str, dict[str, str]]]:
    texts = [("title", template.title), ("common goals", template.common_goals), ("tools", template.joint_tools)]
    texts += [(f"role of {kind}", values) for kind, values in template.roles.items()]
    texts += [(f"resources of {kind}", values) for kind, values in template.resources.items()]
    return texts


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_template_text_is_written_in_all_four_languages_with_the_glossarys_words(key: str) -> None:
    template = TEMPLATES[key]
    assert set(template.roles) == set(template.resources) == set(template.kinds)
    found = []
    for where, values in _template_texts(template):
        if set(values) != set(i18n.LANGUAGES) or not all(v.strip() for v in values.values()):
            found.append(f"{where}: languages {sorted(values)}")
            continue
        for language in i18n.LANGUAGES:
            found.extend(f"{where}: {problem}" for problem in problems(language, values["en"], values[language]))
            assert template.text(values, language) == values[language]
        assert not re.search(r"[A-Za-z]", values["uz_Cyrl"].replace("E-CASE", "").replace("job carving", "")), where
        assert not re.search(r"[\u0400-\u04ff]", values["uz"]), where
    assert not found, "\n".join(found)


def test_a_template_text_in_a_language_the_portal_does_not_speak_falls_back_to_uzbek_latin() -> None:
    pilot = TEMPLATES["tashkent-icm-pilot"]
    assert pilot.text(pilot.title, "de") == pilot.title["uz"]
    assert pilot.text(pilot.title, "uz_Cyrl").startswith("Тошкент шаҳрида интеграциялашган кейс-менежмент (ИКМ)")
    assert pilot.text(pilot.title, "ru").startswith("Соглашение о партнёрстве")
