"""Demo clients of the Tashkent pilot, with engagements and consents. Idempotent (keyed by PINFL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.cases import translit
from portal.cases.models import CaseNote, Client, Consent, Engagement
from portal.tenants.models import Tenant, User

SLUGS = {
    "inson": "inson-yunusobod",
    "pes": "pes-yunusobod",
    "ngo": "ngo-sharoit-plus",
    "mono": "monocentre-tashkent",
    "toqimachi": "employer-toqimachi",
}
# (name, gender, birth date, group, owner, engaged with, consent purposes for that partner)
DEMO = [
    ("Oʻrinboyev Shahzod Akmal oʻgʻli", "male", "1994-03-12", "II", "inson", "ngo", ["referral"]),
    ("Karimova Dilfuza Rustam qizi", "female", "1988-07-02", "III", "inson", "ngo", ["referral"]),
    ("Yoqubov Ergash Hamid oʻgʻli", "male", "1979-11-23", "II", "inson", "mono", ["referral"]),
    ("Gʻofurova Nilufar Bahrom qizi", "female", "1999-01-30", "III", "inson", "toqimachi", ["referral"]),
    ("Tursunov Jasur Olim oʻgʻli", "male", "2001-05-17", "III", "inson", "ngo", []),
    ("Rahimova Madina Anvar qizi", "female", "1992-09-09", "II", "inson", "mono", []),
    ("Qodirov Sanjar Ravshan oʻgʻli", "male", "1985-12-01", "I", "inson", None, []),
    ("Aliyeva Feruza Sobir qizi", "female", "1990-04-14", "III", "inson", None, []),
    ("Xolmatov Bekzod Ilhom oʻgʻli", "male", "1996-08-21", "II", "inson", "toqimachi", ["referral"]),
    ("Sodiqova Gulnoza Erkin qizi", "female", "1983-02-05", "III", "inson", None, []),
    ("Nazarov Otabek Shuhrat oʻgʻli", "male", "1998-10-10", "III", "inson", "ngo", ["referral"]),
    ("Mirzayeva Kamola Jamshid qizi", "female", "2000-06-28", "II", "inson", None, []),
    ("Ismoilov Doniyor Baxtiyor oʻgʻli", "male", "1987-03-03", "III", "inson", "mono", ["referral"]),
    ("Hamidova Zulfiya Nodir qizi", "female", "1975-12-19", "II", "inson", None, []),
    ("Abdullayev Sardor Umid oʻgʻli", "male", "1993-07-07", "III", "inson", None, []),
    ("Usmonova Dilnoza Alisher qizi", "female", "1995-11-11", "III", "pes", "toqimachi", ["referral"]),
    ("Toshev Sherzod Ulugʻbek oʻgʻli", "male", "1989-01-25", "II", "pes", "mono", ["referral"]),
    ("Saidova Lola Abdurashid qizi", "female", "1997-02-14", "III", "pes", "ngo", ["referral"]),
    ("Sobirov Aziz Temur oʻgʻli", "male", "1991-09-30", "III", "pes", None, []),
    ("Yusupova Shahnoza Bahodir qizi", "female", "1986-05-05", "II", "pes", "toqimachi", []),
    ("Ergashev Ulugʻbek Zafar oʻgʻli", "male", "2002-03-18", "III", "pes", None, []),
    ("Tojiyeva Malika Anvar qizi", "female", "1984-08-08", "II", "pes", "mono", []),
    ("Mamatov Rustam Hasan oʻgʻli", "male", "1978-04-27", "I", "pes", None, []),
    ("Rashidova Umida Shavkat qizi", "female", "1999-12-12", "III", "pes", "ngo", ["referral"]),
    ("Qosimov Javlon Akbar oʻgʻli", "male", "1994-06-06", "III", "pes", None, []),
    ("Normatova Sevara Oybek qizi", "female", "1993-10-03", "II", "pes", "toqimachi", ["referral"]),
    ("Yoʻldoshev Farrux Ikrom oʻgʻli", "male", "1990-02-22", "III", "pes", None, []),
    ("Boboyeva Nodira Salim qizi", "female", "1982-07-15", "II", "pes", None, []),
    ("Choriyev Elyor Maqsud oʻgʻli", "male", "2003-01-09", "III", "pes", "mono", ["referral"]),
    ("Haydarova Oysha Nurali qizi", "female", "1996-04-01", "III", "pes", None, []),
]  # fmt: skip

RECOMMENDATIONS = {
    "I": "Work at home or in a specially equipped place; a short day; help of an assistant.",
    "II": "Light work sitting down; no night shifts or heavy lifting; accessible workplace.",
    "III": "Most work without heavy physical load; regular breaks.",
}
EDUCATION = [
    "Vocational college, sewing technology",
    "Secondary school; computer literacy course",
    "Bachelor of economics, Tashkent State University of Economics",
    "Vocational college, bakery and confectionery",
]
RECORDERS = {"inson": "inson.social", "pes": "pes.case"}


def pinfl_for(gender: str, born: date, serial: int) -> str:
    """A PINFL of the real shape: century-and-sex digit, birth date, district code, serial, check digit."""
    century_sex = {("male", 19): 3, ("female", 19): 4, ("male", 20): 5, ("female", 20): 6}[(gender, born.year // 100)]
    body = f"{century_sex}{born:%d%m%y}261{serial:03d}"
    check = sum(int(d) * w for d, w in zip(body, [7, 3, 1] * 5, strict=False)) % 10
    return body + str(check)


async def seed_clients(session: AsyncSession, now: datetime) -> int:
    """Add the demo clients that are missing; returns how many were added."""
    by_slug = {
        t.slug: t.id for t in (await session.scalars(select(Tenant).where(Tenant.slug.in_(SLUGS.values())))).all()
    }
    tenants = {alias: by_slug[slug] for alias, slug in SLUGS.items() if slug in by_slug}
    users = {u.login: u for u in (await session.scalars(select(User).where(User.login.in_(RECORDERS.values())))).all()}
    if set(tenants) != set(SLUGS) or set(users) != set(RECORDERS.values()):
        return 0  # the tenant seed has not run; nothing to attach clients to
    added = 0
    today = now.date()
    for serial, (name, gender, born_text, group, owner, partner, purposes) in enumerate(DEMO, start=1):
        born = date.fromisoformat(born_text)
        pinfl = pinfl_for(gender, born, serial)
        owner_id = tenants[owner]
        if await session.scalar(select(Client.id).where(Client.tenant_id == owner_id, Client.pinfl == pinfl)):
            continue
        cyrl = translit.to_cyrillic(name)
        client = Client(
            tenant_id=owner_id,
            full_name=name,
            full_name_cyrl=cyrl,
            name_key=f"{translit.search_key(name)} {translit.search_key(cyrl)}",
            pinfl=pinfl,
            birth_date=born,
            gender=gender,
            phone=f"+998 90 {100 + serial:03d} {10 + serial:02d} {20 + serial:02d}",
            address=f"Yunusobod tumani, {serial}-kvartal, {serial + 3}-uy",
            district_code="tashkent-yunusobod",
            disability_group=group,
            disability_until=date(today.year + 2, 1, 1) if group != "I" else None,
            work_recommendation=RECOMMENDATIONS[group],
            benefits="Disability pension" if group in ("I", "II") else "",
            education=EDUCATION[serial % len(EDUCATION)],
            skills="Sewing; basic computer skills" if serial % 2 else "Customer service; Russian and Uzbek",
            employment_history="" if serial % 3 else "Worked two years in a textile workshop",
            assessment="Motivated to work; needs an accessible workplace.",
            action_plan="Referral to vocational training, then job matching.",
        )
        session.add(client)
        await session.flush()
        session.add(
            CaseNote(
                tenant_id=owner_id,
                client_id=client.id,
                author_user_id=users[RECORDERS[owner]].id,
                author_name=users[RECORDERS[owner]].full_name,
                written_at=now - timedelta(days=20 + serial),
                body="Lives with parents; prefers a workplace near home.",
            )
        )
        added += 1
        if partner:
            session.add(
                Engagement(
                    client_id=client.id,
                    owner_tenant_id=owner_id,
                    recipient_tenant_id=tenants[partner],
                    kind="referral" if serial % 2 else "case_conference",
                    opened_on=today - timedelta(days=30 + serial),
                )
            )
        for purpose in purposes:
            session.add(
                Consent(
                    client_id=client.id,
                    owner_tenant_id=owner_id,
                    recipient_tenant_id=tenants[partner],
                    purpose=purpose,
                    evidence=f"Written consent form no. {serial}, signed by the client",
                    given_at=now - timedelta(days=30 + serial),
                    given_recorded_by=users[RECORDERS[owner]].id,
                )
            )
    await session.flush()
    return added


async def seed_demo_clients(session: AsyncSession) -> int:
    from portal.cases.outreach_seed import seed_outreach
    from portal.db import utcnow

    now = utcnow()
    added = await seed_clients(session, now)
    await seed_outreach(session, now)
    return added
