"""Languages: gettext catalogues compiled by Babel, chosen per request.

The current language lives in a context variable set by the locale middleware, so Python code
(form errors, flash messages) and templates translate through the same catalogue.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
LANGUAGES = ("uz", "uz_Cyrl", "ru", "en")
DEFAULT_LANGUAGE = "uz"
LANGUAGE_NAMES = {"uz": "O‘zbekcha", "uz_Cyrl": "Ўзбекча", "ru": "Русский", "en": "English"}
HTML_LANG = {"uz": "uz-Latn", "uz_Cyrl": "uz-Cyrl", "ru": "ru", "en": "en"}
LANGUAGE_COOKIE = "portal_lang"

_current: ContextVar[str] = ContextVar("portal_language", default=DEFAULT_LANGUAGE)
_catalogues: dict[str, NullTranslations] = {}
# When set (by tests), every msgid looked up but absent from a non-English catalogue is added here.
missing: set[tuple[str, str]] | None = None


def catalogue(language: str) -> NullTranslations:
    if language not in _catalogues:
        found = Translations.load(str(TRANSLATIONS_DIR), [language], domain="messages")
        if not isinstance(found, Translations):
            raise RuntimeError(f"No compiled catalogue for {language!r} in {TRANSLATIONS_DIR}: run `make compile`")
        _catalogues[language] = found
    return _catalogues[language]


def load_all() -> None:
    for language in LANGUAGES:
        catalogue(language)


def set_language(language: str) -> None:
    _current.set(language if language in LANGUAGES else DEFAULT_LANGUAGE)


def current_language() -> str:
    return _current.get()


def _note_missing(language: str, msgid: str, translated: str) -> None:
    if missing is not None and translated == msgid and language != "en":
        cat = catalogue(language)
        if msgid not in getattr(cat, "_catalog", {}):
            missing.add((language, msgid))


def gettext(message: str) -> str:
    language = _current.get()
    translated = catalogue(language).gettext(message)
    _note_missing(language, message, translated)
    return translated


def ngettext(singular: str, plural: str, n: int) -> str:
    language = _current.get()
    translated = catalogue(language).ngettext(singular, plural, n)
    _note_missing(language, singular if n == 1 else plural, translated)
    return translated


def pgettext(context: str, message: str) -> str:
    return catalogue(_current.get()).pgettext(context, message)


def choose_language(cookie: str | None, profile: str | None, accept_language: str | None) -> str:
    """The user's explicit choice first (cookie, then profile), then the browser's, then Uzbek Latin.

    A browser that states no preference (no header, an empty one, or only "*") gets Uzbek Latin.
    """
    for choice in (cookie, profile):
        if choice in LANGUAGES:
            return choice
    for tag in _accepted(accept_language or ""):
        tag = tag.replace("-", "_").lower()
        if tag in {"uz_cyrl", "uz_cyrl_uz"}:
            return "uz_Cyrl"
        base = tag.split("_")[0]
        if base in {"uz", "ru", "en"}:
            return base
    return DEFAULT_LANGUAGE


def _accepted(header: str) -> list[str]:
    weighted = []
    for index, part in enumerate(header.split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip()
        if not tag:
            continue
        quality = 1.0
        for bit in bits[1:]:
            if bit.strip().startswith("q="):
                try:
                    quality = float(bit.strip()[2:])
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue  # q=0 means "not this language"
        # "*" is any language the browser did not name: the portal's default stands for it.
        weighted.append((-quality, index, DEFAULT_LANGUAGE if tag == "*" else tag))
    return [tag for _, _, tag in sorted(weighted)]


def lazy(message: str) -> str:
    """Marks a string for extraction where it is defined; translate it where it is shown."""
    return message
