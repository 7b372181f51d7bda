"""Outreach list files made in the tests (CSV with either delimiter, XLSX) and the upload they go through."""

from __future__ import annotations

import csv
import io
import re
import time
from typing import Any

from sqlalchemy import func, select

from portal.cases.models import OutreachImport, OutreachPerson
from tests.conftest import csrf, with_db
from tests.factories import tenant_id

HEADER = [
    "pinfl",
    "full_name",
    "birth_date",
    "gender",
    "mahalla",
    "address",
    "phone",
    "disability_group",
    "disability_until",
    "work_recommendation",
]
MAHALLAS = ["Bodomzor", "Oʻzbekiston", "Minor", "Yangi hayot"]


def person_row(n: int, **overrides: Any) -> dict[str, str]:
    """A valid row for person number n (PINFLs 4xxxxxxxxxxxxx are unique per n)."""
    row = {
        "pinfl": f"4{n:013d}",
        "full_name": f"Karimova Dilnoza {n} Rustam qizi",
        "birth_date": f"{1 + n % 28:02d}.{1 + n % 12:02d}.{1960 + n % 40}",
        "gender": "female" if n % 2 else "male",
        "mahalla": MAHALLAS[n % len(MAHALLAS)],
        "address": f"Amir Temur koʻchasi {n}",
        "phone": "+998 90 123 45 67",
        "disability_group": ["I", "II", "III"][n % 3],
        "disability_until": "" if n % 2 else "2027-06-01",
        "work_recommendation": "Light work sitting down; no night shifts",
    }
    row.update(overrides)
    return row


def csv_file(rows: list[dict[str, str]], delimiter: str = ";", bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_file(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, data: bytes, filename: str = "list.csv", content_type: str = "text/csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/outreach/imports",
        files={"file": (filename, data, content_type)},
        data={"_csrf_token": csrf(client)},
        follow_redirects=False,
    )


def wait_for_import(client, location: str, timeout: float = 120.0) -> str:  # type: ignore[no-untyped-def]
    """Poll the import's fragment as the page does, until it stops asking to be polled; the last fragment."""
    deadline = time.monotonic() + timeout
    while True:
        fragment = client.get(location, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, fragment.text
        if 'hx-trigger="every 1s"' not in fragment.text:
            return fragment.text
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.2)


def import_id_of(location: str) -> int:
    return int(re.search(r"/outreach/imports/(\d+)$", location).group(1))


def listed(settings, slug: str = "inson-yunusobod") -> int:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        owner = await tenant_id(session, slug)
        # Imported persons only: the demo seed lists a few of its own.
        return await session.scalar(
            select(func.count(OutreachPerson.id)).where(
                OutreachPerson.tenant_id == owner, OutreachPerson.import_id.is_not(None)
            )
        )

    return with_db(settings, work)


def imports(settings) -> int:  # type: ignore[no-untyped-def]
    return with_db(settings, lambda s: s.scalar(select(func.count(OutreachImport.id))))
