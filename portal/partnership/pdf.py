"""The official PDF of a version: letterhead, terms, clause table, signature blocks, QR code of its verify page.

`render` lays out a `official.Paper` (plain text already in the reader's language) and touches no
database, so `build` runs it in a worker thread: a long agreement never holds up the event loop.
Text is left-aligned (never justified) in DejaVu, which has Cyrillic and the Uzbek ʻ and ʼ. Seals
appear only as short fingerprints; the terms hash sits in every page's footer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import segno
from fpdf import FPDF

from portal import i18n
from portal.i18n import gettext as _
from portal.partnership import labels
from portal.partnership.official import Paper, day

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (90, 98, 106)
RULE = (170, 176, 182)
QR_SIZE = 34.0  # mm: with the quiet zone, readable from a phone at arm's length and by a scanner at 150 dpi
# Building PDFs takes CPU: a few at once at most, so the portal keeps threads for everything else.
CONCURRENT_BUILDS = 2

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean(text: str | None) -> str:
    """Typed text as it should print: Windows line ends and tabs made plain, control characters dropped."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _CONTROL.sub("", text).strip()


class _Document(FPDF):
    def __init__(self, paper: Paper) -> None:
        super().__init__(format="A4")
        self.paper = paper
        self.portal_name = _("ICM partnership portal")
        self.hash_line = (
            _("Terms hash (SHA-256)") + ": " + paper.terms_hash
            if paper.terms_hash
            else _("Not frozen yet: this version is a draft.")
        )
        self.page_label = _("Page %(n)s of %(total)s")

    def header(self) -> None:
        self.set_font(FONT, "B", 9)
        self.set_text_color(*MUTED)
        self.cell(self.epw / 2, 5, self.portal_name, new_x="RIGHT", new_y="TOP")
        self.set_font(FONT, "", 8)
        self.cell(self.epw / 2, 5, _("Version %(n)s") % {"n": self.paper.number}, align="R", new_x="LMARGIN")
        self.ln(6)
        self._rule()
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-13)
        self._rule()
        self.set_font(FONT, "", 6.5)
        self.set_text_color(*MUTED)
        page = self.page_label % {"n": self.page_no(), "total": "{nb}"}
        self.cell(self.epw - 25, 4, self.hash_line, new_x="RIGHT", new_y="TOP")
        self.cell(25, 4, page, align="R")
        self.set_text_color(*INK)

    def _rule(self) -> None:
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y(), self.l_margin + self.epw, self.get_y())
        self.ln(1.5)


def wrap(doc: FPDF, text: str, width: float) -> list[str]:
    """Lines of at most `width` mm in the current font, broken between words (inside a word only when
    it is longer than a line). fpdf2's own line breaking remeasures the line at every character, which
    made a long agreement take minutes; this measures each word once."""
    widths: dict[str, float] = {}

    def measure(s: str) -> float:
        if s not in widths:
            widths[s] = doc.get_string_width(s)
        return widths[s]

    space, lines = measure(" "), []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            size = measure(word)
            if line and used + space + size <= width:
                line, used = f"{line} {word}", used + space + size
                continue
            if line:
                lines.append(line)
            line, used = word, size
            while used > width and len(line) > 1:  # a word longer than the line: cut it
                cut, taken = 0, 0.0
                while cut < len(line) - 1 and taken + measure(line[cut]) <= width:
                    taken += measure(line[cut])
                    cut += 1
                lines.append(line[: max(cut, 1)])
                line = line[max(cut, 1) :]
                used = doc.get_string_width(line)
        lines.append(line)
    return lines


def _line(doc: FPDF, x: float, top: float, height: float, text: str) -> None:
    """One line placed as `cell` would place it, through the cheaper `text` (a long agreement has
    thousands of lines)."""
    if text:
        doc.text(x, top + 0.5 * height + 0.3 * doc.font_size, text)


def _text(doc: FPDF, text: str, size: float = 10, style: str = "", height: float = 5.0) -> None:
    doc.set_font(FONT, style, size)
    for line in wrap(doc, clean(text) or "—", doc.epw):
        if doc.will_page_break(height):
            doc.add_page()
        _line(doc, doc.l_margin, doc.get_y(), height, line)
        doc.set_y(doc.get_y() + height)


