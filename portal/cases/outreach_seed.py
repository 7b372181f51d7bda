"""The demo INSON centre's outreach list: persons with a TIEK work recommendation in four mahallas of
Yunusobod, some visited, two waiting for a case to be opened. Idempotent (keyed by PINFL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cases.models import OutreachPerson, OutreachVisit
from portal.cases.seed import RECOMMENDATIONS, pinfl_for
from portal.tenants.models import Tenant, User

# (name, gender, birth date, group, mahalla, last visit's outcome or None, days ago)
PERSONS = [
    ("Abdurahmonov Ilhom Botir oʻgʻli", "male", "1991-02-11", "II", "Bodomzor", "wants_work", 3),
    ("Qosimova Mohira Anvar qizi", "female", "1997-06-23", "III", "Bodomzor", "wants_training", 5),
    ("Salimov Bobur Erkin oʻgʻli", "male", "1985-09-04", "III", "Bodomzor", "not_at_home", 2),
    ("Egamberdiyeva Nigora Olim qizi", "female", "1979-12-15", "II", "Minor", "not_interested", 9),
    ("Rustamov Akmal Sobir oʻgʻli", "male", "2000-03-30", "III", "Minor", "already_working", 12),
    ("Yoʻldosheva Sitora Hamid qizi", "female", "1994-08-08", "II", "Minor", None, 0),
    ("Karimov Otabek Ravshan oʻgʻli", "male", "1988-01-19", "I", "Yunusobod-13", "health_barrier", 15),
    ("Hasanova Dildora Jamshid qizi", "female", "2002-10-02", "III", "Yunusobod-13", None, 0),
    ("Mirzayev Sanjar Ulugʻbek oʻgʻli", "male", "1990-05-27", "II", "Yunusobod-13", None, 0),
    ("Toʻxtayeva Feruza Baxtiyor qizi", "female", "1983-04-12", "III", "Oqqoʻrgʻon", "moved", 20),
    ("Normurodov Jahongir Ikrom oʻgʻli", "male", "1996-11-21", "III", "Oqqoʻrgʻon", None, 0),
    ("Saidova Gulchehra Nodir qizi", "female", "1987-07-07", "II", "Oqqoʻrgʻon", None, 0),
]  # fmt: skip
SERIAL_BASE = 500  # PINFL serials apart from the demo clients'


async def seed_outreach(session: AsyncSession, now: datetime) -> int:
    """Add the missing persons of the demo INSON centre's list; returns how many were added."""
    owner = await session.scalar(select(Tenant.id).where(Tenant.slug == "inson-yunusobod"))
    worker = await session.scalar(select(User).where(User.login == "inson.social"))
    if owner is None or worker is None:
        return 0
    today = now.date()
    added = 0
    for serial, (name, gender, born, group, mahalla, outcome, days) in enumerate(PERSONS, start=SERIAL_BASE):
        pinfl = pinfl_for(gender, date.fromisoformat(born), serial)
        exists = await session.scalar(
            select(OutreachPerson.id).where(OutreachPerson.tenant_id == owner, OutreachPerson.pinfl == pinfl)
        )
        if exists:
            continue
        visited = today - timedelta(days=days) if outcome else None
        person = OutreachPerson(
            tenant_id=owner,
            full_name=name,
            pinfl=pinfl,
            birth_date=date.fromisoformat(born),
            gender=gender,
            mahalla=mahalla,
            address=f"{mahalla} MFY, {serial - SERIAL_BASE + 2}-uy",
            phone=f"+998 93 {200 + serial % 100:03d} {serial % 90 + 10:02d} {serial % 80 + 10:02d}",
            disability_group=group,
            disability_until=date(today.year + 1, 6, 1) if group != "I" else None,
            work_recommendation=RECOMMENDATIONS[group],
            outcome=outcome or "",
            visited_on=visited,
        )
        session.add(person)
        await session.flush()
        if outcome and visited:
            session.add(
                OutreachVisit(
                    tenant_id=owner,
                    person_id=person.id,
                    visited_on=visited,
                    outcome=outcome,
                    note="",
                    recorded_by=worker.id,
                    recorded_by_name=worker.full_name,
                    recorded_at=now - timedelta(days=days),
                )
            )
        added += 1
    await session.flush()
    return added
