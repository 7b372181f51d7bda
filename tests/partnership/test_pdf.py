"""The official PDF as a reader holds it: its pages turned into images, its QR code scanned, its text read.

Needs poppler-utils (pdftoppm, pdftotext), which .ci/run installs when missing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from portal.partnership.models import Agreement, AgreementVersion, Signature
from portal.tenants.models import Tenant
from tests.conftest import IN_CI, login, on_an_event_loop, post_form, with_db

BASE64_SEAL = re.compile(r"[A-Za-z0-9+/]{16,}={1,2}")  # the tail of a base64 seal


def _poppler() -> None:
    if shutil.which("pdftoppm") and shutil.which("pdftotext"):
        return
    message = "poppler-utils (pdftoppm, pdftotext) is not installed"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


def _pilot(settings) -> tuple[int, str, list[tuple[int, str, str]]]:  # type: ignore[no-untyped-def]
    """The demo pilot's version id, terms hash and its signatures (tenant id, signer, seal)."""

    async def work(session):  # type: ignore[no-untyped-def]
        version = await session.scalar(
            select(AgreementVersion)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(Agreement.template_key == "tashkent-icm-pilot")
        )
        signatures = (await session.scalars(select(Signature).where(Signature.version_id == version.id))).all()
        return version.id, version.terms_hash, [(s.tenant_id, s.signer_name, s.portal_signature) for s in signatures]

    return with_db(settings, work)


def _tenant_names(settings, language: str) -> dict[int, str]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        return {t.id: t.name(language) for t in (await session.scalars(select(Tenant))).all()}

    return with_db(settings, work)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "agreement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def _qr_codes(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code on every page, read from page images as a scanner would."""
    import zxingcpp
    from PIL import Image

    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for image in sorted(tmp_path.glob("page*.png")):
        with Image.open(image) as picture:
            found += [code.text for code in zxingcpp.read_barcodes(picture.convert("L"))]
    return found


