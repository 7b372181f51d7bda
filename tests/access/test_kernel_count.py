"""The kernel's count and pages. The count is the number of rows its scope lets a list show, for every
demo persona and each declared table a home page counts: the two are built differently (a union of
the ways a row is visible, against their OR) and must never differ; a bounded count is exact up to its
bound. A page shows and audits its own rows only, and says whether more follow."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
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
        seen = []
        for login, slug, tenant in await personas(session):
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
                    # Bounded: exact up to the bound, and "more" (the bound plus one) beyond it.
                    for bound in (0, 1, 2, expected):
                        capped = await access.count(model, foreign_only=foreign_only, at_most=bound)
                        assert capped == min(expected, bound + 1), (login, tenant, model.__name__, bound)
        return seen

    counts = with_db(settings, work)
    assert any(counts) and len(set(counts)) > 3  # the demo's personas see different numbers of rows


async def personas(session):  # type: ignore[no-untyped-def]
    """(login, tenant slug, tenant id) of every active membership of the demo."""
    return (
        await session.execute(
            select(User.login, Tenant.slug, Tenant.id)
            .join(Membership, Membership.user_id == User.id)
            .join(Tenant, Tenant.id == Membership.tenant_id)
            .where(Membership.is_active.is_(True))
        )
    ).all()


def declared_owner(model):  # type: ignore[no-untyped-def]
    from portal.access.declare import declared

    return declared(model).owner


def test_a_page_shows_and_audits_only_its_rows_and_tells_whether_more_follow(settings) -> None:  # type: ignore[no-untyped-def]
    """The NGO reads the INSON centre's shared clients two at a time: each page holds two, says more follow
    until the last, and the audit log records exactly the clients shown, never the row read to look ahead."""
    from portal.access.models import AuditEntry

    with_db(settings, share_everything_with_ngo)

    async def work(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        actor = await actor_for(session, "ngo.worker")
        access = Access(session, policy, actor, datetime.now(UTC))
        everyone = [v.id for v in await access.visible(Client, select(Client).order_by(Client.id.desc()))]
        before = set(await session.scalars(select(AuditEntry.id)))
        shown, cursor, pages = [], None, []
        while True:
            stmt = select(Client).order_by(Client.id.desc())
            if cursor is not None:
                stmt = stmt.where(Client.id < cursor)
            views, more = await access.page(Client, stmt, 2)
            pages.append((len(views), more))
            shown += [v.id for v in views]
            if not more:
                break
            cursor = views[-1].id
        audited = (
            await session.execute(
                select(AuditEntry.object_id).where(AuditEntry.id.not_in(before), AuditEntry.kind == "list")
            )
        ).scalars()
        foreign = await session.scalars(
            select(Client.id).where(Client.id.in_(shown), Client.tenant_id != actor.tenant_id)
        )
        return everyone, shown, pages, sorted(int(i) for i in audited), sorted(foreign)

    everyone, shown, pages, audited, foreign = with_db(settings, work)
    assert len(everyone) > 4 and shown == everyone
    assert all(n == 2 and more for n, more in pages[:-1]) and not pages[-1][1]
    assert foreign and audited == foreign


def test_rows_decided_by_id_are_what_the_list_filter_shows_for_everyone(settings) -> None:  # type: ignore[no-untyped-def]
    """`among` decides each row from its grants, engagements and consents; `visible` filters in SQL
    first. For every persona, table and category, the two show the same views."""
    from portal.access.declare import declared

    with_db(settings, share_everything_with_ngo)

    async def work(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        now = datetime.now(UTC)
        shown = 0
        for login, slug, _tenant in await personas(session):
            access = Access(session, policy, await actor_for(session, login, slug), now)
            for model in (Client, Case, Referral):
                ids = [*(await session.scalars(select(model.id))).all(), 0, 2**31]
                for category in (None, *sorted(declared(model).categories)):
                    listed = await access.visible(model, select(model).order_by(model.id), category=category)
                    assert await access.among(model, ids, category) == listed, (login, model.__name__, category)
                    shown += len(listed)
        return shown

    assert with_db(settings, work) > 0


@pytest.mark.parametrize("walk", [1, 3, 1000])
def test_a_page_walked_row_by_row_is_the_page_the_list_filter_gives_for_everyone(settings, monkeypatch, walk) -> None:  # type: ignore[no-untyped-def]
    """A tenant engaged with many clients has its pages walked in their order, each row asked whether it
    is visible, at most WALK rows before the whole list is filtered instead. For every persona, table and
    category, walking each list to its end, page by page, gives the same pages, rows and "more" as
    filtering it, and a read of a few rows asked row by row the same rows (the demo has no such tenant:
    here every tenant walks). A searched list that is not walked is drawn from the union of the ways a
    row is visible: the same pages again as the filter's OR of them."""
    from portal.access import kernel
    from portal.access.declare import declared

    with_db(settings, share_everything_with_ngo)

    async def pages(access, model, category, listed_by):  # type: ignore[no-untyped-def]
        found, before = [], None
        for _ in range(100):
            stmt = select(model).order_by(model.id.desc())
            if before is not None:
                stmt = stmt.where(model.id < before)
            views, more = await access.page(model, stmt, 2, category=category, listed_by=listed_by)
            found.append(([(v.id, v.categories) for v in views], more))
            if not more:
                return found
            before = views[-1].id
        raise AssertionError("the pages never end")

    async def lists(session):  # type: ignore[no-untyped-def]
        """Every persona's every list, page by page, in one session (one request's worth of caching)."""
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        now = datetime.now(UTC)
        found = {}
        for login, slug, _tenant in await personas(session):
            access = Access(session, policy, await actor_for(session, login, slug), now)
            for model in (Client, Case, Referral):
                for category in (None, *sorted(declared(model).categories)):
                    for listed_by in (None, category) if category else (None,):
                        key = (login, slug, model.__name__, category, listed_by)
                        found[key] = await pages(access, model, category, listed_by)
                    # A read of a handful of rows (`few`) is asked row by row where a page is walked.
                    rows = select(model).order_by(model.id.desc())
                    views = await access.visible(model, rows, category=category, few=True)
                    found[(login, slug, model.__name__, category, "few")] = [(v.id, v.categories) for v in views]
        return found

    walks: list[bool] = []  # whether each walk found a whole page (else the list was filtered)
    original = kernel.Access._walk

    async def counted(self, *args):  # type: ignore[no-untyped-def]
        rows = await original(self, *args)
        walks.append(rows is not None)
        return rows

    searches: list[str] = []  # the table of each searched list drawn from the union of ways
    searched = kernel.Access._searched

    def counted_search(self, plan, category):  # type: ignore[no-untyped-def]
        searches.append(plan.shared.model.__name__)
        return searched(self, plan, category)

    monkeypatch.setattr(kernel.Access, "_walk", counted)
    monkeypatch.setattr(kernel.Access, "_searched", counted_search)
    monkeypatch.setattr(kernel, "WALK", walk)
    monkeypatch.setattr(kernel, "WIDELY", 10**9)
    filtered = with_db(settings, lists)
    assert not walks and "Client" in searches
    # The same lists with a search filtered by the OR of the ways, as any other list.
    monkeypatch.setattr(kernel.Access, "_searched", lambda self, plan, category: kernel._any(plan.bound(category)))
    assert with_db(settings, lists) == filtered
    monkeypatch.setattr(kernel.Access, "_searched", counted_search)
    searches.clear()
    monkeypatch.setattr(kernel, "WIDELY", 0)
    walked = with_db(settings, lists)
    assert walked == filtered
    # A walked tenant's search falls back to the filter; referrals, never walked, are still searched.
    assert "Client" not in searches and "Referral" in searches
    assert sum(len(rows) for key, pages in filtered.items() if key[-1] != "few" for rows, _more in pages) > 0
    assert any(filtered[key] for key in filtered if key[-1] == "few")
    assert walks
    if walk == 1:  # one row never holds a page of two and the look-ahead: every walk falls back
        assert not any(walks)
    if walk == 1000:  # a long walk serves pages itself
        assert any(walks)


