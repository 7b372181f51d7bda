"""The SQL of the one enforcement point: the ways a row of a declared table may be visible to a tenant.

A row is visible to its own tenant, to a tenant one of its party columns names, or to a tenant a
live grant row ties to its owner (sharing.py tells the rules). Each way is one indexable branch; a
list's predicate is their OR, a count their union. The expressions are built once per shape and
bound to the actor's tenant, the day and the instant as parameters when a statement runs (the
kernel passes them to its own reads, and sets them on a select a caller runs itself). Each clause's
way also comes as a probe of the row at hand (`probed_branches`), for a page walked in its order.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    exists,
    literal,
    or_,
    select,
    tuple_,
    union,
)

from portal.access.declare import Shared, declared
from portal.access.models import AccessGrant, Consent, Engagement
from portal.access.vocabulary import PURPOSES

# Agreement windows are calendar dates in Uzbekistan (UTC+5, no daylight saving).
TASHKENT = timezone(timedelta(hours=5), "Asia/Tashkent")


def local_date(now: datetime) -> date:
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware now")
    return now.astimezone(TASHKENT).date()


def grants_in_force(
    tenant_id: Any, action: str, today: Any, categories: frozenset[str], purpose: str | None = None
) -> list[ColumnElement[bool]]:
    """The recipient's well-formed grant rows for one action and these categories (and purpose), live today."""
    narrowed = [] if purpose is None else [AccessGrant.purpose == purpose]
    return [
        *narrowed,
        AccessGrant.recipient_tenant_id == tenant_id,
        AccessGrant.owner_tenant_id != tenant_id,
        AccessGrant.category.in_(sorted(categories)),
        AccessGrant.action == action,
        AccessGrant.purpose.in_(PURPOSES),  # a malformed row grants nothing
        AccessGrant.valid_from <= today,
        AccessGrant.valid_until >= today,
    ]


def open_engagements(tenant_id: Any, today: Any) -> list[ColumnElement[bool]]:
    return [
        Engagement.recipient_tenant_id == tenant_id,
        Engagement.opened_on <= today,
        or_(Engagement.closed_on.is_(None), Engagement.closed_on > today),
    ]


def live_consents(tenant_id: Any, now: Any) -> list[ColumnElement[bool]]:
    return [
        Consent.recipient_tenant_id == tenant_id,
        Consent.given_at <= now,
        or_(Consent.withdrawn_at.is_(None), Consent.withdrawn_at > now),
    ]


# A plan's SQL is built once per shape (table, action, categories, purpose, which ways) and bound to the
# request's tenant, day and instant by these parameters when it runs: building the expression anew
# cost about a millisecond of a page's CPU per list. Untyped, each takes the type of its column.
TENANT = bindparam("access_tenant")
TODAY = bindparam("access_today")
NOW = bindparam("access_now")


def shared_with(  # type: ignore[no-untyped-def]
    shared: Shared, tenant_id: int, action: str, now: datetime, categories: frozenset[str], purpose: str | None = None
):
    """SQL true for a row of `shared` another tenant shares with `tenant_id` now (see `shared_branches`)."""
    return or_(*shared_branches(shared, action, categories, purpose, tenant_id, local_date(now), now))


def parameters(tenant_id: int, now: datetime) -> dict[str, object]:
    return {TENANT.key: tenant_id, TODAY.key: local_date(now), NOW.key: now}


