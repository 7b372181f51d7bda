"""The break-in suite: every registered route, as every role of every demo tenant, plain and as an
HTMX request, with every other tenant's object ids in its path parameters.

It fails on a 200 answer that shows a foreign identifier — a client's PINFL or name the tenant is
not allowed to see, a login of another tenant's user, the title or a comment of an agreement the
tenant is no party to, an identity registered by another tenant — and on any success (2xx, 3xx) of a
request whose every id names an object the tenant neither owns nor takes part in. What a tenant may
see of other tenants' clients is computed here from the database's active clauses (the
independent oracle the kernel is held to), not asked of the kernel.

The walk is bounded: at most BUDGET requests per backend, sampled with a fixed seed so that every
(persona, route, plain/HTMX) combination is tried at least once before any is tried twice.
"""

from __future__ import annotations

import html
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from litestar.testing import TestClient
from sqlalchemy import select

from portal.access.declare import all_declared
from portal.access.sharing import local_date
from portal.cases.models import FIELD_CATEGORIES
from portal.cases.outreach_files import COLUMNS
from portal.db import utcnow
from portal.tenants.models import ExternalIdentity, Tenant, User
from tests.conftest import DEMO_PASSWORD, login, post_form, with_db
from tests.security.walk import (
    UNSAFE,
    Endpoint,
    Objects,
    collect_objects,
    discovered_endpoints,
    grants_of,
    related_pairs,
    table_for,
)

BUDGET = 4500
SEED = 20261125
ROOT = Path(__file__).resolve().parents[2]
# A value made of lower-case words joined by "_" or "." is one of the portal's codes (a stage, an outcome,
# an event's kind), printed by every page that names it: it tells nothing of the row it stands in.
CODE = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*")
IDENTITY_FIELDS = [f for f, category in FIELD_CATEGORIES.items() if category == "identity" and f != "birth_date"]


# --- more objects to steal than the demo seeds ---------------------------------------------------


async def add_private_objects(session) -> None:  # type: ignore[no-untyped-def]
    """A draft two tenants keep to themselves, comments on it and on the half-signed memorandum, and
    an identity registered by every tenant: objects most tenants must never see."""
    from portal.partnership import services
    from portal.partnership.forms import ClauseRow, DraftForm, PartyRow
    from portal.partnership.models import AgreementVersion
    from portal.partnership.seed import actor_for
    from tests.partnership.factories import policy_of

    now = utcnow()
    tenants = {t.slug: t.id for t in (await session.scalars(select(Tenant))).all()}
    drafter = await actor_for(session, "inspection.head", "labour-inspection-tashkent")
    partner = tenants["job-carving-tashkent"]
    form = DraftForm(
        title="Maxfiy kelishuv: inspeksiya va moslashtirish boʻlimi",
        common_goals="Ish oʻrinlarini birgalikda tekshirish va moslashtirish",
        valid_from=now.date().replace(month=1, day=1).isoformat(),
        valid_until=now.date().replace(year=now.year + 1, month=12, day=31).isoformat(),
        parties=[PartyRow(str(drafter.tenant_id), role="Nazorat"), PartyRow(str(partner), role="Moslashtirish")],
        clauses=[ClauseRow(owner=str(drafter.tenant_id), recipient=str(partner), categories=["identity"])],
    )
    policy = await policy_of(session)
    version = await services.create_draft(session, drafter, form, now, policy=policy)
    assert version is not None, form.errors
    await services.add_comment(
        session, drafter, version.id, "Maxfiy izoh: faqat ikki tomon oʻqiydi", now, policy=policy
    )
    carving = await actor_for(session, "carving.lead", "job-carving-tashkent")
    await services.add_comment(
        session, carving, version.id, "Moslashtirish boʻlimining maxfiy javobi", now, policy=policy
    )
    memorandum = await session.scalar(select(AgreementVersion).where(AgreementVersion.status == "signing"))
    if memorandum is not None:
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        await services.add_comment(
            session, ngo, memorandum.id, "Sharoit plus izohi memorandum haqida", now, policy=policy
        )
    await add_private_cases(session, tenants, now)
    admins = (await session.execute(select(User.id, User.login))).all()
    for tenant_id in tenants.values():
        user_id = admins[tenant_id % len(admins)][0]
        session.add(
            ExternalIdentity(
                provider="oneid", claim_value=f"ONEID-{tenant_id:04d}-MAXFIY", user_id=user_id, tenant_id=tenant_id
            )
        )
    await session.flush()


