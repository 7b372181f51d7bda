"""The outreach list's file format: the documented columns, how an uploaded file is recognised (by its
content, not its name), read (CSV with ";" or "," and an optional BOM, or XLSX streamed read-only),
and how each row is checked. No database here: the import (outreach_import.py) drives these.

Every problem names its line and column and says what to do, in words translated when shown; no
value from the file is repeated in a message, so the error table holds no one's personal data.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from portal.cases import translit
from portal.cases.clients import PHONE_RE, PINFL_RE
from portal.i18n import lazy

MAX_FILE_BYTES = 8 * 1024 * 1024
# An XLSX is a zip: what it unpacks to is bounded too, so a small file cannot hide a huge sheet.
MAX_UNPACKED_BYTES = 160 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS_KEPT = 500


@dataclass(frozen=True)
class Column:
    code: str
    required: bool
    meaning: str  # msgid
    example: str
    max_length: int = 0


COLUMNS = (
    Column("pinfl", True, lazy("PINFL: the 14-digit personal identification number from the passport."),
           "31203851234567"),
    Column("full_name", True, lazy("Full name: surname, name and patronymic, in Latin or Cyrillic."),
           "Qurbonov Gʻayrat Ulugʻbek oʻgʻli", 200),
    Column("birth_date", True, lazy("Birth date: DD.MM.YYYY or YYYY-MM-DD (a date cell in XLSX)."), "12.03.1985"),
    Column("gender", False, lazy("Gender: female or male (ayol/erkak, аёл/эркак, ж/м are read too)."), "male"),
    Column("mahalla", True, lazy("Mahalla: the name of the mahalla citizens' assembly where the person lives."),
           "Bodomzor", 120),
    Column("address", False, lazy("Address: street, house and flat."), "Amir Temur koʻchasi 12, 5-xonadon", 300),
    Column("phone", False, lazy("Phone: a number like +998 90 123 45 67."), "+998 90 123 45 67"),
    Column("disability_group", True, lazy("Disability group set by the TIEK: I, II or III (1, 2, 3 are read too)."),
           "II"),
    Column("disability_until", False,
           lazy("Disability established until (the next re-examination): a date; empty if without a term."),
           "01.06.2027"),
    Column("work_recommendation", True,
           lazy("The TIEK work recommendation: the kinds of work and conditions it allows."),
           "Light work sitting down; no night shifts", 2000),
)  # fmt: skip
BY_CODE = {c.code: c for c in COLUMNS}
_GENDERS = {
    **dict.fromkeys(("female", "f", "ayol", "аёл", "ж", "женский", "жен"), "female"),
    **dict.fromkeys(("male", "m", "erkak", "эркак", "э", "м", "мужской", "муж"), "male"),
}
_GROUPS = {"i": "I", "1": "I", "ii": "II", "2": "II", "iii": "III", "3": "III"}
_DOTTED = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_XLSX_MAGIC = b"PK\x03\x04"
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\xd0\xcf\x11\xe0", b"\x7fELF", b"MZ", b"\x1f\x8b")


class FileProblem(Exception):
    """The whole file cannot be read; `message` is a msgid, `params` fill it."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message, self.params = message, params


@dataclass
class Problem:
    line: int
    column: str  # a column code, or "" for the whole line
    message: str  # msgid
    params: dict[str, Any]

    def stored(self) -> list[Any]:
        return [self.line, self.column, self.message, self.params]


def recognise(filename: str, data: bytes) -> str:
    """ "csv" or "xlsx", judged by the content (the name only tells a CSV from other text); FileProblem
    for anything else, an empty file or one over the limit."""
    if not data:
        raise FileProblem(lazy("The file is empty. Choose the filled-in list."))
    if len(data) > MAX_FILE_BYTES:
        raise FileProblem(
            lazy("The file is larger than %(mb)s MB. Split the list into several files."), mb=MAX_FILE_BYTES // 2**20
        )
    if data.startswith(_XLSX_MAGIC):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = archive.infolist()
                if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                    raise FileProblem(
                        lazy("The file is larger than %(mb)s MB. Split the list into several files."),
                        mb=MAX_FILE_BYTES // 2**20,
                    )
                if any(m.filename == "xl/workbook.xml" for m in members):
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise FileProblem(lazy("This is not a CSV or XLSX file. Save the list as CSV (UTF-8) or as an XLSX workbook."))
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data[:4096]:
        raise FileProblem(lazy("This is not a CSV or XLSX file. Save the list as CSV (UTF-8) or as an XLSX workbook."))
    if not filename.lower().endswith((".csv", ".txt")):
        raise FileProblem(lazy("This is not a CSV or XLSX file. Save the list as CSV (UTF-8) or as an XLSX workbook."))
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(
            lazy("The CSV file is not in UTF-8. In the spreadsheet choose “CSV UTF-8” when saving.")
        ) from None
    return "csv"


