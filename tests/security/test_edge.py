"""The request's edge: ids out of range or not in ASCII digits are a 404, a NUL anywhere a clear 400
page, never a 500 — on SQLite (which overflows at 2**63) and PostgreSQL (int4 ids overflow at 2**31,
text refuses NUL). And the helpers forms use for numbers and text."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from portal.edge import ID_MAX, clean_text, parse_int
from portal.i18n import set_language
from tests.conftest import csrf, login, post_form
from tests.security.walk import discovered_endpoints

BAD_IDS = [str(2**63), str(2**63 - 1), str(2**64), str(2**31), str(ID_MAX + 1), "-1", "-0", "²", "٣", "1_0", "+1"]
INT_GET_ROUTES = sorted(
    {e.path for e in discovered_endpoints() if e.method == "GET" and any(kind == "int" for _n, kind in e.params)}
)


def test_ids_are_read_only_from_ascii_digits_in_range() -> None:
    assert parse_int("42") == 42
    assert parse_int("007") == 7
    assert parse_int(str(ID_MAX)) == ID_MAX
    for bad in [*BAD_IDS, "", " 1", "1 ", "1.0", "１", "①", "\x00", "9" * 40, None]:
        assert parse_int(bad) is None, bad
    assert parse_int("5", minimum=1, maximum=4) is None


def test_clean_text_says_what_is_wrong_and_keeps_the_text() -> None:
    set_language("en")
    assert clean_text("  Toshkent  ", 20) == ("Toshkent", None)
    text, error = clean_text("Tosh\x00kent", 20)
    assert text == "Tosh\x00kent" and error == "Remove the invisible control characters from this field."
    assert clean_text("one\ntwo", 20)[1] is not None
    assert clean_text("one\r\ntwo\tthree", 20, multiline=True) == ("one\r\ntwo\tthree", None)
    assert clean_text("a\x1bb", 20, multiline=True)[1] is not None
    text, error = clean_text("ж" * 301, 300)
    assert len(text) == 301 and error == "Use at most 300 characters here (now 301)."
    assert clean_text(None, 5) == ("", None)


@pytest.mark.parametrize("path", INT_GET_ROUTES)
def test_an_id_out_of_range_or_not_in_ascii_digits_is_not_found(client: TestClient, path: str) -> None:
    login(client, "pes.admin")
    for bad in BAD_IDS:
        url = path
        for name, _kind in next(e.params for e in discovered_endpoints() if e.path == path):
            url = url.replace(f"{{{name}:int}}", bad)
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 404, (url, response.status_code)
        assert "Page not found" in response.text or response.status_code == 404


def test_an_id_in_range_still_reaches_its_page(client: TestClient) -> None:
    login(client, "pes.admin")
    assert client.get("/agreements/versions/1").status_code == 200
    assert client.get("/agreements/versions/0001").status_code == 200
    assert client.get(f"/agreements/versions/{ID_MAX}").status_code == 404


@pytest.mark.parametrize(
    ("user", "url"), [("pes.admin", "/agreements/versions/1/diff?against="), ("inson.social", "/outreach?after=")]
)
def test_an_integer_query_parameter_out_of_range_is_not_found(client: TestClient, user: str, url: str) -> None:
    login(client, user)
    for bad in (str(2**63), str(2**31), "-1", "²", "٣"):
        assert client.get(url + bad).status_code == 404, bad


@pytest.mark.parametrize(
    "url",
    ["/clients?q=%00", "/clients?q=a%00b", "/clients?%00=1", "/static/%00", "/login/oidc/a%00b", "/login?next=/%00"],
)
def test_a_nul_in_the_path_or_query_is_a_clear_400_page(client: TestClient, url: str) -> None:
    login(client, "pes.case")
    response = client.get(url, headers={"Accept-Language": "en"}, follow_redirects=False)
    assert response.status_code == 400, response.status_code
    assert "cannot store" in response.text
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(("url", "field"), [("/agreements/new", "title"), ("/language", "next")])
def test_a_nul_in_a_form_value_is_a_clear_400_page(client: TestClient, url: str, field: str) -> None:
    login(client, "pes.admin")
    response = post_form(client, url, {field: "Tosh\x00kent"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "invisible null character" in response.text
    assert "content-security-policy" in response.headers


@pytest.mark.parametrize(
    ("url", "field"),
    [("/login", "login"), ("/login", "password"), ("/admin/users", "full_name"), ("/clients", "address")],
)
def test_a_form_that_checks_its_own_text_says_so_beside_the_field(client: TestClient, url: str, field: str) -> None:
    if url != "/login":
        login(client, "pes.admin" if url.startswith("/admin") else "pes.case")
    response = post_form(client, url, {field: "Tosh\x00kent"}, headers={"Accept-Language": "en"})
    assert response.status_code in (422, 429), response.status_code
    assert "content-security-policy" in response.headers


def test_a_nul_in_a_field_name_or_a_multipart_form_is_refused_too(client: TestClient) -> None:
    assert post_form(client, "/login", {"log\x00in": "pes.admin"}).status_code == 400
    response = client.post(
        "/language",
        data={"_csrf_token": csrf(client), "language": "en", "next": "/\x00"},
        files={"note": ("note.txt", b"a file may hold \x00 bytes", "text/plain")},
        follow_redirects=False,
    )
    assert response.status_code == 400


def test_forms_still_reach_their_handler_and_csrf_still_holds(client: TestClient) -> None:
    login(client, "pes.admin")  # the edge read the form first; the handler and the CSRF check read it again
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403
    response = client.post(
        "/language",
        data={"_csrf_token": csrf(client), "language": "ru", "next": "/"},
        files={"x": ("x.txt", b"ok", "text/plain")},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.cookies.get("portal_lang") == "ru"


def test_a_path_component_longer_than_any_name_is_not_found(client: TestClient) -> None:
    assert client.get("/static/" + "x" * 300).status_code == 404
    assert client.get("/static/" + "ж" * 200).status_code == 404
    assert client.get("/login/oidc/" + "x" * 300).status_code == 404
    assert client.get("/static/" + "x" * 200).status_code == 404  # still an ordinary missing file


def test_each_handler_is_checked_by_its_own_integer_parameters() -> None:
    """Apps come and go (a test suite builds hundreds; a worker may rebuild one): a handler born where an
    earlier one lived must still have its own integer parameters checked, never the earlier one's."""
    from litestar import get
    from litestar.params import FromQuery

    from portal.edge_middleware import _int_query_parameters

    for n in range(300):
        namespace: dict[str, object] = {"FromQuery": FromQuery, "__name__": __name__}
        exec(f"async def handler(p{n}: FromQuery[int | None] = None) -> str:\n    return ''", namespace)  # noqa: S102
        route = get(f"/r{n}")(namespace["handler"])
        assert _int_query_parameters(route) == (f"p{n}",), n
