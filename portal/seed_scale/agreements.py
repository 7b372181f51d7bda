"""Agreements in force, their clauses' grant rows, and the engagements and consents the clauses read.

Each agreement is what the signing ceremony leaves behind: one active version whose terms are frozen
as the canonical JSON `terms.terms_from_rows` would read back from its party and clause rows, the
hash of that JSON, one portal-sealed signature per party, and the grant rows the compiler makes of
the signed terms (`compiler.specs_of` and `grants.rows_of`, the functions activation runs). So
`compiler.install` of any of these versions verifies them and writes the same rows again.

The recipient (`scale-recipient`) is a party to a few agreements holding one clause from each of up
to 100 owners, together covering its engaged clients: the worst realistic list.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from portal.access.grants import rows_of
from portal.access.models import AccessGrant
from portal.access.sharing import local_date
from portal.access.vocabulary import CATEGORIES, ENGAGEMENT_SOURCES, PURPOSES
from portal.partnership import signing, terms
from portal.partnership.compiler import specs_of
from portal.partnership.lifecycle import signature_record
from portal.partnership.models import AgreementVersion, Signature
from portal.seed_scale.people import STAMP, TenantRow, base, stream

VALID_FROM = date(2026, 1, 1)
VALID_UNTIL = date(2030, 12, 31)
CLOSED_ON = date(2026, 6, 30)  # an engagement that ended: its clauses no longer reach the client
WITHDRAWN_AT = STAMP + timedelta(days=140)  # a consent taken back
OWNERS_PER_RECIPIENT_AGREEMENT = 10
_GRANT_COLUMNS = [c.key for c in AccessGrant.__table__.columns if c.key != "id"]


@dataclass
class Ids:
    """The next free id of each table; explicit ids let one pass write rows that point at each other."""

    next: dict[str, int]

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


@dataclass
class Sharing:
    """The rows of every table this module writes, in id order."""

    agreements: list[dict[str, Any]] = field(default_factory=list)
    versions: list[dict[str, Any]] = field(default_factory=list)
    parties: list[dict[str, Any]] = field(default_factory=list)
    clauses: list[dict[str, Any]] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    engagements: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    recipient_clauses: int = 0
    recipient_owners: int = 0
    recipient_engaged: int = 0
    _engaged: set[tuple[int, int]] = field(default_factory=set)
    _consented: set[tuple[int, int, str]] = field(default_factory=set)


@dataclass(frozen=True)
class ClauseSpec:
    owner: int
    recipient: int
    categories: tuple[str, ...]
    actions: tuple[str, ...]
    purpose: str
    scope: str
    consent_required: bool


class Builder:
    def __init__(
        self,
        seed: int,
        orgs: list[TenantRow],
        tenant_rows: dict[int, dict[str, Any]],
        signers: dict[int, tuple[int, str]],
        clients_of: dict[int, list[int]],
        ids: Ids,
    ) -> None:
        self.seed = seed
        self.orgs = orgs
        self.tenant_rows = tenant_rows
        self.signers = signers
        self.clients_of = clients_of
        self.ids = ids
        self.out = Sharing()

    # --- one agreement, as the ceremony leaves it ----------------------------------------------

    def agreement(self, title: str, parties: list[int], clauses: list[ClauseSpec], n: int) -> None:
        drafter = parties[0]
        agreement_id = self.ids.take("agreements")
        version_id = self.ids.take("agreement_versions")
        self.out.agreements.append(
            {
                **base(agreement_id),
                "tenant_id": drafter,
                "title": title,
                "template_key": None,
                "created_by_user_id": self.signers[drafter][0],
            }
        )
        party_rows = []
        for tenant_id in sorted(set(parties)):
            party_rows.append(
                {
                    **base(self.ids.take("agreement_parties")),
                    "version_id": version_id,
                    "tenant_id": tenant_id,
                    "role": "Registers clients and refers them"
                    if self.clients_of.get(tenant_id)
                    else "Receives referrals",
                    "resources": "Staff time and premises",
                    "joined_at": None,
                }
            )
        clause_rows = [
            {
                **base(self.ids.take("agreement_clauses")),
                "version_id": version_id,
                "number": number,
                "owner_tenant_id": c.owner,
                "recipient_tenant_id": c.recipient,
                "categories": sorted(c.categories),
                "actions": sorted(c.actions),
                "purpose": c.purpose,
                "scope": c.scope,
                "consent_required": c.consent_required,
                "ends_on": None,
            }
            for number, c in enumerate(clauses, start=1)
        ]
        version = {
            **base(version_id),
            "agreement_id": agreement_id,
            "number": 1,
            "status": "active",
            "title": title,
            "common_goals": "Supported employment of persons with disabilities in the region.",
            "joint_tools": "Joint case conferences; referrals through the portal.",
            "valid_from": VALID_FROM,
            "valid_until": VALID_UNTIL,
            "proposed_at": STAMP,
            "ended_at": None,
            "end_reason": None,
            "ended_by_tenant_id": None,
            "supersedes_id": None,
            "notice_days": 30,
            "notice_given_at": None,
            "notice_by_tenant_id": None,
            "notice_reason": None,
            "notice_ends_on": None,
        }
        # The terms exactly as terms.terms_from_rows reads them back from these rows.
        frozen = {
            "notice_days": 30,
            "format": terms.TERMS_FORMAT,
            "agreement_id": agreement_id,
            "drafting_tenant_id": drafter,
            "template": None,
            "version": 1,
            "supersedes": None,
            "title": title,
            "common_goals": version["common_goals"],
            "joint_tools": version["joint_tools"],
            "valid_from": VALID_FROM.isoformat(),
            "valid_until": VALID_UNTIL.isoformat(),
            "parties": [self._party_terms(p) for p in party_rows],
            "clauses": [
                {
                    "number": c["number"],
                    "owner_tenant_id": c["owner_tenant_id"],
                    "recipient_tenant_id": c["recipient_tenant_id"],
                    "categories": c["categories"],
                    "actions": c["actions"],
                    "purpose": c["purpose"],
                    "scope": c["scope"],
                    "consent_required": c["consent_required"],
                    "ends_on": None,
                }
                for c in clause_rows
            ],
        }
        version["terms_json"] = terms.canonical_json(frozen)
        version["terms_hash"] = terms.sha256_hex(version["terms_json"])
        signed_at = STAMP + timedelta(days=1, minutes=n % 600)
        for p in party_rows:
            user_id, name = self.signers[p["tenant_id"]]
            signature = Signature(
                version_id=version_id,
                tenant_id=p["tenant_id"],
                signer_user_id=user_id,
                signer_name=name,
                signed_at=signed_at,
                terms_hash=version["terms_hash"],
                method="portal",
            )
            sealed, key_id = signing.seal(signature_record(signature))
            self.out.signatures.append(
                {
                    **base(self.ids.take("agreement_signatures")),
                    "version_id": version_id,
                    "tenant_id": p["tenant_id"],
                    "signer_user_id": user_id,
                    "signer_name": name,
                    "signed_at": signed_at,
                    "terms_hash": version["terms_hash"],
                    "method": "portal",
                    "portal_signature": sealed,
                    "portal_key_id": key_id,
                }
            )
        version["activated_at"] = signed_at
        self.out.versions.append(version)
        self.out.parties.extend(party_rows)
        self.out.clauses.extend(clause_rows)
        # What activation installs: the compiler's specs of the signed terms, the kernel's rows of them.
        compiled = AgreementVersion(id=version_id, terms_json=version["terms_json"], valid_until=VALID_UNTIL)
        for spec in specs_of(compiled, local_date(signed_at)):
            for grant in rows_of(spec):
                row = {key: getattr(grant, key) for key in _GRANT_COLUMNS}
                self.out.grants.append({"id": self.ids.take("access_grants"), **row})

    def _party_terms(self, party: dict[str, Any]) -> dict[str, Any]:
        t = self.tenant_rows[party["tenant_id"]]
        return {
            "tenant_id": t["id"],
            "slug": t["slug"],
            "kind": t["kind"],
            "names": {"uz": t["name_uz"], "uz_Cyrl": t["name_uz_cyrl"], "ru": t["name_ru"], "en": t["name_en"]},
            "role": party["role"],
            "resources": party["resources"],
        }

    # --- the facts clauses read ----------------------------------------------------------------

    def engage(self, client: int, owner: int, recipient: int, n: int, closed: bool = False) -> bool:
        if (client, recipient) in self.out._engaged:
            return False
        self.out._engaged.add((client, recipient))
        self.out.engagements.append(
            {
                **base(self.ids.take("engagements")),
                "client_id": client,
                "owner_tenant_id": owner,
                "recipient_tenant_id": recipient,
                "kind": ENGAGEMENT_SOURCES[n % len(ENGAGEMENT_SOURCES)],
                "source_id": None,
                "opened_on": VALID_FROM + timedelta(days=30 + n % 90),
                "closed_on": CLOSED_ON if closed else None,
            }
        )
        return True

    def consent(self, client: int, owner: int, recipient: int, purpose: str, recorder: int, n: int) -> None:
        if (client, recipient, purpose) in self.out._consented:
            return
        self.out._consented.add((client, recipient, purpose))
        withdrawn = n % 10 == 9
        self.out.consents.append(
            {
                **base(self.ids.take("consents")),
                "client_id": client,
                "owner_tenant_id": owner,
                "recipient_tenant_id": recipient,
                "purpose": purpose,
                "evidence": f"Written consent form no. {n + 1}, signed",
                "given_at": STAMP + timedelta(days=20, minutes=n % 1440),
                "given_recorded_by": recorder,
                "withdrawn_at": WITHDRAWN_AT if withdrawn else None,
                "withdrawn_recorded_by": recorder if withdrawn else None,
            }
        )

    def facts_for(self, clause: ClauseSpec, clients: list[int], extra: list[int], n: int) -> int:
        """Engage `clients` with the clause's recipient (most of them consenting when the clause asks,
        all of them under an "all" clause), and engage `extra` but close it again."""
        recorder = self.signers[clause.owner][0]
        engaged = 0
        for i, client in enumerate(clients):
            if self.engage(client, clause.owner, clause.recipient, n + i):
                engaged += 1
            if clause.consent_required and (i % 5 != 4 or clause.scope == "all"):
                self.consent(client, clause.owner, clause.recipient, clause.purpose, recorder, n + i)
        for i, client in enumerate(extra):
            self.engage(client, clause.owner, clause.recipient, n + i, closed=True)
        return engaged


def _clause(rng: Any, owner: int, recipient: int, must: tuple[str, ...] = ()) -> ClauseSpec:
    others = [c for c in CATEGORIES if c not in must]
    categories = tuple(must) + tuple(rng.sample(others, rng.randint(1 if must else 2, 5)))
    return ClauseSpec(
        owner=owner,
        recipient=recipient,
        categories=categories,
        actions=("comment", "read") if rng.random() < 0.4 else ("read",),
        purpose=rng.choice(PURPOSES),
        scope="engaged" if rng.random() < 0.6 else "all",
        consent_required=rng.random() < 0.4,
    )


def build(
    seed: int,
    agreements: int,
    recipient_engaged: int,
    orgs: list[TenantRow],
    tenant_rows: dict[int, dict[str, Any]],
    signers: dict[int, tuple[int, str]],
    clients_of: dict[int, list[int]],
    ids: Ids,
    progress: Callable[[str], None] = lambda _m: None,
) -> Sharing:
    builder = Builder(seed, orgs, tenant_rows, signers, clients_of, ids)
    _recipient(builder, recipient_engaged)
    progress(f"  the recipient: {builder.out.recipient_clauses} clauses from {builder.out.recipient_owners} owners")
    rng = stream(seed, "agreements")
    owners = [t.id for t in orgs[:-1] if t.owns_clients]
    partners = [t.id for t in orgs[:-1]]
    for n in range(agreements):
        first = rng.choice(owners)
        parties = [first]
        size = rng.choice((2, 3, 3, 4))
        while len(parties) < size:
            candidate = rng.choice(partners)
            if candidate not in parties:
                parties.append(candidate)
        clauses = []
        for owner in parties:
            if owner not in clients_of:
                continue
            others = [p for p in parties if p != owner]
            for recipient in rng.sample(others, min(len(others), 2 if rng.random() < 0.3 else 1)):
                clauses.append(_clause(rng, owner, recipient))
        builder.agreement(f"Regional partnership no. {n + 1}", parties, clauses, n)
        for clause in clauses:
            pool = clients_of[clause.owner]
            chosen = rng.sample(pool, min(len(pool), rng.randint(2, 8)))
            builder.facts_for(clause, chosen, [], n * 10)
        if n and n % 1000 == 0:
            progress(f"  {n:,} agreements")
    return builder.out


def _recipient(builder: Builder, engaged_total: int) -> None:
    """Up to 100 owners, one clause each to the recipient, in agreements of ten owners; together they
    reach `engaged_total` engaged clients, plus a few whose engagement has ended."""
    rng = stream(builder.seed, "recipient")
    recipient = builder.orgs[-1].id
    owners = [t.id for t in builder.orgs[:-1] if t.owns_clients]
    rng.shuffle(owners)
    owners = owners[: min(100, len(owners))]
    per_owner = max(1, math.ceil(engaged_total / len(owners)))
    out = builder.out
    for g in range(0, len(owners), OWNERS_PER_RECIPIENT_AGREEMENT):
        group = owners[g : g + OWNERS_PER_RECIPIENT_AGREEMENT]
        clauses = []
        for j, owner in enumerate(group, start=g):
            clause = _clause(rng, owner, recipient, must=("identity",))
            # Most clauses reach the engaged clients; some ask for consent too; one in ten reaches
            # every client who consented, engaged or not.
            kind = j % 10
            scope, consent = ("engaged", False) if kind < 7 else ("engaged", True) if kind < 9 else ("all", True)
            clauses.append(
                ClauseSpec(clause.owner, recipient, clause.categories, clause.actions, clause.purpose, scope, consent)
            )
        builder.agreement(
            f"Scale recipient partnership no. {g // OWNERS_PER_RECIPIENT_AGREEMENT + 1}",
            [recipient, *group],
            clauses,
            g,
        )
        for j, clause in enumerate(clauses, start=g):
            pool = builder.clients_of[clause.owner]
            want = min(per_owner, engaged_total - out.recipient_engaged, len(pool))
            chosen = rng.sample(pool, min(len(pool), max(want, 0) + max(1, want // 20)))
            out.recipient_engaged += builder.facts_for(clause, chosen[:want], chosen[want:], 100_000 + j * 1000)
    out.recipient_clauses = len(owners)
    out.recipient_owners = len(owners)
