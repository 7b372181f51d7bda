"""Uzbek in either script: apostrophes, Cyrillic <-> Latin, a script-free search key, the reader's script.

Transliteration is done by `alifbo` (MIT, no dependencies), which knows the spelling rules a
letter table misses: Е as "ye" or "e" by position, Ц as "ts" or "s", ъ as the tutuq sign, the
"sʼh" boundary and "yoʻ"/"yo"/"yu"/"ya". It converts through the 2026 Latin alphabet; the
portal writes the Latin alphabet in force (oʻ, gʻ, sh, ch), so Latin output is brought back to it.

Apostrophes: Uzbek Latin writes oʻ and gʻ with ʻ (U+02BB) and the tutuq sign with ʼ (U+02BC).
People type ' ‘ ’ ` or either sign in either place; `normalise_uz` puts the right one back, and
the search key drops them, so "Oʻtkir", "O'tkir", "O‘tkir" and "Ўткир" all find each other.
"""

from __future__ import annotations

import re

import alifbo

OKINA = "\u02bb"  # ʻ in oʻ, gʻ
TUTUQ = "\u02bc"  # ʼ, the tutuq sign
_TYPED_APOSTROPHES = "'‘’`´′ʼʻ"
_LATIN_LETTER = "A-Za-z"
_OKINA_AFTER_O_G = re.compile(f"([oOgG])[{_TYPED_APOSTROPHES}](?=[{_LATIN_LETTER}])")
_TUTUQ_BETWEEN = re.compile(f"(?<=[{_LATIN_LETTER}])(?<![oOgG])[{_TYPED_APOSTROPHES}](?=[{_LATIN_LETTER}])")

# Written as they are in Cyrillic too; or spelled differently there than letter by letter.
_KEEP_LATIN = (
    "PDF",
    "SHA-256",
    "HTMX",
    "OIDC",
    "UTC",
    "QR",
    "E-CASE",
    "OneID",
    "E-IMZO",
    "job carving",
    "job crafting",
)
_CYRILLIC_FORMS = {"JShShIR": "ЖШШИР", "JSHSHIR": "ЖШШИР", "MChJ": "МЧЖ", "ICM": "ИКМ"}
_CYRILLIC_FORM = re.compile(r"\b(" + "|".join(_CYRILLIC_FORMS) + r")\b")
_TSE_AFTER_CONSONANT = re.compile(r"(?<=[бвгджзйклмнпрстфхчшқғҳ])ц", re.IGNORECASE)
# Loanwords whose Cyrillic keeps the Russian ц where Latin writes s.
_CYRILLIC_STEMS = {"konferensiya": "конференция"}
_CYRILLIC_STEM = re.compile(r"\b(" + "|".join(_CYRILLIC_STEMS) + ")", re.IGNORECASE)
_DOMAIN = re.compile(r"\b[\w-]+(?:\.[\w-]+)*\.(?:uz|ru|com|org|net|gov)\b", re.ASCII)


def normalise_uz(text: str) -> str:
    """Uzbek Latin with one code point per sign: ʻ after o/g, ʼ for the tutuq sign between letters."""
    text = _OKINA_AFTER_O_G.sub(lambda m: m.group(1) + OKINA, text)
    return _TUTUQ_BETWEEN.sub(TUTUQ, text)


def to_latin(text: str) -> str:
    """Uzbek Cyrillic to Uzbek Latin (oʻ, gʻ, sh, ch); Latin parts stay as they are."""
    if not has_cyrillic(text):
        return text
    # Ц after a consonant is written s (konsert, konferensiya); after a vowel ts (integratsiya).
    text = _TSE_AFTER_CONSONANT.sub(lambda m: "С" if m.group(0).isupper() else "с", text)
    new_latin = alifbo.from_cyrillic(text).text
    return normalise_uz(alifbo.to_old_latin(new_latin).text)


