"""What no handler should ever be given: the checks made at the request's edge, and the two helpers
every form uses for what the edge cannot know (which field is a number, how long a column is).

The edge (`portal.edge_middleware.EdgeMiddleware`) refuses, before any handler or query runs:
- an id in the path (or an integer query parameter) outside 0..ID_MAX, or not written in ASCII
  digits: a 404, as for any id that names nothing. Python's int() reads "٣" as 3 and "1_0" as 10,
  and raises on "²" although "²".isdigit() is true; SQLite overflows at 2**63, PostgreSQL's int4
  columns at 2**31 — each was a 500;
- a path with a component over 255 bytes: no route or static file has such a name, and the file
  system refuses it with an error (a 404, like any other name that names nothing);
- a NUL character anywhere in the path, the query string or a posted form (a name or a value):
  PostgreSQL cannot store it in text, so it is a 400 page saying so. This is the safety net; a
  form that checks its fields with `clean_text` reports such a character beside the field instead.

Forms read numbers with `parse_int` and text with `clean_text`; neither ever raises.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote_to_bytes

from portal.i18n import gettext as _

# Every id column is an INTEGER: int4 on PostgreSQL, so no row can have a larger id on any backend.
ID_MAX = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")
# Line breaks and tabs are text in a multi-line field; every other control character is not.
_MULTILINE_ALLOWED = frozenset("\n\r\t")


def parse_int(value: object, minimum: int = 0, maximum: int = ID_MAX) -> int | None:
    """The integer written in ASCII digits (no sign, no spaces, no "²", "٣" or "1_0"), or None when it
    is not one or lies outside minimum..maximum. Unicode digits never reach int()."""
    text = str(value) if value is not None else ""
    if not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def control_characters(text: str, multiline: bool = False) -> list[str]:
    """The control characters (Unicode category Cc) in `text`; line breaks and tabs only count when
    the field is a single line."""
    allowed = _MULTILINE_ALLOWED if multiline else frozenset()
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in allowed]


def clean_text(value: object, max_length: int, *, multiline: bool = False) -> tuple[str, str | None]:
    """The posted text without surrounding spaces, and the message to show beside its field when it
    cannot be stored as it is (None when it can): longer than `max_length` characters (the column's
    length), or holding NUL or another invisible control character (line breaks and tabs are allowed
    when `multiline`). The text comes back as typed, so the form can keep it."""
    text = str(value).strip() if value is not None else ""
    if control_characters(text, multiline):
        return text, _("Remove the invisible control characters from this field.")
    if len(text) > max_length:
        return text, _("Use at most %(count)s characters here (now %(length)s).") % {
            "count": max_length,
            "length": len(text),
        }
    return text, None


def has_nul(raw: bytes | str) -> bool:
    """True when a path or query string holds a NUL, written as is or percent-encoded."""
    data = raw.encode("latin-1", "replace") if isinstance(raw, str) else raw
    return b"\x00" in data or b"\x00" in unquote_to_bytes(data)


def path_ids_in_range(path_format: str, path: str, params: dict[str, object]) -> bool:
    """False when an int path parameter is out of range or was not written in ASCII digits.

    The route's format ("/clients/{client_id}", as Litestar keeps it in the scope) and the request's
    path are matched component by component; a parameter parsed as an int must have been written as
    one. A ":path" parameter (the last) takes the rest of the path, which then holds no ids.
    """
    ints = {name for name, value in params.items() if isinstance(value, int) and not isinstance(value, bool)}
    for part, raw in zip(path_format.strip("/").split("/"), path.strip("/").split("/"), strict=False):
        if part.startswith("{") and part.endswith("}") and part[1:-1] in ints and parse_int(raw) is None:
            return False
    # Whatever the alignment, the parsed values themselves must be in range.
    return all(parse_int(params[name]) is not None for name in ints)


def too_long(path: str) -> bool:
    """True when a component of the path is longer than any file or route name can be (255 bytes)."""
    return any(len(part.encode("utf-8", "surrogatepass")) > 255 for part in path.split("/"))
