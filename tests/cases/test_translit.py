"""A name typed in either Uzbek script, with any apostrophe, folds to the same search key."""

from __future__ import annotations

import pytest

from portal.cases.translit import search_key, to_cyrillic, to_latin


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