def read_rows(kind: str, data: bytes) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """The header and the non-empty rows with their line numbers; FileProblem if it cannot be read."""
    rows = _csv_rows(data) if kind == "csv" else _xlsx_rows(data)
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for line, values in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if header is None:
            header = [_header_code(v) for v in values]
            continue
        body.append((line, list(values)))
        if len(body) > MAX_ROWS:
            raise FileProblem(lazy("The file has more than %(n)s rows. Split the list into several files."), n=MAX_ROWS)
    if header is None:
        raise FileProblem(lazy("The file has no header row. Start from the template."))
    return header, body


def _header_code(value: Any) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"[\s\-]+", "_", text.strip().lstrip("\ufeff").lower())


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = data.decode("utf-8-sig")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        line = 1
        for values in reader:
            yield line, values
            line = reader.line_num + 1
    except csv.Error:
        raise FileProblem(lazy("Line %(line)s of the CSV file cannot be read (check the quotes)."), line=line) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged workbook
        raise FileProblem(lazy("The XLSX workbook cannot be opened. Save it again from the spreadsheet.")) from None
    try:
        sheet = book.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, list(values)
    finally:
        book.close()


def check_header(header: list[str]) -> list[Problem]:
    problems = []
    seen: set[str] = set()
    for code in header:
        if code and code not in BY_CODE:
            problems.append(Problem(1, code[:60], lazy("Unknown column. Use the column names of the template."), {}))
        elif code in seen:
            problems.append(Problem(1, code, lazy("This column appears twice."), {}))
        seen.add(code)
    for column in COLUMNS:
        if column.required and column.code not in header:
            problems.append(Problem(1, column.code, lazy("This column is missing; the template has it."), {}))
    return problems


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _date(value: Any) -> date | None:
    """A date cell, or text as YYYY-MM-DD or DD.MM.YYYY; raises ValueError otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if not text:
        return None
    dotted = _DOTTED.fullmatch(text)
    if dotted:
        return date(int(dotted.group(3)), int(dotted.group(2)), int(dotted.group(1)))
    if not text.isascii():
        raise ValueError(text)
    return date.fromisoformat(text)


def check_row(line: int, header: list[str], values: list[Any], today: date) -> tuple[dict[str, Any], list[Problem]]:
    """One row as the values to store, and its problems (the values are incomplete when there are any)."""
    cells = {code: values[i] if i < len(values) else None for i, code in enumerate(header) if code in BY_CODE}
    problems: list[Problem] = []

    def problem(code: str, message: str, **params: Any) -> None:
        problems.append(Problem(line, code, message, params))

    text = {code: _text(cells.get(code)) for code in BY_CODE}
    for code, value in text.items():
        if any(ord(ch) < 32 for ch in value):
            problem(code, lazy("Remove the invisible control characters from this cell."))
        elif BY_CODE[code].required and not value:
            problem(code, lazy("This cell is empty; it must be filled in."))
        elif BY_CODE[code].max_length and len(value) > BY_CODE[code].max_length:
            problem(code, lazy("At most %(n)s characters."), n=BY_CODE[code].max_length)
    # Every cell is checked, so one pass over the file names all that is wrong in a row; a cell
    # already reported above is not reported twice.
    seen = {p.column for p in problems}
    clean: dict[str, Any] = {}
    if "pinfl" not in seen and not (text["pinfl"].isascii() and PINFL_RE.fullmatch(text["pinfl"])):
        problem("pinfl", lazy("The PINFL is exactly 14 digits, as in the passport."))
    name = translit.normalise_uz(text["full_name"])
    clean["full_name"], clean["full_name_cyrl"] = (
        (translit.to_latin(name), name) if translit.has_cyrillic(name) else (name, "")
    )
    if "full_name" not in seen and not 3 <= len(clean["full_name"]) <= 200:
        problem("full_name", lazy("Enter the person's full name (3 to 200 characters)."))
    for code in ("birth_date", "disability_until"):
        try:
            clean[code] = None if code in seen else _date(cells.get(code))
        except ValueError:
            problem(code, lazy("Write the date as DD.MM.YYYY, e.g. 21.05.1990."))
    born = clean.get("birth_date")
    if born is not None and not date(1900, 1, 1) <= born <= today:
        problem("birth_date", lazy("The birth date must be in the past."))
    gender = text["gender"].lower()
    if "gender" not in seen and gender and gender not in _GENDERS:
        problem("gender", lazy("Write female or male, or leave the cell empty."))
    group = _GROUPS.get(text["disability_group"].lower())
    if "disability_group" not in seen and group is None:
        problem("disability_group", lazy("Write the disability group as I, II or III."))
    if "phone" not in seen and text["phone"] and not (text["phone"].isascii() and PHONE_RE.fullmatch(text["phone"])):
        problem("phone", lazy("Write a phone number like +998 90 123 45 67, or leave the cell empty."))
    clean.update(
        pinfl=text["pinfl"],
        gender=_GENDERS.get(gender, ""),
        mahalla=translit.normalise_uz(text["mahalla"]),
        address=text["address"],
        phone=text["phone"],
        disability_group=group or "",
        work_recommendation=text["work_recommendation"],
    )
    return clean, problems


def template_csv() -> bytes:
    """The downloadable template: the header and one example row, UTF-8 with a BOM so spreadsheets
    open it in the right encoding."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.code for c in COLUMNS])
    writer.writerow([c.example for c in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
