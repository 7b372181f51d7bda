"""Uzbek in either script: any apostrophe folds to one sign and one search key, text goes between the
scripts, and content is shown in the reader's script."""

from __future__ import annotations

import contextvars

import pytest

from portal import i18n
from portal.cases.translit import in_readers_script, normalise_uz, search_key, to_cyrillic, to_latin, to_script
from tests.conftest import login, post_form


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Oʻrinboyev Shahzod", "Ўринбоев Шаҳзод"),
        ("Gʻofurova Nilufar", "Ғофурова Нилуфар"),
        ("Ergash Yoqubov", "Эргаш Ёқубов"),
        ("Yusupova Shahnoza", "Юсупова Шаҳноза"),
        ("Choriyev Elyor", "Чориев Элёр"),
        ("Qodirov Sanjar", "Қодиров Санжар"),
    ],
)
def test_names_go_between_the_scripts_and_fold_to_one_key(latin: str, cyrillic: str) -> None:
    assert to_latin(cyrillic) == latin
    assert search_key(latin) == search_key(cyrillic)


def test_to_cyrillic_reads_digraphs_and_any_apostrophe() -> None:
    assert to_cyrillic("O'rinboyev") == to_cyrillic("O‘rinboyev") == to_cyrillic("Oʻrinboyev") == "Ўринбоев"
    assert to_cyrillic("Shahlo") == "Шаҳло"
    assert to_cyrillic("Yoʻldoshev") == "Йўлдошев"


def test_the_search_key_ignores_case_apostrophes_and_the_initial_ye() -> None:
    assert search_key("O'RINBOYEV") == search_key("oʻrinboyev") == "orinboyev"
    assert search_key("Елена") == search_key("Elena")


# --- apostrophes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("O'tkir", "Oʻtkir"),
        ("O‘tkir", "Oʻtkir"),
        ("O’tkir", "Oʻtkir"),
        ("O`tkir", "Oʻtkir"),
        ("Oʼtkir", "Oʻtkir"),  # the tutuq sign where oʻ is meant
        ("g'alaba", "gʻalaba"),
        ("G'OFUR", "GʻOFUR"),
        ("ma'lumot", "maʼlumot"),
        ("ma‘lumot", "maʼlumot"),
        ("maʻlumot", "maʼlumot"),  # the oʻ sign where the tutuq is meant
        ("san`at", "sanʼat"),
        ("Oʻzbekiston maʼlumot", "Oʻzbekiston maʼlumot"),  # already right: unchanged
        ("'Sharoit plus'", "'Sharoit plus'"),  # quotation marks are not between letters
    ],
)
def test_normalise_uz_writes_one_code_point_for_each_sign(typed: str, normalised: str) -> None:
    assert normalise_uz(typed) == normalised
    assert normalise_uz(normalised) == normalised


def test_every_apostrophe_variant_and_the_cyrillic_spelling_give_one_search_key() -> None:
    keys = {search_key(name) for name in ("Oʻtkir", "O'tkir", "O‘tkir", "O’tkir", "O`tkir", "Oʼtkir", "Ўткир")}
    assert keys == {"otkir"}
    assert search_key("ma'lumot") == search_key("maʼlumot") == search_key("маълумот")


def test_a_client_typed_with_any_apostrophe_is_found_by_every_variant(client) -> None:  # type: ignore[no-untyped-def]
    login(client, "inson.social")
    form = {
        "full_name": "O'tkirov O‘tkir G`ayrat o’g’li",
        "full_name_cyrl": "",
        "pinfl": "31203851234999",
        "birth_date": "1990-05-21",
        "gender": "male",
        "phone": "",
        "district_code": "tashkent-yunusobod",
        "disability_group": "II",
        "work_recommendation": "",
        "case_notes": "",
    }
    response = post_form(client, "/clients", form)
    assert response.status_code == 303, response.text
    assert "tkirov" not in client.get("/clients", params={"q": "Karimova"}).text
    for typed in ("Oʻtkir", "O'tkir", "O‘tkir", "Ўткир", "oʻtkirov", "ЎТКИРОВ", "G'ayrat", "Ғайрат"):
        assert "tkirov" in client.get("/clients", params={"q": typed}).text, typed