def to_cyrillic(text: str) -> str:
    """Uzbek Latin, with any apostrophe, to Uzbek Cyrillic; addresses and known acronyms stay Latin."""
    if not has_latin(text):
        return text
    text = _CYRILLIC_FORM.sub(lambda m: _CYRILLIC_FORMS[m.group(1)], normalise_uz(text))
    text = _CYRILLIC_STEM.sub(_cyrillic_stem, text)
    protected = [*_KEEP_LATIN, *_DOMAIN.findall(text)]
    return alifbo.to_cyrillic(text, protected_terms=protected).text


def _cyrillic_stem(match: re.Match[str]) -> str:
    word = match.group(1)
    cyrillic = _CYRILLIC_STEMS[word.lower()]
    if word.isupper():
        return cyrillic.upper()
    return cyrillic[0].upper() + cyrillic[1:] if word[0].isupper() else cyrillic


def search_key(text: str) -> str:
    """Lower-case ASCII Latin without apostrophes: the same for a name in either script."""
    latin = to_latin(normalise_uz(text)).lower()
    for sign in _TYPED_APOSTROPHES:
        latin = latin.replace(sign, "")
    # "ye" and "e" are spelled either way at a word's start (Yergash / Ergash): fold to "e".
    latin = re.sub(r"\bye", "e", latin)
    return re.sub(r"\s+", " ", latin).strip()


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)


def has_latin(text: str) -> bool:
    return any("a" <= ch.lower() <= "z" for ch in text)


# --- the reader's script ------------------------------------------------------------------------
# Content typed in one Uzbek script is shown in the other; Russian or English content is left alone.
# The language of a text is guessed from words and letters only one of the two languages uses.

_RU_WORDS = frozenset("и в во на с со о об по для не от к за из при или что это как же до".split())
_RU_ENDINGS = ("ость", "ение", "ания", "ения", "ого", "его", "ому", "ых", "ых", "ться", "ция")
_UZ_CYR_WORDS = frozenset("ва билан учун бўйича бу ёки ҳам эса ҳамда".split())
_UZ_ENDINGS_CYR = ("лар", "лари", "нинг", "даги", "лик", "лиги", "ган", "иш", "ини", "дан")
_EN_WORDS = frozenset("the of and to for in on by with a an is are be from at or as this that".split())
_UZ_LAT_WORDS = frozenset("va bilan uchun boʻyicha bu yoki ham esa hamda".split())
_UZ_ENDINGS_LAT = ("lar", "lari", "ning", "dagi", "lik", "ligi", "gan", "ish", "ini", "dan")


def _looks_uzbek_cyrillic(text: str) -> bool:
    words = re.findall(r"[\u0400-\u04ff]+", text.lower())
    russian = sum(w in _RU_WORDS or bool(set(w) & set("ыщ")) or w.endswith(_RU_ENDINGS) for w in words)
    uzbek = sum(w in _UZ_CYR_WORDS or bool(set(w) & set("ўқғҳ")) or w.endswith(_UZ_ENDINGS_CYR) for w in words)
    return uzbek >= russian


def _looks_uzbek_latin(text: str) -> bool:
    words = re.findall(f"[A-Za-z{OKINA}{TUTUQ}]+", normalise_uz(text))
    english = sum(
        w.lower() in _EN_WORDS or "w" in w.lower() or "th" in w.lower() or bool(re.search("c(?!h)", w)) for w in words
    )
    uzbek = sum(
        w.lower() in _UZ_LAT_WORDS
        or bool(set(w.lower()) & set(f"qx{OKINA}{TUTUQ}"))
        or w.lower().endswith(_UZ_ENDINGS_LAT)
        for w in words
    )
    return uzbek >= english


def to_script(text: str, language: str) -> str:
    """The text in the reader's script: Latin for "uz", Cyrillic for "uz_Cyrl", as it is otherwise."""
    if language == "uz_Cyrl" and has_latin(text) and _looks_uzbek_latin(text):
        return to_cyrillic(text)
    if language == "uz" and has_cyrillic(text) and _looks_uzbek_cyrillic(text):
        return to_latin(text)
    return text


def in_readers_script(text: str | None) -> str:
    """`to_script` in the current request's language: a template filter for typed content."""
    from portal.i18n import current_language

    return to_script(text or "", current_language())