def shared_branches(
    shared: Shared,
    action: str,
    categories: frozenset[str],
    purpose: str | None = None,
    tenant: Any = TENANT,
    today: Any = TODAY,
    now: Any = NOW,
) -> list[ColumnElement[bool]]:
    """SQL true for a row of `shared` another tenant shares with `tenant` at `now` (on the day `today`,
    in Tashkent), in one of the categories; by default all three are parameters (see TENANT).

    Three indexable branches, each driven by the recipient's own grant rows: the owners that share all
    their clients without consent; the clients engaged with the recipient under an "engaged" grant
    (with their consent when it asks for one); the clients that consented under an "all" grant that
    asks for consent. A row's client is matched with its owner, so a fact recorded by one owner never
    opens another owner's rows.
    """
    live = grants_in_force(tenant, action, today, categories, purpose)
    free_owners = select(AccessGrant.owner_tenant_id).where(
        *live, AccessGrant.scope == "all", AccessGrant.consent_required.is_(False)
    )
    # Joined from the distinct owners, as the consent arms below: with `IN (owners)` the plan PostgreSQL
    # keeps after five runs looked up the grants once per engagement (20,000 times, 40 ms, for the
    # recipient of a hundred owners), where each owner leads to its engagements by index.
    engaged_owners = (
        select(AccessGrant.owner_tenant_id)
        .where(*live, AccessGrant.scope == "engaged", AccessGrant.consent_required.is_(False))
        .distinct()
        .subquery()
    )
    # The consent arms are driven by the recipient's few (owner, purpose) grant pairs, each leading to its
    # consents by index: matching every consent of the recipient against the grants instead read
    # thousands of consents one by one (150 ms for a recipient of 100 owners).
    engaged_with_consent = (
        select(AccessGrant.owner_tenant_id, AccessGrant.purpose)
        .where(*live, AccessGrant.scope == "engaged", AccessGrant.consent_required)
        .distinct()
        .subquery()
    )
    all_with_consent = (
        select(AccessGrant.owner_tenant_id, AccessGrant.purpose)
        .where(*live, AccessGrant.scope == "all", AccessGrant.consent_required)
        .distinct()
        .subquery()
    )

    def consents_under(pairs):  # type: ignore[no-untyped-def]
        return and_(Consent.owner_tenant_id == pairs.c.owner_tenant_id, Consent.purpose == pairs.c.purpose)

    engaged = union(
        select(Engagement.client_id, Engagement.owner_tenant_id)
        .select_from(engaged_owners)
        .join(Engagement, Engagement.owner_tenant_id == engaged_owners.c.owner_tenant_id)
        .where(*open_engagements(tenant, today)),
        select(Engagement.client_id, Engagement.owner_tenant_id)
        .select_from(engaged_with_consent)
        .join(Consent, consents_under(engaged_with_consent))
        .join(
            Engagement,
            and_(Engagement.client_id == Consent.client_id, Engagement.owner_tenant_id == Consent.owner_tenant_id),
        )
        .where(*open_engagements(tenant, today), *live_consents(tenant, now)),
        select(Consent.client_id, Consent.owner_tenant_id)
        .select_from(all_with_consent)
        .join(Consent, consents_under(all_with_consent))
        .where(*live_consents(tenant, now)),
    )
    pair = tuple_(shared.client, shared.owner)
    return [shared.owner.in_(free_owners), pair.in_(engaged)]


