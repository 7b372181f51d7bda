"""The outreach list: paging and filtering it, a person's visits, recording a visit, and opening a
case from a visit that ended in wanting work or training (DOMAIN.md, the ministry's mechanism,
steps 1 to 4). Every read goes through the request's Access; only the own tenant ever sees the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases import clients, timeline
from portal.cases.models import CASE_OUTCOMES, VISIT_OUTCOMES, Case, Client, OutreachPerson, OutreachVisit
from portal.edge import clean_text
from portal.i18n import gettext as _

PAGE_SIZE = 50
MAX_NOTE = 2000
NOT_VISITED = "none"  # the outcome filter's value for persons nobody has visited yet


@dataclass(frozen=True)
class PersonPage:
    persons: list[View]
    after: int | None  # the keyset cursor of the next page, if there is one


async def list_persons(access: Access, mahalla: str = "", outcome: str = "", after: int | None = None) -> PersonPage:
    """One page of the tenant's outreach list in the order it was imported, by mahalla and outcome."""
    stmt = select(OutreachPerson).order_by(OutreachPerson.id)
    if after is not None:
        stmt = stmt.where(OutreachPerson.id > after)
    if mahalla:
        stmt = await access.scope(stmt.where(OutreachPerson.mahalla == mahalla), OutreachPerson, "list", "contact")
    if outcome == NOT_VISITED:
        stmt = stmt.where(OutreachPerson.outcome == "")
    elif outcome in VISIT_OUTCOMES:
        stmt = await access.scope(stmt.where(OutreachPerson.outcome == outcome), OutreachPerson, "list", "contact")
    views = await access.visible(OutreachPerson, stmt.limit(PAGE_SIZE + 1), "list")
    more = len(views) > PAGE_SIZE
    views = views[:PAGE_SIZE]
    return PersonPage(persons=views, after=views[-1].id if more else None)


async def mahallas(access: Access) -> list[str]:
    """The mahallas on the tenant's list, for the filter."""
    stmt = select(OutreachPerson.mahalla).distinct().order_by(OutreachPerson.mahalla)
    return list((await access.session.scalars(await access.scope(stmt, OutreachPerson, "list", "contact"))).all())


async def read_person(access: Access, person_id: int) -> View:
    """One person of the tenant's list (404 for anyone else's)."""
    return await access.get(OutreachPerson, person_id, "list")


async def visits_of(access: Access, person_id: int) -> list[View]:
    stmt = (
        select(OutreachVisit)
        .where(OutreachVisit.person_id == person_id)
        .order_by(OutreachVisit.visited_on.desc(), OutreachVisit.id.desc())
    )
    return await access.visible(OutreachVisit, stmt, "list")


@dataclass
class VisitForm:
    visited_on: str = ""
    outcome: str = ""
    note: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, form: Any) -> VisitForm:
        return cls(**{name: str(form.get(name, "")) for name in ("visited_on", "outcome", "note")})

    def validate(self, today: date) -> tuple[date, str, str] | None:
        """The visit's day, outcome and note, or None with a message beside each bad field."""
        day = None
        try:
            day = date.fromisoformat(self.visited_on) if self.visited_on.isascii() else None
        except ValueError:
            day = None
        if day is None:
            self.errors["visited_on"] = _("Enter the day of the visit, e.g. 2026-03-14.")
        elif not today - timedelta(days=366) <= day <= today:
            self.errors["visited_on"] = _("The visit must be within the past year, and not in the future.")
        if self.outcome not in VISIT_OUTCOMES:
            self.errors["outcome"] = _("Choose what the visit found.")
        note, problem = clean_text(self.note, MAX_NOTE, multiline=True)
        if problem:
            self.errors["note"] = problem
        if self.errors or day is None:
            return None
        return day, self.outcome, note


async def record_visit(access: Access, person_id: int, form: VisitForm) -> bool:
    """Record a visit to a person of the tenant's list; False with form.errors on bad input."""
    person = await access.own(OutreachPerson, person_id, "visit")
    clean = form.validate(local_date(access.now))
    if clean is None:
        return False
    day, outcome, note = clean
    access.session.add(
        OutreachVisit(
            tenant_id=person.tenant_id,
            person_id=person.id,
            visited_on=day,
            outcome=outcome,
            note=note,
            recorded_by=access.actor.user_id,
            recorded_by_name=access.actor.full_name,
            recorded_at=access.now,
        )
    )
    # The list shows the latest visit's outcome; a visit entered late for an earlier day does not replace it.
    if person.visited_on is None or day >= person.visited_on:
        person.outcome, person.visited_on = outcome, day
    await access.session.flush()
    await access.record("outreach.visit", "outreach_person", person.id, outcome=outcome)
    return True


def may_open_case(person: View) -> bool:
    """A case is opened for a person whose last visit found they want work or training, once."""
    return person.value("outcome") in CASE_OUTCOMES and not person.value("case_id")


class CannotOpenCase(Exception):
    """The person's last visit does not call for a case, or the client record cannot be made."""


async def open_case_from_visit(access: Access, person_id: int) -> int:
    """Open a case for the person: the tenant's client with that PINFL, or a new one made from the
    list's row; a case already open for that client is linked instead of opening a second. Returns
    the case's id."""
    person = await access.own(OutreachPerson, person_id, "visit")
    if person.case_id is not None:
        return person.case_id
    if person.outcome not in CASE_OUTCOMES:
        raise CannotOpenCase(person_id)
    client_id = await access.session.scalar(
        select(Client.id).where(Client.tenant_id == access.actor.tenant_id, Client.pinfl == person.pinfl)
    )
    if client_id is None:
        client_id = await _new_client(access, person)
    case = await access.session.scalar(
        select(Case).where(Case.client_id == client_id, Case.stage != "closed").order_by(Case.id.desc()).limit(1)
    )
    if case is None:
        case = await timeline.open_case(access, client_id, source="outreach")
    await timeline.add_event(access, case, "outreach.visit", outcome=person.outcome, visited_on=str(person.visited_on))
    person.client_id, person.case_id = client_id, case.id
    await access.session.flush()
    await access.record("outreach.case", "outreach_person", person.id, client=client_id, case=case.id)
    return case.id


async def _new_client(access: Access, person: OutreachPerson) -> int:
    if not access.allows("client", "create"):
        raise CannotOpenCase(person.id)
    address = ", ".join(part for part in (person.mahalla, person.address) if part)
    form = clients.ClientForm(
        full_name=person.full_name,
        full_name_cyrl=person.full_name_cyrl,
        pinfl=person.pinfl,
        birth_date=person.birth_date.isoformat(),
        gender=person.gender,
        phone=person.phone,
        address=address[:300],
        disability_group=person.disability_group,
        disability_until=person.disability_until.isoformat() if person.disability_until else "",
        work_recommendation=person.work_recommendation,
    )
    client_id = await clients.create_client(access, form)
    if client_id is None:
        raise CannotOpenCase(person.id)
    return client_id
