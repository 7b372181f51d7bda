"""Importing the outreach list through the real pages: all or nothing, every bad row named by its line,
either CSV delimiter, a BOM, XLSX, a large file with its progress, and refusals that store nothing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tests.cases.outreach_helpers import (
    csv_file,
    import_id_of,
    imports,
    listed,
    person_row,
    upload,
    wait_for_import,
    xlsx_file,
)
from tests.conftest import login
from tests.factories import english


@pytest.fixture
def social(client):  # type: ignore[no-untyped-def]
    english(client)
    login(client, "inson.social")
    return client


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(social, settings) -> None:  # type: ignore[no-untyped-def]
    rows = [person_row(n) for n in range(1, 6)]
    rows[3]["birth_date"] = "31.02.1990"  # the 4th person: line 5 of the file, under the header
    answer = upload(social, csv_file(rows))
    assert answer.status_code == 303
    result = wait_for_import(social, answer.headers["location"])
    assert "Nothing was imported." in result and "1 problem found" in result
    assert "<td>5</td>" in result and "<code>birth_date</code>" in result
    assert "Write the date as DD.MM.YYYY" in result
    assert "31.02.1990" not in result  # the error table repeats no one's data
    assert listed(settings) == 0
    page = social.get(answer.headers["location"])
    assert page.status_code == 200 and 'value="100"' in page.text and 'http-equiv="refresh"' not in page.text


def test_every_bad_row_is_listed_with_its_reason(social, settings) -> None:  # type: ignore[no-untyped-def]
    rows = [
        person_row(1, pinfl="12345"),
        person_row(2, disability_group="IV"),
        person_row(3, pinfl=person_row(1)["pinfl"].replace("4", "4", 1)),
        person_row(4, work_recommendation=""),
        person_row(5, phone="call me"),
    ]
    rows[2]["pinfl"] = person_row(9)["pinfl"]
    rows.append(person_row(9))  # the same PINFL twice: lines 4 and 7
    result = wait_for_import(social, upload(social, csv_file(rows)).headers["location"])
    assert "5 problems found" in result
    for line, column in [(2, "pinfl"), (3, "disability_group"), (5, "work_recommendation"), (6, "phone"), (7, "pinfl")]:
        assert f'<td>{line}</td>\n        <td data-label="Column"><code>{column}</code>' in result, (line, column)
    assert "The same PINFL is on line 4." in result
    assert listed(settings) == 0


def test_every_problem_of_one_row_is_named_at_once(social, settings) -> None:  # type: ignore[no-untyped-def]
    row = person_row(1, pinfl="123", birth_date="1990-13-01", disability_group="IV", work_recommendation="")
    result = wait_for_import(social, upload(social, csv_file([row])).headers["location"])
    assert "4 problems found" in result
    for column in ("pinfl", "birth_date", "disability_group", "work_recommendation"):
        assert f"<code>{column}</code>" in result, column
    assert listed(settings) == 0


def test_a_person_already_on_the_list_is_reported_and_the_rest_not_imported(social, settings) -> None:  # type: ignore[no-untyped-def]
    first = wait_for_import(social, upload(social, csv_file([person_row(1), person_row(2)])).headers["location"])
    assert "2 persons imported" in first
    again = wait_for_import(social, upload(social, csv_file([person_row(3), person_row(2)])).headers["location"])
    assert "already on your organisation" in again and "<td>3</td>" in again
    assert listed(settings) == 2


@pytest.mark.parametrize(("delimiter", "bom"), [(";", True), (",", False), (",", True)])
def test_csv_with_either_delimiter_and_with_or_without_a_bom_imports(social, settings, delimiter, bom) -> None:  # type: ignore[no-untyped-def]
    rows = [person_row(n) for n in range(1, 4)]
    rows[0]["full_name"] = "Gʻofurova Nilufar, Bahrom qizi" if delimiter == "," else "Gʻofurova Nilufar Bahrom qizi"
    result = wait_for_import(social, upload(social, csv_file(rows, delimiter, bom)).headers["location"])
    assert "3 persons imported" in result, result
    listing = social.get("/outreach", params={"mahalla": "Oʻzbekiston"}).text
    assert "Gʻofurova Nilufar" in listing  # mahalla 1 % 4 == 1, spelt with ʻ as typed
    assert listed(settings) == 3


def test_an_xlsx_workbook_imports_with_date_cells_and_numbers(social, settings) -> None:  # type: ignore[no-untyped-def]
    rows = [
        [40000000000001, "Ўринбоев Шаҳзод Акмал ўғли", datetime(1994, 3, 12), "erkak", "Bodomzor", "", 998901234567,
         2, None, "Yengil ish"],
        ["40000000000002", "Karimova Dilfuza", date(1988, 7, 2), "ayol", "Minor", "Uy 5", "", "III",
         date(2027, 1, 1), "Oʻtirib ishlash"],
    ]  # fmt: skip
    data = xlsx_file(rows)
    answer = upload(social, data, "list.xlsx", "application/octet-stream")
    result = wait_for_import(social, answer.headers["location"])
    assert "2 persons imported" in result, result
    page = social.get("/outreach").text
    assert "Oʻrinboyev Shahzod" in page  # typed in Cyrillic, listed in the Latin form
    assert listed(settings) == 2


def test_ten_thousand_rows_import_with_progress_to_one_hundred_percent(social, settings) -> None:  # type: ignore[no-untyped-def]
    data = csv_file([person_row(n) for n in range(10_000)])
    answer = upload(social, data, "big.csv")
    assert answer.status_code == 303
    result = wait_for_import(social, answer.headers["location"])  # a hung import fails here
    assert "10000 persons imported" in result, result
    assert 'value="100"' in result
    assert listed(settings) == 10_000
    # The list pages through all of them by keyset, 50 at a time, and filters by mahalla.
    first = social.get("/outreach")
    assert first.status_code == 200 and "Next page" in first.text
    assert social.get("/outreach", params={"after": import_id_of(answer.headers["location"])}).status_code == 200
    bodomzor = social.get("/outreach", params={"mahalla": "Bodomzor", "outcome": "none"}).text
    assert "Karimova Dilnoza 0 Rustam" in bodomzor and "Karimova Dilnoza 1 Rustam" not in bodomzor


def test_the_progress_page_polls_while_running_and_works_without_javascript(social, settings, app) -> None:  # type: ignore[no-untyped-def]
    from portal.cases.models import OutreachImport
    from tests.conftest import with_db

    answer = upload(social, csv_file([person_row(1)]))
    wait_for_import(social, answer.headers["location"])
    job_id = import_id_of(answer.headers["location"])

    async def rewind(session):  # type: ignore[no-untyped-def]
        job = await session.get(OutreachImport, job_id)
        job.state, job.total_rows, job.rows_checked = "checking", 1000, 500
        job.updated_at = app.state.clock()

    with_db(settings, rewind)
    page = social.get(answer.headers["location"])
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page.text
    assert 'hx-trigger="every 1s"' in page.text and "500 of 1000 rows checked" in page.text
    assert 'href="/outreach/imports/' in page.text  # the same link reloads without JavaScript
    fragment = social.get(answer.headers["location"], headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="import-progress">') and "<html" not in fragment.text


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("list.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "This is not a CSV or XLSX file."),
        ("list.xlsx", b"PK\x03\x04not really a workbook", "This is not a CSV or XLSX file."),
        ("list.pdf", b"pinfl;full_name\n", "This is not a CSV or XLSX file."),
        ("list.csv", "pinfl;full_name\nŞ".encode("cp1254"), "not in UTF-8"),
        ("list.csv", b"", "The file is empty"),
        ("list.csv", b"pinfl;full_name\n" + b"x" * (8 * 1024 * 1024), "larger than 8 MB"),
    ],
)
def test_a_wrong_or_oversized_file_is_refused_beside_the_field_with_nothing_stored(
    social, settings, filename, data, message
) -> None:  # type: ignore[no-untyped-def]
    answer = upload(social, data, filename)
    assert answer.status_code == 422, answer.text[:500]
    assert 'id="file-error"' in answer.text and message in answer.text
    assert 'aria-describedby="file-hint file-error"' in answer.text
    assert imports(settings) == 0 and listed(settings) == 0


def test_the_columns_page_and_template_document_the_format(social) -> None:  # type: ignore[no-untyped-def]
    page = social.get("/outreach/columns")
    assert page.status_code == 200 and "<code>work_recommendation</code>" in page.text
    template = social.get("/outreach/template.csv")
    assert template.status_code == 200 and template.headers["content-type"].startswith("text/csv")
    assert "attachment" in template.headers["content-disposition"]
    assert template.content.startswith("\ufeffpinfl;full_name".encode())
    # The template itself imports.
    result = wait_for_import(social, upload(social, template.content).headers["location"])
    assert "1 person imported" in result
