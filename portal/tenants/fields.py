"""Checks every tenant form shares: text a database column can hold and a person could have typed."""

from __future__ import annotations

import re

from portal.i18n import gettext as _

# C0 and C1 control characters (NUL among them: PostgreSQL refuses it in text) and lone surrogates,
# which no keyboard produces and no database column stores.
_UNTYPABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def untypable(text: str) -> bool:
    return bool(_UNTYPABLE.search(text))


def untypable_message() -> str:
    return _("This field holds control characters (such as NUL) that cannot be saved. Remove them and try again.")


def ascii_int(text: str) -> int | None:
    """An integer written in ASCII digits that fits a database id; None for anything else (``²`` too)."""
    text = text.strip()
    if not text or len(text) > 10 or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value < 2**31 else None


def id_in_range(value: int) -> bool:
    """Path ids beyond a 32-bit integer exist in no table, and overflow the database's parameters."""
    return 0 < value < 2**31