async def add_private_cases(session, tenants: dict[str, int], now: datetime) -> None:  # type: ignore[no-untyped-def]
    """A case of the INSON centre at the planning stage, with every part of it, and a closed case of the
    employment office with an addendum: every case route then has real ids to try."""
    from portal.cases.models import (
        ActionPlan,
        Assessment,
        Case,
        CaseAddendum,
        CaseEvent,
        Client,
        IntegrationAgreement,
        PlanMeasure,
    )

    today = local_date(now)
    for slug, stage in (("inson-yunusobod", "planning"), ("pes-yunusobod", "closed")):
        owner = tenants[slug]
        client = await session.scalar(select(Client).where(Client.tenant_id == owner).order_by(Client.id).limit(1))
        case = Case(tenant_id=owner, client_id=client.id, stage=stage, opened_on=today, work_readiness="ready")
        if stage == "closed":
            case.closed_on, case.closure_reason, case.closure_summary = today, "moved_away", "Maxfiy yakun xulosasi"
        session.add(case)
        await session.flush()
        about = {"tenant_id": owner, "case_id": case.id, "client_id": client.id}
        session.add(CaseEvent(**about, at=now, actor_tenant_id=owner, actor_name="Maxfiy xodim", kind="case.opened"))
        session.add(Assessment(**about, findings={"health": "Maxfiy salomatlik"}, readiness="ready", assessed_on=today))
        plan = ActionPlan(**about, goal="Maxfiy maqsad")
        session.add(plan)
        await session.flush()
        session.add(
            PlanMeasure(tenant_id=owner, plan_id=plan.id, client_id=client.id, kind="counselling", due_on=today)
        )
        session.add(IntegrationAgreement(**about, terms="Maxfiy shartlar", signed_on=today))
        if stage == "closed":
            session.add(CaseAddendum(**about, written_at=now, author_name="Maxfiy xodim", body="Maxfiy qoʻshimcha"))
    await session.flush()


# --- who may see what ----------------------------------------------------------------------------


def shared_categories(objects: Objects, recipient: int, client: dict[str, Any], now: datetime) -> set[str]:
    """Categories of a foreign client a tenant may read under the active clauses, from the rows."""
    today = local_date(now)
    versions = objects.rows["agreement_versions"]
    seen: set[str] = set()
    for clause in objects.rows["agreement_clauses"].values():
        version = versions[clause["version_id"]]
        if clause["owner_tenant_id"] != client["tenant_id"] or clause["recipient_tenant_id"] != recipient:
            continue
        if "read" not in clause["actions"] or version["status"] != "active":
            continue
        if not version["valid_from"] <= today <= version["valid_until"]:
            continue
        if clause["ends_on"] is not None and clause["ends_on"] < today:
            continue
        if clause["scope"] == "engaged" and not any(
            e["client_id"] == client["id"]
            and e["owner_tenant_id"] == client["tenant_id"]
            and e["recipient_tenant_id"] == recipient
            and e["opened_on"] <= today
            and (e["closed_on"] is None or e["closed_on"] > today)
            for e in objects.rows["engagements"].values()
        ):
            continue
        if clause["consent_required"] and not any(
            c["client_id"] == client["id"]
            and c["owner_tenant_id"] == client["tenant_id"]
            and c["recipient_tenant_id"] == recipient
            and c["purpose"] == clause["purpose"]
            and c["given_at"] <= now
            and (c["withdrawn_at"] is None or c["withdrawn_at"] > now)
            for c in objects.rows["consents"].values()
        ):
            continue
        seen |= set(clause["categories"])
    return seen


def _ui_words() -> str:
    """Every word the portal itself prints (page templates, catalogues, agreement templates and their
    default titles): never evidence of a leak."""
    parts = [p.read_text(encoding="utf-8") for p in (ROOT / "templates").rglob("*.html")]
    parts += [p.read_text(encoding="utf-8") for p in (ROOT / "portal").rglob("*.po")]
    parts += [p.read_text(encoding="utf-8") for p in (ROOT / "portal").rglob("*templates.py")]
    parts += [column.example for column in COLUMNS]  # the import template's example row
    return "\n".join(parts).lower()


