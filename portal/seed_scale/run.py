"""`portal seed-scale`: the national data set, written in one transaction.

Sizes are fractions of `full`: about 1,000 organisations of every kind across the 14 regions,
10,000 users with their memberships, 200,000 clients, 5,000 agreements in force whose clauses
compile to 50,000-100,000 grant rows, with the engagements and consents the clauses read, cases
and referrals in every state (casework.py), and one recipient (`scale-recipient`) holding one
clause from each of 100 owners over 20,000 engaged clients. Smaller sizes scale every number
down, with a floor that keeps every kind of row present.

Deterministic: the same size and seed on the same database give the same rows (ids follow the rows
already there, so a database with the demo gives other ids than one without), except the users'
password hash, which is salted: one password is hashed once and every user gets that hash.
A database that already holds the data set is refused, whatever its size: start from a fresh one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from portal.access.models import AccessGrant, CasbinRule
from portal.access.policy import bump_revision
from portal.cases import calendar
from portal.cases.models import Case, Client, Consent, Engagement, Referral, ReferralReview
from portal.partnership.models import Agreement, AgreementParty, AgreementVersion, Clause, Signature
from portal.seed_scale import agreements as sharing
from portal.seed_scale import casework, people
from portal.seed_scale.writer import Writer
from portal.tenants.models import Membership, Region, Tenant, User
from portal.tenants.seed import DEMO_PASSWORD
from portal.tenants.services import hash_password

SIZES = {"tiny": 0.002, "small": 0.01, "medium": 0.1, "full": 1.0}
DEFAULT_SEED = 2026
TABLES = [
    Tenant.__table__,
    User.__table__,
    Membership.__table__,
    CasbinRule.__table__,
    Client.__table__,
    Agreement.__table__,
    AgreementVersion.__table__,
    AgreementParty.__table__,
    Clause.__table__,
    Signature.__table__,
    AccessGrant.__table__,
    Engagement.__table__,
    Consent.__table__,
    Case.__table__,
    Referral.__table__,
    ReferralReview.__table__,
]


class SeedScaleError(ValueError):
    pass


@dataclass(frozen=True)
class Size:
    fraction: float

    @classmethod
    def parse(cls, text: str) -> Size:
        """A named size (tiny, small, medium, full) or a fraction of full in (0, 1]."""
        if text in SIZES:
            return cls(SIZES[text])
        try:
            fraction = float(text)
        except ValueError:
            raise SeedScaleError(f"size {text!r}: one of {', '.join(SIZES)} or a fraction such as 0.25") from None
        if not 0 < fraction <= 1:
            raise SeedScaleError(f"size {text!r}: a fraction of full must be above 0 and at most 1")
        return cls(fraction)

    def scaled(self, full: int, floor: int) -> int:
        return max(floor, round(full * self.fraction))

    @property
    def tenants(self) -> int:
        return self.scaled(1_000, 40)

    @property
    def users(self) -> int:
        return self.scaled(10_000, 2 * (self.tenants + 1))

    @property
    def clients(self) -> int:
        return self.scaled(200_000, 1_000)

    @property
    def agreements(self) -> int:
        return self.scaled(5_000, 20)

    @property
    def recipient_engaged(self) -> int:
        return self.scaled(20_000, 100)


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    recipient_login: str = people.RECIPIENT_LOGIN
    recipient_slug: str = people.RECIPIENT_SLUG
    owner_login: str = ""
    password: str = DEMO_PASSWORD
    recipient_clauses: int = 0
    recipient_owners: int = 0
    recipient_engaged: int = 0


async def seed_scale(
    engine: AsyncEngine, size: Size, seed: int = DEFAULT_SEED, progress: Callable[[str], None] = lambda _m: None
) -> Report:
    started = time.perf_counter()
    report = Report()
    async with engine.begin() as conn:
        if not await conn.scalar(select(func.count()).select_from(Region)):
            raise SeedScaleError("the database has no regions: run `portal migrate` first")
        if await conn.scalar(select(Tenant.id).where(Tenant.slug == people.RECIPIENT_SLUG)) is not None:
            found = await conn.scalar(select(func.count()).where(Tenant.slug.startswith(people.SLUG_PREFIX)))
            raise SeedScaleError(
                f"this database already holds the national data set ({found:,} organisations named scale-*); "
                "seed-scale runs once per database: start from a fresh one"
            )
        writer = Writer(conn, progress)
        first = {t.name: await writer.next_id(t) for t in TABLES}

        def step(message: str) -> None:
            progress(f"{message} ({time.perf_counter() - started:,.1f} s)")

        orgs, tenant_rows = people.tenants(size.tenants, seed, first["tenants"])
        await writer.write(Tenant.__table__, tenant_rows)
        step(f"{len(tenant_rows):,} organisations")
        password_hash = hash_password(DEMO_PASSWORD)  # once: every user shares the hash
        users, memberships, members = people.staff(
            size.users, seed, orgs, first["users"], first["memberships"], password_hash
        )
        await writer.write(User.__table__, users)
        await writer.write(Membership.__table__, memberships)
        await writer.write(CasbinRule.__table__, people.role_lines(members, first["casbin_rule"]))
        step(f"{len(users):,} users, {len(memberships):,} memberships")
        owners = people.client_owners(size.clients, orgs)
        districts = {t.id: t.district for t in orgs}
        await writer.write(Client.__table__, people.clients(seed, owners, first["clients"], districts))
        step(f"{len(owners):,} clients")
        clients_of: dict[int, list[int]] = {}
        for n, owner in enumerate(owners):
            clients_of.setdefault(owner, []).append(first["clients"] + n)
        names = {u["id"]: u["full_name"] for u in users}
        signers: dict[int, tuple[int, str]] = {}
        for m in members:
            signers.setdefault(m.tenant_id, (m.user_id, names[m.user_id]))
        ids = sharing.Ids(dict(first))
        made = sharing.build(
            seed,
            size.agreements,
            size.recipient_engaged,
            orgs,
            {row["id"]: row for row in tenant_rows},
            signers,
            clients_of,
            ids,
            progress,
        )
        step(f"{len(made.versions):,} agreements signed and compiled")
        async with AsyncSession(bind=conn) as session:
            days = await calendar.load(session, casework.SENT_BEFORE.year)
        work = casework.build(seed, made.engagements, orgs, signers, ids, days)
        step(f"{len(work.cases):,} cases, {len(work.referrals):,} referrals")
        for table, rows in (
            (Agreement.__table__, made.agreements),
            (AgreementVersion.__table__, made.versions),
            (AgreementParty.__table__, made.parties),
            (Clause.__table__, made.clauses),
            (Signature.__table__, made.signatures),
            (AccessGrant.__table__, made.grants),
            (Engagement.__table__, made.engagements),
            (Consent.__table__, made.consents),
            (Case.__table__, work.cases),
            (Referral.__table__, work.referrals),
            (ReferralReview.__table__, work.reviews),
        ):
            await writer.write(table, rows)
        step("written")
        await writer.move_sequences(TABLES)
        # Every worker reloads the role lines of the new memberships.
        async with AsyncSession(bind=conn) as session:
            await bump_revision(session)
        report.counts = dict(writer.counts)
        first_owner = next(c["owner_tenant_id"] for c in made.clauses if c["recipient_tenant_id"] == orgs[-1].id)
        # One of its owners' case managers (the administrator when it has none), for the owner's side.
        managers = [m.user_id for m in members if m.tenant_id == first_owner and "case_manager" in m.roles]
        owner_user = managers[0] if managers else signers[first_owner][0]
        report.owner_login = next(u["login"] for u in users if u["id"] == owner_user)
        report.recipient_clauses = made.recipient_clauses
        report.recipient_owners = made.recipient_owners
        report.recipient_engaged = made.recipient_engaged
    report.seconds = time.perf_counter() - started
    return report