def _heading(doc: FPDF, text: str, size: float = 12) -> None:
    if doc.will_page_break(20):
        doc.add_page()
    doc.ln(2.5)
    _text(doc, text, size, "B", 6.5)
    doc.ln(0.5)


def _letterhead(doc: _Document, p: Paper) -> None:
    _text(doc, _("Partnership agreement between"), 9, "", 4.5)
    doc.set_text_color(*MUTED)
    _text(doc, " · ".join(p.names.values()), 9, "", 4.5)
    doc.set_text_color(*INK)
    doc.ln(3)
    _text(doc, p.title, 16, "B", 7.5)
    doc.ln(1)
    _text(
        doc,
        _("Version %(n)s") % {"n": p.number}
        + " · "
        + _("Valid from %(start)s to %(end)s") % {"start": p.valid_from, "end": p.valid_until}
        + " · "
        + p.status,
        10,
    )


def _parties(doc: FPDF, p: Paper) -> None:
    _heading(doc, _("Parties"))
    for party in p.terms["parties"]:
        if doc.will_page_break(18):
            doc.add_page()
        _text(doc, p.names[party["tenant_id"]], 10, "B")
        _text(doc, _("Role and functions") + ": " + clean(party["role"]))
        _text(doc, _("Resources and contributions") + ": " + (clean(party["resources"]) or "—"))
        doc.ln(2)


def _clauses(doc: FPDF, p: Paper) -> None:
    _heading(doc, _("Data-sharing clauses"))
    if not p.terms["clauses"]:
        _text(doc, _("No data-sharing clauses."))
        return
    heads = [
        "№",
        _("Data owner") + " → " + _("Recipient"),
        _("Data categories"),
        _("Access"),
        _("Purpose"),
        _("Which clients"),
        _("Consent"),
        _("Ends on"),
    ]
    rows = [
        [
            str(c["number"]),
            p.names.get(c["owner_tenant_id"], "?") + " → " + p.names.get(c["recipient_tenant_id"], "?"),
            "; ".join(labels.category(x) for x in c["categories"]),
            labels.access(c["actions"]),
            labels.purpose(c["purpose"]),
            labels.scope(c["scope"]),
            _("Required") if c["consent_required"] else _("Not required"),
            day(c["ends_on"]) or _("With the agreement"),
        ]
        for c in p.terms["clauses"]
    ]
    _table(doc, (7, 40, 36, 16, 25, 30, 16, 20), heads, rows)


def _table(doc: FPDF, widths: tuple[float, ...], heads: list[str], rows: list[list[str]]) -> None:
    """A table whose cells wrap inside their column; a row never splits, the heads repeat on each page."""
    size, line, pad = 7.5, 3.6, 1.0

    def layout(cells: list[str], style: str) -> tuple[list[list[str]], float]:
        doc.set_font(FONT, style, size)
        wrapped = [wrap(doc, clean(text), w - 2 * pad) for text, w in zip(cells, widths, strict=True)]
        return wrapped, max(len(lines) for lines in wrapped) * line + 2 * pad

    def draw(wrapped: list[list[str]], height: float, style: str) -> None:
        doc.set_font(FONT, style, size)
        x, top = doc.l_margin, doc.get_y()
        for lines, w in zip(wrapped, widths, strict=True):
            doc.rect(x, top, w, height, style="DF" if style else "D")
            for k, text in enumerate(lines):
                _line(doc, x + pad, top + pad + k * line, line, text)
            x += w
        doc.set_xy(doc.l_margin, top + height)

    doc.set_draw_color(*RULE)
    doc.set_fill_color(236, 239, 242)
    head, head_height = layout(heads, "B")
    for number, cells in enumerate(rows):
        wrapped, height = layout(cells, "")
        if number == 0 or doc.will_page_break(height):
            if number and doc.will_page_break(height):
                doc.add_page()
            if doc.will_page_break(head_height + height):
                doc.add_page()
            draw(head, head_height, "B")
        draw(wrapped, height, "")