def probed_branches(
    shared: Shared,
    action: str,
    categories: frozenset[str],
    purpose: str | None = None,
    tenant: Any = TENANT,
    today: Any = TODAY,
    now: Any = NOW,
) -> list[ColumnElement[bool]]:
    """The same ways as `shared_branches`, each asked of the row at hand: does its own client have an open
    engagement (and the consent) with the recipient, under one of the recipient's grants. A list walked
    in its own order stops after the rows it shows, where the set of every engaged client is built in
    full first (19,000 for the recipient of a hundred owners). Each probe ends in OFFSET, which keeps
    PostgreSQL from turning it back into that set (it hashes a plain EXISTS); a property test holds the
    two forms equal."""
    live = grants_in_force(tenant, action, today, categories, purpose)

    def owners(scope: str):  # type: ignore[no-untyped-def]
        """The owners whose grants of this scope ask for no consent."""
        return select(AccessGrant.owner_tenant_id).where(
            *live, AccessGrant.scope == scope, AccessGrant.consent_required.is_(False)
        )

    def pairs(scope: str):  # type: ignore[no-untyped-def]
        """The (owner, purpose) of the grants of this scope that ask for consent."""
        return select(AccessGrant.owner_tenant_id, AccessGrant.purpose).where(
            *live, AccessGrant.scope == scope, AccessGrant.consent_required
        )

    def probe(*where: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists(select(literal(1)).where(*where).offset(0).correlate(shared.owner.table))

    engagement_of_row = [
        *open_engagements(tenant, today),
        Engagement.client_id == shared.client,
        Engagement.owner_tenant_id == shared.owner,
    ]
    consent_of_row = [
        *live_consents(tenant, now),
        Consent.client_id == shared.client,
        Consent.owner_tenant_id == shared.owner,
    ]
    consent_under = tuple_(Consent.owner_tenant_id, Consent.purpose).in_
    return [
        shared.owner.in_(owners("all")),
        probe(*engagement_of_row, Engagement.owner_tenant_id.in_(owners("engaged"))),
        probe(*engagement_of_row, *consent_of_row, consent_under(pairs("engaged"))),
        probe(*consent_of_row, consent_under(pairs("all"))),
    ]


@functools.lru_cache(maxsize=1024)
def bound_ways(*key: Any) -> tuple[ColumnElement[bool], ...]:
    """`ways_of` with the tenant, day and instant left as parameters, built once per shape."""
    return ways_of(*key, tenant=TENANT, today=TODAY, now=NOW)


def ways_of(
    model: type,
    action: str,
    cats: frozenset[str],
    purpose: str | None,
    own: bool,
    party: bool,
    clauses: bool,
    probed: bool = False,
    *,
    tenant: Any,
    today: Any,
    now: Any,
) -> tuple[ColumnElement[bool], ...]:
    """The ways a row of `model` may be visible: the own tenant's, a party's, shared by clause (with
    `probed`, each clause's way asked of the row at hand, see `probed_branches`)."""
    shared = declared(model)
    branches: list[ColumnElement[bool]] = []
    if own:
        branches.append(shared.owner == tenant)
    if party:
        branches.append(shared.party_predicate(tenant))
    if clauses:
        branches += (probed_branches if probed else shared_branches)(shared, action, cats, purpose, tenant, today, now)
    return tuple(branches)


# The values the reads of one page's decision take besides the tenant, the day and the instant.
OWNERS = "match_owners"
CLIENTS = "match_clients"


@functools.lru_cache(maxsize=256)
def matching_reads(
    dialect: str, action: str, categories: frozenset[str], purpose: str | None
) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The three reads a decision matches a page's rows with (sharing.Plan._matches): the recipient's
    live grant rows from the rows' owners, and the open engagements and live consents of the rows'
    clients. Built once per shape, with the tenant, day and instant (see TENANT) and the owners and
    clients (OWNERS, CLIENTS) as parameters: building them anew cost a millisecond of CPU per page.

    On PostgreSQL the owners and clients are each one array parameter, `= ANY($n)`. With one parameter
    per value, the plan PostgreSQL keeps for the prepared statement after five runs read every
    engagement of the recipient (21,000, 18 ms for the recipient of a hundred owners) instead of the
    page's fifty clients' by the recipient's index; with the array it keeps the index, and a page of
    any length is one statement."""

    def one_of(column: Any, key: str) -> ColumnElement[bool]:
        if dialect == "postgresql":
            return column == any_(bindparam(key, type_=ARRAY(Integer)))
        return column.in_(bindparam(key, expanding=True))

    grant_rows = (
        select(*AccessGrant.__table__.columns)
        .where(
            *grants_in_force(TENANT, action, TODAY, categories, purpose),
            one_of(AccessGrant.owner_tenant_id, OWNERS),
            AccessGrant.scope.in_(("all", "engaged")),
        )
        .order_by(AccessGrant.source, AccessGrant.category)
    )
    engaged = select(Engagement.client_id, Engagement.owner_tenant_id).where(
        one_of(Engagement.client_id, CLIENTS), *open_engagements(TENANT, TODAY)
    )
    consented = select(Consent.client_id, Consent.owner_tenant_id, Consent.purpose).where(
        one_of(Consent.client_id, CLIENTS), *live_consents(TENANT, NOW)
    )
    return grant_rows, engaged, consented


@functools.lru_cache(maxsize=64)
def rows_by_ids(model: type) -> Select[Any]:
    """The rows of `model` with the ids given as the parameter "ids", in id order: built once per table
    (a page asks for the clients of its cases, the cases of its referrals... several times)."""
    pk = model.id  # type: ignore[attr-defined]
    return select(model).where(pk.in_(bindparam("ids", expanding=True))).order_by(pk)