def record_secrets(
    objects: Objects, tenant_id: int, roles: tuple[str, ...], now: datetime, reach: dict, secrets: dict[str, str]
) -> None:
    """The rows of every other declared table (cases, their parts, case notes) that a tenant may read
    under the clauses, from the rows: another owner's row is in reach when the tenant's roles read its
    object and the clauses share one of the table's categories for its client. The text of the others
    is secret, unless the same words stand in a row the tenant may see (demo texts repeat)."""
    seen: set[str] = set()
    hidden: dict[str, str] = {}
    # What the tenant may read of clients (its own, and the categories the clauses share of others') is seen:
    # a record repeating such a text (a visit's note, a copied work recommendation) shows nothing new.
    reads_clients = ("client", "read") in grants_of(roles)
    for client in objects.rows["clients"].values():
        readable_categories = (
            set(FIELD_CATEGORIES.values())
            if client["tenant_id"] == tenant_id
            else shared_categories(objects, tenant_id, client, now)
            if reads_clients
            else set()
        )
        seen.update(
            str(client[name])
            for name, category in FIELD_CATEGORIES.items()
            if category in readable_categories and client.get(name)
        )
    for shared in all_declared():
        table = shared.model.__tablename__
        if table == "clients" or table not in objects.rows:
            continue
        readable = (shared.obj, "read") in grants_of(roles) and not shared.own_only
        for row_id, row in objects.rows[table].items():
            texts = [
                text
                for name in shared.fields
                for text in (row[name].values() if isinstance(row.get(name), dict) else [row.get(name)])
                if isinstance(text, str) and not CODE.fullmatch(text)
            ]
            client = objects.rows["clients"].get(row[shared.client.key])
            party = any(row[column.key] == tenant_id for column in shared.parties) and (
                shared.party_since is None or row[shared.party_since.key] is not None
            )
            if (
                row[shared.owner.key] == tenant_id
                or party
                or (readable and client and shared_categories(objects, tenant_id, client, now) & shared.categories)
            ):
                reach[table].add(row_id)
                seen.update(texts)
            else:
                hidden.update({text: f"{table} {row_id}" for text in texts})
    secrets.update({text: what for text, what in hidden.items() if text not in seen})


@dataclass
class Persona:
    login: str
    tenant_id: int
    roles: tuple[str, ...]
    first_tenant: bool
    secrets: re.Pattern[str] | None
    what: dict[str, str]  # secret -> what it is, for the failure message
    reach: dict[str, set[int]]  # table -> ids the tenant owns, takes part in or is shown