def _signatures(doc: FPDF, p: Paper) -> None:
    _heading(doc, _("Signatures"))
    for block in p.signatures:
        if doc.will_page_break(30):
            doc.add_page()
        top = doc.get_y()
        doc.set_x(doc.l_margin + 3)
        doc.set_font(FONT, "B", 10)
        doc.multi_cell(doc.epw - 6, 5, block.organisation, align="L", new_x="LMARGIN", new_y="NEXT")
        lines = (
            [
                _("Signed by") + ": " + block.signer + ", " + _("Signatory").lower(),
                _("Date and time (Tashkent)") + ": " + block.signed_at,
                _("Seal fingerprint") + ": " + block.fingerprint,
            ]
            if block.signer is not None
            else [_("Not signed yet.")]
        )
        doc.set_font(FONT, "", 9)
        for line in lines:
            doc.set_x(doc.l_margin + 3)
            doc.multi_cell(doc.epw - 6, 4.6, line, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)
        doc.set_draw_color(*RULE)
        doc.rect(doc.l_margin, top - 1, doc.epw, doc.get_y() - top + 1)
        doc.ln(2)


def _qr(doc: FPDF, url: str, x: float, y: float) -> None:
    """The QR code drawn as vector squares, quiet zone included (so it stays sharp at any scale)."""
    code = segno.make(url, error="m", micro=False)
    matrix = code.matrix
    border = 4
    module = QR_SIZE / (len(matrix) + 2 * border)
    doc.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                doc.rect(x + (c + border) * module, y + (r + border) * module, module, module, style="F")


def _verification(doc: FPDF, p: Paper) -> None:
    _heading(doc, _("Verification"))
    if p.verify_url is None:
        _text(doc, _("This version is a draft: its terms are not frozen yet, so there is nothing to verify."))
        return
    if doc.will_page_break(QR_SIZE + 4):
        doc.add_page()
    top = doc.get_y()
    _qr(doc, p.verify_url, doc.l_margin, top)
    left = doc.l_margin + QR_SIZE + 4
    doc.set_xy(left, top + 3)
    doc.set_font(FONT, "", 9)
    width = doc.epw - QR_SIZE - 4
    intro = _("Scan the code or open this address to check that the terms and the signatures are intact:")
    doc.multi_cell(width, 4.6, intro, align="L", new_x="LEFT", new_y="NEXT")
    doc.set_font(FONT, "B", 8.5)
    doc.multi_cell(width, 4.6, p.verify_url, align="L", new_x="LEFT", new_y="NEXT", link=p.verify_url)
    doc.set_font(FONT, "", 8)
    doc.multi_cell(width, 4.2, _("Terms hash (SHA-256)") + ":", align="L", new_x="LEFT", new_y="NEXT")
    doc.multi_cell(width, 4.2, p.terms_hash or "", align="L", new_x="LMARGIN", new_y="NEXT")
    doc.set_y(max(doc.get_y(), top + QR_SIZE) + 2)


def render(p: Paper) -> bytes:
    """The PDF's bytes. Sets the language itself: it may run in a worker thread."""
    i18n.set_language(p.language)
    doc = _Document(p)
    doc.set_title(p.title)
    doc.set_creator(_("ICM partnership portal"))
    # The hash also goes into the document's metadata, where tools can read it without the text layer.
    doc.set_subject(f"terms-sha256:{p.terms_hash or 'draft'}")
    doc.set_lang({"uz": "uz-Latn", "uz_Cyrl": "uz-Cyrl"}.get(p.language, p.language))
    doc.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_margins(15, 12, 15)
    doc.set_auto_page_break(auto=True, margin=16)
    doc.add_page()
    _letterhead(doc, p)
    _heading(doc, _("Common goals"))
    _text(doc, p.terms["common_goals"])
    _heading(doc, _("Tools used jointly or separately"))
    _text(doc, p.terms["joint_tools"])
    _parties(doc, p)
    _clauses(doc, p)
    _signatures(doc, p)
    _verification(doc, p)
    return bytes(doc.output())


async def build(p: Paper, state: Any) -> bytes:
    """Render in a worker thread, a few at once per app, so the event loop keeps answering."""
    limiter = getattr(state, "pdf_limiter", None)
    if limiter is None:
        limiter = state.pdf_limiter = anyio.CapacityLimiter(CONCURRENT_BUILDS)
    return await anyio.to_thread.run_sync(render, p, limiter=limiter)
