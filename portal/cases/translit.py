"""Uzbek Cyrillic <-> Latin for names, and a script-free search key.

A small table rather than a dependency: the packages seen on the index were either young
(`alifbo`) or not Uzbek-specific (`cyrtranslit`), and names need only the letters below. The
search key folds both scripts, case and the several apostrophes people type for oʻ/gʻ into one
ASCII form, so "Oʻrinboyev", "O'rinboyev", "orinboyev" and "Ўринбоев" all find each other.
"""

from __future__ import annotations

import re

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ғ": "gʻ", "д": "d", "е": "e", "ё": "yo", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "oʻ", "ф": "f", "х": "x", "ҳ": "h",
    "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "ʼ", "ы": "i", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
_VOWELS_CYR = set("аеёиоуўэюяАЕЁИОУЎЭЮЯ")
_APOSTROPHES = "ʻʼ‘’'`´"
# Latin digraphs first, so "sh" is read before "s".
_LAT_TO_CYR = [
    ("yoʻ", "йў"), ("oʻ", "ў"), ("gʻ", "ғ"), ("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"), ("ya", "я"),
    ("ye", "е"), ("ts", "ц"),
    ("a", "а"), ("b", "б"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "ҳ"), ("i", "и"),
    ("j", "ж"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"), ("q", "қ"),
    ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("x", "х"), ("y", "й"), ("z", "з"),
    ("ʼ", "ъ"),
]  # fmt: skip


def _normalise_apostrophes(text: str) -> str:
    # o' and g' are written with any apostrophe-like sign; ʻ is the standard one.
    return re.sub(r"([oOgG])[" + _APOSTROPHES + "]", r"\1ʻ", text)


def to_latin(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        low = ch.lower()
        if low not in _CYR_TO_LAT:
            out.append(ch)
            continue
        latin = _CYR_TO_LAT[low]
        if low == "е" and (i == 0 or not text[i - 1].isalpha() or text[i - 1] in _VOWELS_CYR):
            latin = "ye"  # Е at a word's start or after a vowel sounds "ye"
        if ch.isupper() and latin:
            nxt = text[i + 1] if i + 1 < len(text) else ""
            latin = latin.upper() if nxt.isupper() else latin[0].upper() + latin[1:]
        out.append(latin)
    return "".join(out)


def to_cyrillic(text: str) -> str:
    text = _normalise_apostrophes(text)
    out = []
    i = 0
    while i < len(text):
        for latin, cyr in _LAT_TO_CYR:
            piece = text[i : i + len(latin)]
            if piece.lower() == latin:
                if latin == "e" and (i == 0 or not text[i - 1].isalpha()):
                    cyr = "э"  # a word-initial E is Э
                if piece.isupper() and len(piece) > 1:
                    cyr = cyr.upper()
                elif piece[0].isupper():
                    cyr = cyr[0].upper() + cyr[1:]
                out.append(cyr)
                i += len(latin)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def search_key(text: str) -> str:
    """Lower-case ASCII Latin without apostrophes: the same for a name in either script."""
    latin = to_latin(_normalise_apostrophes(text)).lower()
    latin = latin.replace("ʻ", "").replace("ʼ", "")
    for sign in _APOSTROPHES:
        latin = latin.replace(sign, "")
    # "ye" and "e" are spelled either way at a word's start (Yergash / Ergash): fold to "e".
    latin = re.sub(r"\bye", "e", latin)
    return re.sub(r"\s+", " ", latin).strip()


def has_cyrillic(text: str) -> bool:
    return any("\u0400" <= ch <= "\u04ff" for ch in text)
