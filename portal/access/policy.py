"""The Casbin enforcer: built once per process, reloaded whenever the stored policy revision moves.

Every worker compares the revision row with the one it loaded before it decides; a policy change
bumps the row in the same transaction as the change. Unlike a pub/sub watcher this cannot miss an
update: a worker that was restarting, or lost a notification, still reads the new revision on the
next request. The price is one primary-key read per protected request.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import casbin
from casbin_async_sqlalchemy_adapter import Adapter
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from portal.access.models import CasbinRule, PolicyRevision
from portal.partnership.models import ACTIONS, CATEGORIES, PURPOSES, SCOPES

# What each role may do inside its own tenant: (role, object, action). The rows live in casbin_rule
# (written by the seed and by `portal sync-roles`); this table is their source.
_READ_CLIENTS = [("client", "list"), ("client", "read")]
_SHARING = [("sharing", "view")]
ROLE_GRANTS: dict[str, list[tuple[str, str]]] = {
    "tenant_admin": [
        ("dashboard", "view"),
        ("user", "list"),
        ("user", "manage"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "draft"),
        ("agreement", "comment"),
        ("agreement", "terminate"),
        *_READ_CLIENTS,
        ("audit", "view"),
        *_SHARING,
    ],
    "case_manager": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        *_READ_CLIENTS,
        ("client", "create"),
        ("client", "update"),
        ("consent", "manage"),
        ("engagement", "manage"),
        *_SHARING,
    ],
    "signatory": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "comment"),
        ("agreement", "sign"),
        ("agreement", "terminate"),
        *_SHARING,
    ],
    # Coordination-body members read the clients their organisation may see, for case conferences.
    "coordinator": [
        ("dashboard", "view"),
        ("tenant", "view"),
        ("agreement", "list"),
        ("agreement", "draft"),
        ("agreement", "comment"),
        *_READ_CLIENTS,
        *_SHARING,
    ],
    "employer_hr": [("dashboard", "view"), ("tenant", "view"), ("agreement", "list"), *_READ_CLIENTS],
    # Read-only staff, e.g. the labour inspection's monitoring officers.
    "viewer": [("dashboard", "view"), ("tenant", "view"), ("agreement", "list"), *_READ_CLIENTS],
}


def role_subject(role: str) -> str:
    return f"role:{role}"


def user_subject(user_id: int) -> str:
    return f"user:{user_id}"


def domain(tenant_id: int) -> str:
    return f"tenant:{tenant_id}"


@dataclass(frozen=True)
class GrantLine:
    """One compiled cross-tenant grant line ("p2"), parsed."""

    recipient_tenant_id: int
    owner_tenant_id: int
    category: str
    action: str
    scope: str
    consent_required: bool
    purpose: str
    version_id: int
    clause_id: int


def parse_grant(line: list[str]) -> GrantLine | None:
    """None for anything that is not a well-formed line: a malformed line grants nothing."""
    try:
        recipient, owner, category, action, cond, ref = line
        scope, consent, purpose = cond.split("|")
        kind, version_id, kind2, clause_id = ref.split(":")
        recipient_id, owner_id = _tenant_id(recipient), _tenant_id(owner)
        if (
            kind != "version"
            or kind2 != "clause"
            or not version_id.isdigit()
            or not clause_id.isdigit()
            or consent not in {"consent", "no_consent"}
            or category not in CATEGORIES
            or action not in ACTIONS
            or scope not in SCOPES
            or purpose not in PURPOSES
            or recipient_id == owner_id
        ):
            return None
        return GrantLine(
            recipient_tenant_id=recipient_id,
            owner_tenant_id=owner_id,
            category=category,
            action=action,
            scope=scope,
            consent_required=consent == "consent",
            purpose=purpose,
            version_id=int(version_id),
            clause_id=int(clause_id),
        )
    except ValueError:
        return None


def _tenant_id(value: str) -> int:
    prefix, _sep, number = value.partition(":")
    if prefix != "tenant" or not number.isdigit() or not number.isascii() or number.startswith("0"):
        raise ValueError(value)
    return int(number)


class GrantIndex:
    """Cross-tenant grants keyed by recipient tenant, built once per policy load.

    Casbin's matcher scans every line per decision (about 20 ms at 10,000 lines, see bench/run.py);
    a dictionary lookup does not grow with the number of agreements.
    """

    def __init__(self, lines: list[list[str]]) -> None:
        self._by_recipient: dict[int, list[GrantLine]] = {}
        for line in lines:
            grant = parse_grant(line)
            if grant is not None:
                self._by_recipient.setdefault(grant.recipient_tenant_id, []).append(grant)

    def for_recipient(self, recipient_tenant_id: int) -> list[GrantLine]:
        return list(self._by_recipient.get(recipient_tenant_id, ()))

    def matching(self, recipient_tenant_id: int, owner_tenant_id: int, category: str, action: str) -> list[GrantLine]:
        return [
            g
            for g in self._by_recipient.get(recipient_tenant_id, ())
            if g.owner_tenant_id == owner_tenant_id and g.category == category and g.action == action
        ]


class PolicyStore:
    """Holds this process's enforcer and keeps it in step with the database."""

    def __init__(self, engine: AsyncEngine, model_path: Path) -> None:
        self._adapter = Adapter(engine, db_class=CasbinRule)
        self._model_path = str(model_path)
        self.enforcer: casbin.AsyncEnforcer | None = None
        self.grants = GrantIndex([])
        self.loaded_revision: int | None = None
        self._lock = asyncio.Lock()

    async def refresh(self, session: AsyncSession) -> None:
        current = await current_revision(session)
        if current == self.loaded_revision and self.enforcer is not None:
            return
        async with self._lock:
            if current == self.loaded_revision and self.enforcer is not None:
                return
            enforcer = casbin.AsyncEnforcer(self._model_path, self._adapter)
            await enforcer.load_policy()
            grants = GrantIndex(enforcer.get_named_policy("p2"))
            self.enforcer, self.grants, self.loaded_revision = enforcer, grants, current

    def allows(self, user_id: int, tenant_id: int, obj: str, act: str) -> bool:
        """Fail closed: no enforcer, no policy, no grant."""
        if self.enforcer is None:
            return False
        return bool(self.enforcer.enforce(user_subject(user_id), domain(tenant_id), obj, act))