def personas(objects: Objects, demo_logins: list[dict], now: datetime) -> list[Persona]:
    slugs = {row["slug"]: row_id for row_id, row in objects.rows["tenants"].items()}
    first: dict[str, str] = {}
    ui = _ui_words()
    result = []
    for row in demo_logins:
        tenant_id = slugs[row["tenant"]]
        first.setdefault(row["login"], row["tenant"])
        roles = tuple(row["roles"])
        reads_clients = ("client", "read") in grants_of(roles)
        secrets: dict[str, str] = {}
        reach: dict[str, set[int]] = defaultdict(set)
        for table in objects.rows:
            reach[table] = {i for i in objects.ids(table) if objects.reaches(table, tenant_id, i)}
        for client in objects.rows["clients"].values():
            if client["tenant_id"] == tenant_id:
                continue
            shared = shared_categories(objects, tenant_id, client, now) if reads_clients else set()
            if shared:
                reach["clients"].add(client["id"])
            if "identity" not in shared:
                for name in IDENTITY_FIELDS:
                    if client.get(name):
                        secrets[str(client[name])] = f"{name} of client {client['id']}"
        record_secrets(objects, tenant_id, roles, now, reach, secrets)
        for user_id, user in objects.rows["users"].items():
            if not objects.reaches("users", tenant_id, user_id):
                secrets[user["login"]] = f"login of user {user_id}"
        parties: dict[int, set[int]] = defaultdict(set)
        for version_id, version in objects.rows["agreement_versions"].items():
            parties[version["agreement_id"]] |= objects.owners["agreement_versions"][version_id]
            parties[version["agreement_id"]] |= objects.related["agreement_versions"][version_id]
        for agreement_id, agreement in objects.rows["agreements"].items():
            if tenant_id in parties[agreement_id]:
                continue
            secrets[agreement["title"]] = f"title of agreement {agreement_id}"
            for version_id, version in objects.rows["agreement_versions"].items():
                if version["agreement_id"] == agreement_id:
                    secrets[version["title"]] = f"title of agreement version {version_id}"
                    for comment_id, comment in objects.rows["agreement_comments"].items():
                        if comment["version_id"] == version_id:
                            secrets[comment["body"]] = f"comment {comment_id}"
        for identity_id, identity in objects.rows["external_identities"].items():
            if identity["tenant_id"] != tenant_id:
                secrets[identity["claim_value"]] = f"identity {identity_id} of tenant {identity['tenant_id']}"
        # A string the tenant is shown legitimately elsewhere, or that the portal prints itself, proves nothing.
        visible = {
            str(client[name])
            for client in objects.rows["clients"].values()
            if client["tenant_id"] == tenant_id
            for name in IDENTITY_FIELDS
        }
        # Staff names stand in timelines and visit records beside the work they did, and the same names are
        # printed on every agreement they signed and in every page's header: seeing one proves nothing.
        visible |= {user["full_name"] for user in objects.rows["users"].values() if user.get("full_name")}
        secrets = {s: w for s, w in secrets.items() if len(s) >= 4 and s not in visible and s.lower() not in ui}
        pattern = (
            re.compile("|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))) if secrets else None
        )
        result.append(
            Persona(row["login"], tenant_id, roles, first[row["login"]] == row["tenant"], pattern, secrets, dict(reach))
        )
    return result


# --- the attempts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    persona: int
    endpoint: Endpoint
    values: tuple[tuple[str, object], ...]
    htmx: bool
    foreign: bool  # every id names an object outside the tenant's reach


def candidates(objects: Objects, persona: Persona, endpoint: Endpoint) -> list[tuple[dict[str, object], bool]]:
    """Values for the endpoint's path parameters: other tenants' ids of the table each names (ids of
    every table when it names none), related pairs for two ids (a client and its engagement)."""
    names = [name for name, _type in endpoint.params]
    tables = [table_for(name) if kind == "int" else None for name, kind in endpoint.params]
    if not names:
        return [({}, False)] if endpoint.method not in UNSAFE else []

    def others(table: str | None) -> list[int]:
        if table is None:
            return objects.all_ids()
        return objects.others(table, persona.tenant_id)

    def outside(table: str | None, value: int) -> bool:
        return table is not None and value not in persona.reach.get(table, set())

    combos: list[tuple[int, ...]] = []
    if len(names) == 2 and tables[0] and tables[1]:
        combos += [
            p
            for p in related_pairs(objects, tables[0], tables[1])
            if p[0] in others(tables[0]) or p[1] in others(tables[1])
        ]
    rng = random.Random(f"{SEED}:{persona.login}:{endpoint.id}")
    lists = [others(t) for t in tables]
    for _ in range(40 if len(names) > 1 else 0):
        combos.append(tuple(rng.choice(values) for values in lists if values))
    if len(names) == 1:
        combos = [(v,) for v in lists[0]]
    result = []
    for combo in dict.fromkeys(c for c in combos if len(c) == len(names)):
        foreign = all(outside(t, v) for t, v in zip(tables, combo, strict=True))
        if endpoint.method in UNSAFE and not foreign:
            continue  # a party's own version could be changed by a post: posts carry only foreign ids
        result.append((dict(zip(names, combo, strict=True)), foreign))
    return result


def plan(objects: Objects, people: list[Persona]) -> tuple[list[Attempt], int]:
    """The attempts to make (at most BUDGET) and how many the full product holds."""
    groups: list[list[Attempt]] = []
    for index, persona in enumerate(people):
        for endpoint in discovered_endpoints():
            if endpoint.method == "HEAD" or endpoint.path in ("/logout", "/login"):
                continue
            for htmx in (False, True):
                group = [
                    Attempt(index, endpoint, tuple(values.items()), htmx, foreign)
                    for values, foreign in candidates(objects, persona, endpoint)
                ]
                if group:
                    groups.append(group)
    total = sum(len(g) for g in groups)
    rng = random.Random(SEED)
    for group in groups:
        rng.shuffle(group)
    chosen: list[Attempt] = []
    depth = 0
    while len(chosen) < BUDGET and any(depth < len(g) for g in groups):
        layer = [g[depth] for g in groups if depth < len(g)]
        chosen += layer[: BUDGET - len(chosen)]
        depth += 1
    chosen.sort(key=lambda a: (a.persona, a.endpoint.path, a.endpoint.method))
    return chosen, total


def sign_in(client: TestClient, persona: Persona) -> None:
    client.cookies.clear()
    login(client, persona.login, DEMO_PASSWORD)
    if not persona.first_tenant:
        response = post_form(client, "/tenant", {"tenant_id": str(persona.tenant_id)})
        assert response.status_code == 303, response.text


def test_no_route_shows_a_tenant_what_belongs_to_another(client: TestClient, settings, demo_logins, backend) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, add_private_objects)
    objects = with_db(settings, collect_objects)
    people = personas(objects, demo_logins, datetime.now(UTC))
    attempts, total = plan(objects, people)
    failures: list[str] = []
    statuses: dict[int, int] = defaultdict(int)
    current = None
    for attempt in attempts:
        persona = people[attempt.persona]
        if current != attempt.persona:
            sign_in(client, persona)
            current = attempt.persona
        url = attempt.endpoint.url(dict(attempt.values))
        headers = {"HX-Request": "true"} if attempt.htmx else {}
        if attempt.endpoint.method in UNSAFE:
            response = post_form(client, url, {}, headers=headers)
        else:
            response = client.request(attempt.endpoint.method, url, headers=headers, follow_redirects=False)
        statuses[response.status_code] += 1
        where = (
            f"{attempt.endpoint.method} {url}{' (HTMX)' if attempt.htmx else ''} as {persona.login}@{persona.tenant_id}"
        )
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code}")
        elif attempt.foreign and response.status_code < 400:
            failures.append(f"{where}: {response.status_code} for another tenant's object")
        if response.status_code == 200 and persona.secrets is not None:
            text = html.unescape(response.content.decode("utf-8", "replace"))
            for found in sorted(set(persona.secrets.findall(text))):
                failures.append(f"{where}: shows {persona.what[found]} ({found!r})")
        if "portal_session" not in client.cookies:
            current = None  # signed out (a tenant switch or sign-out route): sign in again
    print(
        f"\nbreak-in [{backend}]: {len(attempts)} requests of {total} possible "
        f"({len(people)} personas, {len(discovered_endpoints())} route handlers); "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert len(attempts) >= min(total, 1000)
    assert not failures, f"{len(failures)} break-ins:\n" + "\n".join(failures[:60])


def test_the_walk_would_see_a_leak(client: TestClient, settings, demo_logins) -> None:  # type: ignore[no-untyped-def]
    """The detector itself: the owner's own pages, read with the outsider's list of secrets, are full of
    them; read with the list of a partner the pilot shares names with, the shared names are not."""
    with_db(settings, add_private_objects)
    objects = with_db(settings, collect_objects)
    people = {(p.login, p.tenant_id): p for p in personas(objects, demo_logins, datetime.now(UTC))}
    outsider = next(p for (name, _t), p in people.items() if name == "outsider.hr")
    assert outsider.secrets is not None
    login(client, "inson.social")
    own_list = html.unescape(client.get("/clients").text)
    found = set(outsider.secrets.findall(own_list))
    assert len(found) >= 15, found  # the INSON centre's clients' names
    login(client, "inspection.head")
    private = next(v for v in objects.rows["agreement_versions"].values() if v["title"].startswith("Maxfiy"))
    page = html.unescape(client.get(f"/agreements/versions/{private['id']}/comments").text)
    assert {outsider.what[s] for s in outsider.secrets.findall(page)} >= {f"title of agreement version {private['id']}"}
    # A case's contents are secrets to those no clause lets read it: its owner's page is full of them.
    login(client, "inson.social")
    case = next(p["case_id"] for p in objects.rows["action_plans"].values() if p["goal"] == "Maxfiy maqsad")
    found = {outsider.what[s] for s in outsider.secrets.findall(html.unescape(client.get(f"/cases/{case}").text))}
    assert {"action_plans", "assessments", "integration_agreements"} <= {w.split()[0] for w in found}, found
    # The NGO is shown names of the INSON clients engaged with it and consenting: those are no secret to it.
    ngo = next(p for (name, _t), p in people.items() if name == "ngo.worker")
    assert ngo.reach["clients"] - {i for i, c in objects.rows["clients"].items() if c["tenant_id"] == ngo.tenant_id}
    login(client, "ngo.worker")
    assert ngo.secrets is not None and not ngo.secrets.findall(html.unescape(client.get("/clients").text))
