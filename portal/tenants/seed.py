"""Reference data (regions, districts) and the demo partners of the Tashkent pilot. Idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.policy import write_memberships
from portal.tenants.models import ROLES, TENANT_KINDS, District, Membership, Region, Tenant, User
from portal.tenants.services import hash_password

DATA = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "icm-demo-2026"  # noqa: S105 - printed on purpose: the demo's shared password


def _names(row: dict) -> dict[str, str]:
    return {"name_uz": row["uz"], "name_uz_cyrl": row["uz_Cyrl"], "name_ru": row["ru"], "name_en": row["en"]}


async def sync_places(session: AsyncSession) -> None:
    data = json.loads((DATA / "places.json").read_text(encoding="utf-8"))
    for region in data["regions"]:
        await session.merge(Region(code=region["code"], **_names(region)))
        await session.flush()
        for district in region["districts"]:
            await session.merge(District(code=district["code"], region_code=region["code"], **_names(district)))
    await session.flush()


class SeedError(ValueError):
    pass


async def ensure_tenant(
    session: AsyncSession, *, slug: str, kind: str, names: dict[str, str], region: str, district: str | None
) -> Tenant:
    if kind not in TENANT_KINDS:
        raise SeedError(f"unknown tenant kind {kind!r}; one of {', '.join(TENANT_KINDS)}")
    if await session.get(Region, region) is None:
        raise SeedError(f"unknown region {region!r}")
    if district is not None:
        found = await session.get(District, district)
        if found is None or found.region_code != region:
            raise SeedError(f"unknown district {district!r} in region {region!r}")
    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        tenant = Tenant(slug=slug, kind=kind, region_code=region, district_code=district, **_names(names))
        session.add(tenant)
        await session.flush()
    return tenant


async def ensure_user(
    session: AsyncSession, *, login: str, full_name: str, password: str, tenant: Tenant, roles: list[str]
) -> User:
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise SeedError(f"roles must be among {', '.join(ROLES)}")
    user = await session.scalar(select(User).where(User.login == login))
    if user is None:
        user = User(login=login, full_name=full_name, password_hash=hash_password(password))
        session.add(user)
        await session.flush()
    membership = await session.scalar(
        select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == tenant.id)
    )
    if membership is None:
        session.add(Membership(user_id=user.id, tenant_id=tenant.id, roles=sorted(set(roles))))
        await session.flush()
        await write_memberships(session, user.id, tenant.id, roles)
    return user


@dataclass(frozen=True)
class DemoLogin:
    login: str
    password: str
    tenant: str
    kind: str
    roles: list[str]
    full_name: str


async def seed_demo(session: AsyncSession) -> list[DemoLogin]:
    data = json.loads((DATA / "demo.json").read_text(encoding="utf-8"))
    tenants: dict[str, Tenant] = {}
    for row in data["tenants"]:
        tenants[row["slug"]] = await ensure_tenant(
            session,
            slug=row["slug"],
            kind=row["kind"],
            names=row["names"],
            region=row["region"],
            district=row.get("district"),
        )
    logins = []
    for row in data["users"]:
        for slug, roles in row["memberships"].items():
            await ensure_user(
                session,
                login=row["login"],
                full_name=row["full_name"],
                password=DEMO_PASSWORD,
                tenant=tenants[slug],
                roles=roles,
            )
            logins.append(
                DemoLogin(
                    login=row["login"],
                    password=DEMO_PASSWORD,
                    tenant=slug,
                    kind=tenants[slug].kind,
                    roles=roles,
                    full_name=row["full_name"],
                )
            )
    return logins