def test_a_worker_counts_a_tenants_engagements_once_while_the_hint_holds(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Whether to walk is asked of the database once per tenant and worker while the hint holds, across
    requests (sessions), and asked again once it has run out."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from portal.access import kernel

    monkeypatch.setattr(kernel, "_widely", {})
    asked: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        flat = " ".join(statement.split())
        if "FROM engagements WHERE engagements.recipient_tenant_id" in flat and "count(" in flat:
            asked.append(flat)

    async def one_request(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        login, slug, _tenant = (await personas(session))[0]
        return await Access(session, policy, await actor_for(session, login, slug), datetime.now(UTC))._engaged_widely()

    event.listen(Engine, "before_cursor_execute", note)
    try:
        answers = [with_db(settings, one_request) for _ in range(3)]
        later = kernel._hint_clock() + kernel.HINT_SECONDS + 1
        monkeypatch.setattr(kernel, "_hint_clock", lambda: later)  # the answer has run out: asked again, once
        answers += [with_db(settings, one_request) for _ in range(2)]
    finally:
        event.remove(Engine, "before_cursor_execute", note)
    assert answers == [False] * 5  # the demo's tenants hold a handful of engagements
    assert len(asked) == 2


def test_the_own_tenants_rows_alone_are_what_the_whole_scope_shows_of_them_for_everyone(settings) -> None:  # type: ignore[no-untyped-def]
    """With `own_tenant_only` the kernel reads the own tenant's way alone. For every persona, table and
    category, a list, a scoped select and a page show exactly the rows of the actor's tenant that the
    whole scope shows, with the same categories."""
    from portal.access.declare import declared
    from portal.cases.case_models import PlanMeasure
    from portal.cases.referral_models import CheckIn, Placement

    with_db(settings, share_everything_with_ngo)

    async def work(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        now = datetime.now(UTC)
        shown, hidden = 0, 0
        for login, slug, tenant in await personas(session):
            access = Access(session, policy, await actor_for(session, login, slug), now)
            for model in (Client, Case, Referral, Placement, PlanMeasure, CheckIn):
                owner = declared_owner(model)
                for category in (None, *sorted(declared(model).categories)):
                    where = (login, slug, model.__name__, category)
                    rows = select(model).order_by(model.id.desc())
                    everything = await access.visible(model, rows, category=category)
                    whole = [(v.id, v.categories) for v in everything if v.owner_tenant_id == tenant]
                    ours = await access.visible(model, rows, category=category, own_tenant_only=True)
                    assert [(v.id, v.categories) for v in ours] == whole, where
                    scoped = await access.scope(select(model.id), model, category=category)
                    alone = await access.scope(select(model.id), model, category=category, own_tenant_only=True)
                    of_ours = set(await session.scalars(scoped.where(owner == tenant)))
                    assert set(await session.scalars(alone)) == of_ours, where
                    page, more = await access.page(model, rows, 2, category=category, own_tenant_only=True)
                    assert ([(v.id, v.categories) for v in page], more) == (whole[:2], len(whole) > 2), where
                    shown += len(whole)
                    hidden += len(everything) - len(whole)
        return shown, hidden

    shown, hidden = with_db(settings, work)
    assert shown > 0 and hidden > 0  # the personas see their own rows and others' too


def test_a_row_opened_in_a_request_is_taken_again_by_key_without_a_statement(settings) -> None:  # type: ignore[no-untyped-def]
    """A case's page opens the case through the kernel, then takes it again by key: to follow its client
    and, for its owner, to write it (`own`). The kernel holds the row it opened for the request, so
    neither sends a statement, and `own` still refuses a case of another tenant that the actor may read."""
    import gc

    from litestar.exceptions import NotFoundException
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    with_db(settings, share_everything_with_ngo)
    sent: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    async def work(session):  # type: ignore[no-untyped-def]
        policy = PolicyStore(session.bind, settings.policy_model)
        await policy.refresh(session)
        now = datetime.now(UTC)
        ngo = await actor_for(session, "ngo.worker")
        theirs = select(Case.id, Case.tenant_id).where(Case.tenant_id != ngo.tenant_id).order_by(Case.id)
        probe = Access(session, policy, ngo, now)  # a case shared with the NGO, then let go of
        foreign, owner_tenant = [r for r in (await session.execute(theirs)).all() if await probe.find(Case, r[0])][0]
        del probe
        for login, slug, tenant in await personas(session):
            owner = Access(session, policy, await actor_for(session, login, slug), now)
            if tenant == owner_tenant and owner.allows("case", "update"):
                break
        await owner.get(Case, foreign)
        gc.collect()  # the session's map of rows holds them weakly
        event.listen(Engine, "before_cursor_execute", note)
        try:
            row = await owner.own(Case, foreign, "read")
            again = await session.get(Case, foreign)
        finally:
            event.remove(Engine, "before_cursor_execute", note)
        recipient = Access(session, policy, ngo, now)
        seen = await recipient.find(Case, foreign)
        try:
            await recipient.own(Case, foreign, "read")
            refused = False
        except NotFoundException:
            refused = True
        return row.id, again is row, seen is not None, refused

    row_id, same, seen, refused = with_db(settings, work)
    assert sent == [] and same and row_id > 0
    assert seen and refused  # the NGO reads the shared case but may not write it