# --- between the scripts ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Oʻzbekiston", "Ўзбекистон"),
        ("shartnoma", "шартнома"),
        ("Yunusobod", "Юнусобод"),
        ("mahalla", "маҳалла"),
        ("ijtimoiy", "ижтимоий"),
        ("yoʻllanma", "йўлланма"),
        ("tuman", "туман"),
        ("gʻalaba", "ғалаба"),
        ("maʼlumot", "маълумот"),
        ("Shahzod", "Шаҳзод"),
        ("Chorsu", "Чорсу"),
        ("SHARTNOMA", "ШАРТНОМА"),
        ("Sh", "Ш"),
        ("Ch", "Ч"),
        ("Ng", "Нг"),
        ("tong", "тонг"),
        ("Yelena", "Елена"),
        ("Ergash", "Эргаш"),
        ("ehtiyojlarni baholash", "эҳтиёжларни баҳолаш"),
        ("Hamkorlik shartnomasi", "Ҳамкорлик шартномаси"),
        ("keys konferensiyasi", "кейс конференцияси"),
        ("integratsiyalashgan keys-menejment", "интеграциялашган кейс-менежмент"),
    ],
)
def test_real_uzbek_words_go_both_ways(latin: str, cyrillic: str) -> None:
    assert to_cyrillic(latin) == cyrillic
    assert to_latin(cyrillic) == latin


def test_tse_after_a_consonant_is_written_s_in_latin() -> None:
    assert to_latin("концерт") == "konsert"
    assert to_latin("милиция") == "militsiya"


def test_latin_typed_with_any_apostrophe_reaches_the_same_cyrillic() -> None:
    assert to_cyrillic("O'zbekiston") == to_cyrillic("O‘zbekiston") == to_cyrillic("Oʻzbekiston") == "Ўзбекистон"
    assert to_cyrillic("yo'llanma") == "йўлланма"


def test_addresses_and_acronyms_keep_their_latin_form() -> None:
    assert to_cyrillic("ish.mehnat.uz bazasi") == "ish.mehnat.uz базаси"
    assert to_cyrillic("PDF yuklab olish") == "PDF юклаб олиш"
    assert to_cyrillic("JShShIR va MChJ") == "ЖШШИР ва МЧЖ"


@pytest.mark.parametrize(
    ("text", "language", "shown"),
    [
        ("Yunusobod tumanida hamkorlik shartnomasi", "uz_Cyrl", "Юнусобод туманида ҳамкорлик шартномаси"),
        ("Юнусобод туманида ҳамкорлик шартномаси", "uz", "Yunusobod tumanida hamkorlik shartnomasi"),
        ("Yunusobod tumanida hamkorlik shartnomasi", "uz", "Yunusobod tumanida hamkorlik shartnomasi"),
        ("Юнусобод туманида ҳамкорлик шартномаси", "uz_Cyrl", "Юнусобод туманида ҳамкорлик шартномаси"),
        # Russian and English are not Uzbek in another script: shown as typed.
        ("Соглашение о партнёрстве по пилоту", "uz", "Соглашение о партнёрстве по пилоту"),
        ("Partnership agreement for the pilot", "uz_Cyrl", "Partnership agreement for the pilot"),
        # Readers of Russian and English see the text as it was typed.
        ("Yunusobod tumanida hamkorlik shartnomasi", "ru", "Yunusobod tumanida hamkorlik shartnomasi"),
        ("Юнусобод туманида ҳамкорлик шартномаси", "en", "Юнусобод туманида ҳамкорлик шартномаси"),
    ],
)
def test_to_script_shows_uzbek_content_in_the_readers_script(text: str, language: str, shown: str) -> None:
    assert to_script(text, language) == shown


def test_in_readers_script_follows_the_language_of_the_request() -> None:
    def shown_in(language: str) -> str:
        i18n.set_language(language)
        return in_readers_script("Hamkorlik shartnomasi")

    # Each in a copied context, so the language chosen here does not leak into later tests.
    assert contextvars.copy_context().run(shown_in, "uz_Cyrl") == "Ҳамкорлик шартномаси"
    assert contextvars.copy_context().run(shown_in, "uz") == "Hamkorlik shartnomasi"
    assert contextvars.copy_context().run(shown_in, "ru") == "Hamkorlik shartnomasi"
    assert in_readers_script(None) == ""
