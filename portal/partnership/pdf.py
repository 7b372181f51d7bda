"""A version as PDF: its terms, terms hash and signatures, in a Unicode font so Cyrillic and Uzbek render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from fpdf import FPDF

from portal.i18n import gettext as _
from portal.partnership import labels

if TYPE_CHECKING:
    from portal.partnership.services import VersionDetail

FONTS = Path(__file__).resolve().parent / "fonts"


def render(d: VersionDetail, t: dict[str, Any], language: str) -> bytes:
    doc = FPDF(format="A4")
    doc.set_title(t["title"])
    doc.set_creator("ICM partnership portal")
    # The hash also goes into the document's metadata, where tools can read it without the text layer.
    doc.set_subject(f"terms-sha256:{d.version.terms_hash or 'draft'}")
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_page()
    width = doc.epw

    def heading(text: str, size: int = 12) -> None:
        doc.set_font("DejaVu", "B", size)
        doc.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")
        doc.set_font("DejaVu", "", 10)

    def para(text: str) -> None:
        doc.multi_cell(width, 5.5, text or "—", new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)

    names = {p["tenant_id"]: labels.party_name(p["names"], language) for p in t["parties"]}
    heading(t["title"], 15)
    para(
        _("Version %(n)s") % {"n": t["version"]}
        + " · "
        + labels.status(d.status)
        + " · "
        + _("Valid from %(start)s to %(end)s") % {"start": t["valid_from"], "end": t["valid_until"]}
    )
    heading(_("Common goals"))
    para(t["common_goals"])
    heading(_("Tools used jointly or separately"))
    para(t["joint_tools"])
    heading(_("Parties"))
    for p in t["parties"]:
        doc.set_font("DejaVu", "B", 10)
        para(names[p["tenant_id"]])
        doc.set_font("DejaVu", "", 10)
        para(_("Role and functions") + ": " + (p["role"] or "—"))
        para(_("Resources and contributions") + ": " + (p["resources"] or "—"))
    heading(_("Data-sharing clauses"))
    for c in t["clauses"]:
        para(
            _("Clause %(n)s") % {"n": c["number"]}
            + ": "
            + names.get(c["owner_tenant_id"], "?")
            + " → "
            + names.get(c["recipient_tenant_id"], "?")
            + "\n"
            + ", ".join(labels.category(x) for x in c["categories"])
            + "\n"
            + labels.access(c["actions"])
            + " · "
            + labels.purpose(c["purpose"])
            + " · "
            + labels.scope(c["scope"])
            + " · "
            + (_("Client consent required") if c["consent_required"] else _("No client consent required"))
            + (" · " + _("Ends on %(date)s") % {"date": c["ends_on"]} if c["ends_on"] else "")
        )
    heading(_("Terms hash (SHA-256)"))
    doc.set_font("DejaVu", "", 8)
    para(d.version.terms_hash or _("Not frozen yet: this version is a draft."))
    doc.set_font("DejaVu", "", 10)
    heading(_("Signatures"))
    if not d.signatures:
        para(_("No signatures yet."))
    for s in d.signatures:
        tenant = d.tenants.get(s.tenant_id)
        para(
            f"{tenant.name(language) if tenant else s.tenant_id} — {s.signer_name}, "
            f"{s.signed_at.strftime('%Y-%m-%d %H:%M:%S')} UTC\n"
            + _("Signed terms hash")
            + f": {s.terms_hash}\n"
            + _("Portal seal")
            + f" ({s.portal_key_id[:16]}): {s.portal_signature}"
        )
    return bytes(doc.output())