def _get_pdf(client: TestClient, version_id: int) -> bytes:
    response = client.get(f"/agreements/versions/{version_id}/pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    return response.content


def test_the_signed_pilot_pdf_has_every_signature_block_and_a_qr_code_of_its_public_verify_page(
    client: TestClient, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _poppler()
    version_id, terms_hash, signatures = _pilot(settings)
    assert len(signatures) == 9
    client.cookies.set("portal_lang", "uz")
    login(client, "inspection.head")
    pdf = _get_pdf(client, version_id)

    codes = _qr_codes(pdf, tmp_path)
    assert codes == [f"http://testserver.local/verify/{terms_hash}"]

    text = _pdf_text(pdf, tmp_path)
    flat = " ".join(text.split())
    names = _tenant_names(settings, "uz")
    for tenant_id, signer, seal in signatures:
        assert " ".join(names[tenant_id].split()) in flat
        assert signer in flat
        assert seal not in text and seal[:24] not in text
    assert not BASE64_SEAL.search(text), BASE64_SEAL.findall(text)
    assert "Imzo chekuvchi".lower() in flat.lower()
    assert len(re.findall(r"\b\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}\b", flat)) >= len(signatures)
    assert len(re.findall(r"\b[0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4} [0-9A-F]{4}\b", flat)) == len(signatures)
    assert terms_hash in flat
    for line in text.splitlines():
        assert line.strip() not in {"=", "=="}

    # The address on paper opens for anyone holding it: no sign-in.
    client.cookies.clear()
    client.cookies.set("portal_lang", "en")
    page = client.get(urlsplit(codes[0]).path)
    assert page.status_code == 200
    assert 'class="verdict ok"' in page.text and "Intact" in page.text
    for _tenant, signer, _seal in signatures:
        assert signer in page.text


def test_a_pdf_in_uzbek_cyrillic_prints_cyrillic_and_in_latin_the_uzbek_letters(
    client: TestClient, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    _poppler()
    version_id, _hash, _signatures = _pilot(settings)
    client.cookies.set("portal_lang", "uz_Cyrl")
    login(client, "pes.admin")
    text = _pdf_text(_get_pdf(client, version_id), tmp_path)
    assert len(re.findall(r"[А-Яа-яЎўҚқҒғҲҳ]", text)) > 200
    assert "Имзо чекувчи".lower() in text.lower()

    client.cookies.set("portal_lang", "uz")
    text = _pdf_text(_get_pdf(client, version_id), tmp_path)
    assert "ʻ" in text or "ʼ" in text  # U+02BB / U+02BC survive into the text layer


def test_the_public_verify_page_shows_only_the_paper_and_says_when_it_was_tampered_with(
    client: TestClient, settings
) -> None:  # type: ignore[no-untyped-def]
    version_id, terms_hash, _signatures = _pilot(settings)
    client.cookies.set("portal_lang", "en")
    assert client.get("/verify/" + "0" * 64).status_code == 404
    assert client.get("/verify/not-a-hash").status_code == 404
    page = client.get(f"/verify/{terms_hash.upper()}")
    assert page.status_code == 200 and 'class="verdict ok"' in page.text
    assert "/agreements/versions" not in page.text  # no way further in from a public page

    async def tamper(session):  # type: ignore[no-untyped-def]
        version = await session.get(AgreementVersion, version_id)
        version.terms_json = version.terms_json.replace("identity", "benefits", 1)

    with_db(settings, tamper)
    page = client.get(f"/verify/{terms_hash}")
    assert page.status_code == 200 and 'class="verdict broken"' in page.text


def test_a_draft_prints_without_a_qr_code_and_says_it_is_a_draft(client: TestClient, settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _poppler()
    version_id, _hash, _signatures = _pilot(settings)
    client.cookies.set("portal_lang", "en")
    login(client, "pes.admin")
    amended = post_form(client, f"/agreements/versions/{version_id}/amend")
    draft_id = int(re.search(r"versions/(\d+)", amended.headers["location"]).group(1))
    pdf = _get_pdf(client, draft_id)
    assert _qr_codes(pdf, tmp_path) == []
    flat = " ".join(_pdf_text(pdf, tmp_path).split())
    assert "Not frozen yet" in flat and "Not signed yet." in flat


# --- limits: one person cannot stall the portal ---------------------------------------------------


def _largest_draft(settings) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Every demo organisation a party, every text at its limit, as many clauses as allowed."""
    from portal.partnership.forms import MAX_CLAUSES, MAX_GOALS, MAX_PARTY_TEXT, MAX_TITLE

    async def work(session):  # type: ignore[no-untyped-def]
        return [t.id for t in (await session.scalars(select(Tenant).order_by(Tenant.id))).all()]

    ids = with_db(settings, work)
    words = "Hamkorlik boʻyicha oʻzaro yordam va maʼlumot almashinuvi, Ҳамкорлик бўйича ёрдам. "
    fill = lambda n: (words * (n // len(words) + 1))[:n]  # noqa: E731
    fields: dict[str, object] = {
        "title": fill(MAX_TITLE).strip().ljust(MAX_TITLE, "x"),
        "common_goals": fill(MAX_GOALS),
        "joint_tools": fill(MAX_GOALS),
        "valid_from": "2026-01-01",
        "valid_until": "2026-12-31",
    }
    for i, tenant_id in enumerate(ids):
        fields |= {
            f"party-{i}-tenant_id": str(tenant_id),
            f"party-{i}-role": fill(MAX_PARTY_TEXT),
            f"party-{i}-resources": fill(MAX_PARTY_TEXT),
        }
    for i in range(MAX_CLAUSES):
        owner, recipient = ids[i % len(ids)], ids[(i + 1) % len(ids)]
        fields |= {
            f"clause-{i}-owner": str(owner),
            f"clause-{i}-recipient": str(recipient),
            f"clause-{i}-categories": ["identity", "disability", "employment", "assessment"],
            f"clause-{i}-access": "read_comment",
            f"clause-{i}-purpose": "case_conference",
            f"clause-{i}-scope": "engaged",
            f"clause-{i}-consent": "on",
            f"clause-{i}-ends_on": "2026-06-30",
        }
    return fields


def test_over_long_texts_and_too_many_rows_are_refused_beside_their_fields(client: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.forms import MAX_CLAUSES, MAX_GOALS, MAX_PARTY_TEXT

    client.cookies.set("portal_lang", "en")
    login(client, "pes.admin")
    fields = _largest_draft(settings)
    long_goals = "g" * (MAX_GOALS + 1)
    fields |= {
        "common_goals": long_goals,
        "joint_tools": "t" * (MAX_GOALS + 1),
        "party-0-role": "r" * (MAX_PARTY_TEXT + 1),
        "party-1-resources": "s" * (MAX_PARTY_TEXT + 1),
    }
    i = MAX_CLAUSES
    fields |= {f"clause-{i}-owner": fields["clause-0-owner"], f"clause-{i}-recipient": fields["clause-0-recipient"]}
    response = post_form(client, "/agreements/", fields)
    assert response.status_code == 422
    for field in ("common_goals", "joint_tools", "party-0-role", "party-1-resources", "clauses"):
        assert f'id="{field}-error"' in response.text, field
    assert "at most 10\u00a0000 characters" in response.text
    assert f"at most {MAX_CLAUSES} data-sharing clauses" in response.text
    assert long_goals in response.text  # what was typed is kept


def test_health_answers_while_the_largest_allowed_agreement_is_printed(
    client: TestClient, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The layout is held open until /health has answered. Were it laid out on the event loop, /health
    could not answer while it waits, and the layout would go on only when its wait ran out. So the
    test asks whether /health released it, an order of events rather than a time."""

    from portal.partnership import pdf

    login(client, "pes.admin")
    created = post_form(client, "/agreements/", _largest_draft(settings))
    assert created.status_code == 303, created.text[:2000]
    version_id = int(re.search(r"versions/(\d+)", created.headers["location"]).group(1))

    entered, answered = threading.Event(), threading.Event()
    seen: dict[str, object] = {}
    real_render = pdf.render

    def held_render(paper):  # type: ignore[no-untyped-def]
        seen["loop"] = on_an_event_loop()
        entered.set()
        seen["released by /health"] = answered.wait(timeout=30)
        return real_render(paper)

    monkeypatch.setattr(pdf, "render", held_render)
    result: dict[str, object] = {}

    def print_it() -> None:
        response = client.get(f"/agreements/versions/{version_id}/pdf")
        result["status"], result["size"] = response.status_code, len(response.content)

    printer = threading.Thread(target=print_it)
    printer.start()
    assert entered.wait(timeout=60), "the PDF was never laid out"
    health = client.get("/health")
    answered.set()
    printer.join(timeout=120)
    assert health.status_code == 200
    assert seen["released by /health"] is True, "/health waited for the PDF's layout"
    assert seen["loop"] is False  # laid out in a worker thread, where no event loop runs
    assert result["status"] == 200 and int(result["size"]) > 10_000
