"""The national data set's organisations, staff and clients, drawn from one seeded random stream each.

Everything here is a plain function of (size, seed, first ids): no clock, no database, so the same
inputs give the same rows. Each table draws from its own stream (`stream(seed, "clients")`), so a
change to how one table is drawn leaves the others as they were.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from portal.cases import translit
from portal.tenants.seed import DATA

# Every row carries this creation time, so two runs write the same bytes.
STAMP = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
RECIPIENT_SLUG = "scale-recipient"
RECIPIENT_LOGIN = "scale.recipient"
SLUG_PREFIX = "scale-"
LOGIN_PREFIX = "scale."

# One organisation kind per slot, repeated: most partners are employers, then the services that
# register clients (employment offices, INSON centres, NGOs), then one of each national body.
KIND_PATTERN = (
    ("employer",) * 7 + ("pes", "inson", "ngo") * 3 + ("nasp", "monocentre", "job_carving_unit", "labour_inspection")
)
CLIENT_OWNER_KINDS = ("pes", "nasp", "inson", "monocentre", "ngo")
KIND_NAMES = {
    "pes": ("Bandlik bo‘limi", "Бандлик бўлими", "Отдел занятости", "Employment Office"),
    "nasp": (
        "Ijtimoiy himoya agentligi bo‘limi",
        "Ижтимоий ҳимоя агентлиги бўлими",
        "Отдел агентства соцзащиты",
        "Social Protection Agency Branch",
    ),
    "inson": ("«INSON» markazi", "«INSON» маркази", "Центр «INSON»", "INSON Centre"),
    "monocentre": ("Monomarkaz", "Мономарказ", "Мономарказ", "Monocentre"),
    "ngo": (
        "Nogironligi bo‘lgan shaxslar jamiyati",
        "Ногиронлиги бўлган шахслар жамияти",
        "Общество людей с инвалидностью",
        "Disability Association",
    ),
    "employer": ("Korxona MChJ", "Корхона МЧЖ", "ООО «Корхона»", "Enterprise LLC"),
    "job_carving_unit": (
        "Ish o‘rinlarini moslashtirish bo‘limi",
        "Иш ўринларини мослаштириш бўлими",
        "Служба адаптации рабочих мест",
        "Job Carving Unit",
    ),
    "labour_inspection": ("Mehnat inspeksiyasi", "Меҳнат инспекцияси", "Инспекция труда", "Labour Inspectorate"),
}
STAFF_ROLES = {
    "employer": ("employer_hr",),
    "labour_inspection": ("inspector",),
    "job_carving_unit": ("case_manager", "coordinator"),
}
MALE = tuple(
    "Akmal Aziz Bekzod Doniyor Elyor Farrux Jasur Javlon Otabek Rustam Sanjar Sardor Sherzod Shahzod "
    "Ulugʻbek Zafar".split()
)
FEMALE = tuple(
    "Dilfuza Dilnoza Feruza Gulnoza Kamola Lola Madina Malika Nilufar Nodira Oysha Sevara Shahnoza Umida "
    "Zulfiya Zarina".split()
)
SURNAMES = tuple(
    "Abdullayev Aliyev Boboyev Choriyev Ergashev Hamidov Ismoilov Karimov Mamatov Mirzayev Nazarov "
    "Qodirov Rahimov Sobirov Toshev Tursunov Usmonov Xolmatov Yusupov Yoqubov".split()
)
RECOMMENDATIONS = {
    "I": "Work at home or in a specially equipped place; a short day; help of an assistant.",
    "II": "Light work sitting down; no night shifts or heavy lifting; accessible workplace.",
    "III": "Most work without heavy physical load; regular breaks.",
}
EDUCATION = ("Secondary school", "Vocational college: sewing", "Vocational college: accounting", "Bachelor: economics")
SKILLS = ("Sewing, embroidery", "Computer literacy, typing", "Baking", "Bookkeeping, 1C", "Customer service")
WORK = ("No formal work yet", "Seamstress, 2 years", "Cashier, 1 year", "Office assistant, 3 years", "Baker, 4 years")


def stream(seed: int, table: str) -> random.Random:
    return random.Random(f"{seed}:{table}")  # noqa: S311 - a reproducible data set, not a secret


def base(row_id: int) -> dict[str, Any]:
    """The columns every model row has (portal.db.Model), with the fixed creation time."""
    return {"id": row_id, "created_at": STAMP, "updated_at": STAMP, "version": 1}


@dataclass(frozen=True)
class Place:
    region: str
    names: tuple[str, str, str, str]
    districts: tuple[str, ...]


def places() -> list[Place]:
    data = json.loads((DATA / "places.json").read_text(encoding="utf-8"))
    return [
        Place(
            r["code"],
            (r["uz"], r["uz_Cyrl"], r["ru"], r["en"]),
            tuple(d["code"] for d in r["districts"]),
        )
        for r in data["regions"]
    ]


@dataclass(frozen=True)
class TenantRow:
    id: int
    slug: str
    kind: str
    region: str
    district: str | None

    @property
    def owns_clients(self) -> bool:
        return self.kind in CLIENT_OWNER_KINDS


def tenants(count: int, seed: int, first_id: int) -> tuple[list[TenantRow], list[dict[str, Any]]]:
    """`count` organisations of every kind across the 14 regions, then the 100-clause recipient (last)."""
    rng = stream(seed, "tenants")
    regions = places()
    kept: list[TenantRow] = []
    rows: list[dict[str, Any]] = []
    for n in range(count + 1):
        recipient = n == count
        kind = "ngo" if recipient else KIND_PATTERN[n % len(KIND_PATTERN)]
        place = next(p for p in regions if p.region == "tashkent-city") if recipient else regions[n % len(regions)]
        district = rng.choice(place.districts) if place.districts and rng.random() < 0.8 else None
        slug = RECIPIENT_SLUG if recipient else f"{SLUG_PREFIX}{kind.replace('_', '-')}-{n + 1:05d}"
        names = KIND_NAMES[kind]
        label = ("Scale recipient", "Скейл реципиент", "Получатель нагрузки", "Scale recipient") if recipient else None
        row = TenantRow(first_id + n, slug, kind, place.region, district)
        kept.append(row)
        rows.append(
            {
                **base(row.id),
                "slug": slug,
                "kind": kind,
                "region_code": place.region,
                "district_code": district,
                "is_active": True,
                **{
                    column: (f"{label[i]} ({names[i]})" if label else f"{place.names[i]}: {names[i]} №{n + 1}")[:200]
                    for i, column in enumerate(("name_uz", "name_uz_cyrl", "name_ru", "name_en"))
                },
            }
        )
    return kept, rows


@dataclass(frozen=True)
class Member:
    user_id: int
    tenant_id: int
    roles: tuple[str, ...]


def staff(
    count: int, seed: int, orgs: list[TenantRow], first_user: int, first_membership: int, password_hash: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Member]]:
    """Users, each a member of one organisation (one in twenty of a second one too); the first member
    of each organisation is its administrator and signatory. The recipient's first user is the
    demo login."""
    rng = stream(seed, "users")
    users: list[dict[str, Any]] = []
    members: list[Member] = []
    seen: dict[int, int] = {}
    recipient = orgs[-1]
    for n in range(count):
        user_id = first_user + n
        tenant = recipient if n == 0 else orgs[(n - 1) % len(orgs)]
        female = rng.random() < 0.5
        name = f"{rng.choice(FEMALE if female else MALE)} {rng.choice(SURNAMES)}{'a' if female else ''}"
        users.append(
            {
                **base(user_id),
                "login": RECIPIENT_LOGIN if n == 0 else f"{LOGIN_PREFIX}u{n:06d}",
                "full_name": name,
                "email": None,
                "password_hash": password_hash,
                "language": None,
                "is_active": True,
            }
        )
        order = seen.get(tenant.id, 0)
        seen[tenant.id] = order + 1
        if n == 0:
            roles: tuple[str, ...] = ("case_manager", "tenant_admin")
        elif order == 0:
            roles = ("signatory", "tenant_admin")
        else:
            roles = (rng.choice(STAFF_ROLES.get(tenant.kind, ("case_manager", "case_manager", "viewer"))),)
        members.append(Member(user_id, tenant.id, roles))
        if n > 0 and rng.random() < 0.05:
            other = rng.choice(orgs[:-1])
            if other.id != tenant.id:
                members.append(Member(user_id, other.id, ("viewer",)))
    memberships = [
        {
            **base(first_membership + i),
            "user_id": m.user_id,
            "tenant_id": m.tenant_id,
            "roles": list(m.roles),
            "is_active": True,
        }
        for i, m in enumerate(members)
    ]
    return users, memberships, members


def role_lines(members: list[Member], first_id: int) -> list[dict[str, Any]]:
    """The Casbin "g" lines of the memberships, as policy.write_memberships writes them."""
    lines = [
        (f"user:{m.user_id}", f"role:{role}", f"tenant:{m.tenant_id}") for m in members for role in sorted(set(m.roles))
    ]
    return [
        {"id": first_id + i, "ptype": "g", "v0": v0, "v1": v1, "v2": v2, "v3": None, "v4": None, "v5": None}
        for i, (v0, v1, v2) in enumerate(lines)
    ]


def client_owners(count: int, orgs: list[TenantRow]) -> list[int]:
    """The owner of each client, in id order: the organisations that register clients, in turn."""
    owners = [t.id for t in orgs[:-1] if t.owns_clients]
    return [owners[n % len(owners)] for n in range(count)]


_NAMES: dict[str, tuple[str, str]] = {}


def _name(text: str) -> tuple[str, str]:
    """(Cyrillic form, search key) of a Latin name; a few hundred names, each folded once."""
    if text not in _NAMES:
        cyrl = translit.to_cyrillic(text)
        _NAMES[text] = (cyrl, f"{translit.search_key(text)} {translit.search_key(cyrl)}"[:400])
    return _NAMES[text]


def clients(seed: int, owners: list[int], first_id: int, districts: dict[int, str | None]) -> Iterator[dict[str, Any]]:
    """One client per entry of `owners` (their owner), with every category filled."""
    rng = stream(seed, "clients")
    for n, owner in enumerate(owners):
        female = rng.random() < 0.45
        father = rng.choice(MALE)
        surname = rng.choice(SURNAMES) + ("a" if female else "")
        given = rng.choice(FEMALE if female else MALE)
        full = f"{surname} {given} {father} {'qizi' if female else 'oʻgʻli'}"
        cyrl, key = _name(full)
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 16000))
        group = rng.choice(("I", "II", "II", "III", "III", "III"))
        d = f"{rng.randrange(10**8):08d}"
        century = (3 if born.year < 2000 else 5) + (1 if female else 0)
        yield {
            **base(first_id + n),
            "tenant_id": owner,
            "full_name": full,
            "full_name_cyrl": cyrl,
            "name_key": key,
            "pinfl": f"{century}{born:%d%m%y}{n:07d}",
            "birth_date": born,
            "gender": "female" if female else "male",
            "phone": f"+998 9{d[0]} {d[1:4]} {d[4:6]} {d[6:8]}",
            "address": f"{rng.choice(SURNAMES)} ko‘chasi, {rng.randrange(1, 120)}-uy",
            "district_code": districts.get(owner),
            "disability_group": group,
            "disability_until": date(2027, 1, 1) + timedelta(days=rng.randrange(0, 1000)),
            "work_recommendation": RECOMMENDATIONS[group],
            "benefits": rng.choice(("Disability pension", "Disability pension; transport allowance", "")),
            "education": rng.choice(EDUCATION),
            "skills": rng.choice(SKILLS),
            "employment_history": rng.choice(WORK),
            "assessment": f"Motivated; needs an accessible workplace (group {group}).",
            "action_plan": "Vocational guidance, then a supported placement.",
        }
