"""Case notes: dated notes about a client, their own data category, read through the kernel."""

from __future__ import annotations

from sqlalchemy import select

from portal.access.kernel import Access
from portal.access.redact import View
from portal.cases.models import CaseNote, Client
from portal.i18n import gettext as _

MAX_NOTE = 4000


async def notes_of(access: Access, client_id: int) -> list[View]:
    """The notes about a client that the actor may read (the owner's, or shared by a clause), newest first."""
    stmt = (
        select(CaseNote).where(CaseNote.client_id == client_id).order_by(CaseNote.written_at.desc(), CaseNote.id.desc())
    )
    return await access.visible(CaseNote, stmt, few=True)


async def add_note(access: Access, client_id: int, body: str) -> dict[str, str]:
    """A note by the actor about a client of its own organisation; errors by field, empty when saved."""
    client = await access.own(Client, client_id, "read")
    if not access.allows("case_note", "create"):
        raise LookupError(client_id)
    body = body.strip()
    if not 2 <= len(body) <= MAX_NOTE or "\x00" in body:
        return {"body": _("Write a note of 2 to %(n)s characters.") % {"n": MAX_NOTE}}
    note = CaseNote(
        tenant_id=client.tenant_id,
        client_id=client.id,
        author_user_id=access.actor.user_id,
        author_name=access.actor.full_name,
        written_at=access.now,
        body=body,
    )
    access.session.add(note)
    await access.session.flush()
    await access.record("case_note.create", "client", client.id, note=note.id)
    return {}
