"""A client's name as pages show it, in the reader's script.

An Uzbek Cyrillic reader sees the stored Cyrillic form, or the Latin form transliterated when only that
is stored; everyone else sees the passport's Latin form. `other_form` is the other form beside it: the
Latin form for a Cyrillic reader, the Cyrillic otherwise. Both take a redacted view (or anything with
`has`, `value` and `id`) and return markup, each value escaped.

Templates call them as globals, not as Jinja macros: a list calls them for every row, and a macro's
call cost about a twentieth of a list page's CPU.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from portal import i18n
from portal.cases.translit import to_script

# The same names and organisation names recur on a page and across pages: transliterate each once.
_in_script = lru_cache(maxsize=4096)(to_script)


def in_readers_script(text: str | None) -> str:
    """Typed content in the reader's Uzbek script (see portal.cases.translit)."""
    return _in_script(text or "", i18n.current_language())


def client_name(client: Any) -> Markup:
    if not client.has("full_name"):
        return Markup(i18n.gettext("Client no. %(id)s")) % {"id": client.id}  # noqa: S704 - the catalogue's text
    if i18n.current_language() == "uz_Cyrl":
        return escape(client.value("full_name_cyrl") or in_readers_script(client.value("full_name")))
    return escape(client.value("full_name"))


def other_form(client: Any) -> Markup:
    if not client.has("full_name"):
        return Markup()
    if i18n.current_language() == "uz_Cyrl":
        return Markup('<span class="muted" lang="uz-Latn">(%s)</span>') % client.value("full_name")
    if client.value("full_name_cyrl"):
        return Markup('<span class="muted" lang="uz-Cyrl">(%s)</span>') % client.value("full_name_cyrl")
    return Markup()
