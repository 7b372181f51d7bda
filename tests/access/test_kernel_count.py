"""The kernel's count is the number of rows its scope lets a list show, for every demo persona and for
each declared table a home page counts: the two are built differently (a union of the ways a row is
visible, against their OR) and must never differ."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from portal.access.kernel import Access
from portal.access.policy import PolicyStore
from portal.cases.case_models import Case
from portal.cases.models import Client
from portal.cases.referral_models import Referral
from portal.tenants.models import Membership, Tenant, User
from tests.conftest import with_db
from tests.factories import actor_for, share_everything_with_ngo


def test_the_count_is_what_the_scope_shows_for_everyone(settings) -> None:  # type: ignore[no-untyped-def]
    with_db(settings, share_everything_with_ngo)

    async def work(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        now = datetime.now(UTC)
        rows = (
            await session.execute(
                select(User.login, Tenant.slug, Tenant.id)
                .join(Membership, Membership.user_id == User.id)
                .join(Tenant, Tenant.id == Membership.tenant_id)
                .where(Membership.is_active.is_(True))
            )
        ).all()
        seen = []
        for login, slug, tenant in rows:
            access = Access(session, policy, await actor_for(session, login, slug), now)
            for model in (Client, Case, Referral):
                for foreign_only in (False, True):
                    listed = await access.scope(select(model.id), model)
                    if foreign_only:
                        listed = listed.where(declared_owner(model) != tenant)
                    expected = await session.scalar(select(func.count()).select_from(listed.subquery()))
                    counted = await access.count(model, foreign_only=foreign_only)
                    assert counted == expected, (login, tenant, model.__name__, foreign_only)
                    seen.append(counted)
        return seen

    counts = with_db(settings, work)
    assert any(counts) and len(set(counts)) > 3  # the demo's personas see different numbers of rows


def declared_owner(model):  # type: ignore[no-untyped-def]
    from portal.access.declare import declared

    return declared(model).owner