async def current_revision(session: AsyncSession) -> int:
    value = await session.scalar(select(PolicyRevision.revision).where(PolicyRevision.id == 1))
    return int(value or 0)


async def bump_revision(session: AsyncSession) -> None:
    result = await session.execute(
        update(PolicyRevision).where(PolicyRevision.id == 1).values(revision=PolicyRevision.revision + 1)
    )
    if result.rowcount == 0:
        session.add(PolicyRevision(id=1, revision=1))
        await session.flush()


async def write_memberships(session: AsyncSession, user_id: int, tenant_id: int, roles: list[str]) -> None:
    """Replace the user's role lines in one tenant; call inside the transaction that changes the roles."""
    await session.execute(
        delete(CasbinRule).where(
            CasbinRule.ptype == "g",
            CasbinRule.v0 == user_subject(user_id),
            CasbinRule.v2 == domain(tenant_id),
        )
    )
    for role in sorted(set(roles)):
        session.add(CasbinRule(ptype="g", v0=user_subject(user_id), v1=role_subject(role), v2=domain(tenant_id)))
    await bump_revision(session)


async def write_role_grants(session: AsyncSession) -> None:
    """Make the stored role grants equal ROLE_GRANTS."""
    await session.execute(delete(CasbinRule).where(CasbinRule.ptype == "p", CasbinRule.v0.like("role:%")))
    for role, grants in ROLE_GRANTS.items():
        for obj, act in grants:
            session.add(CasbinRule(ptype="p", v0=role_subject(role), v1=obj, v2=act))
    await bump_revision(session)
