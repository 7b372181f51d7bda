"""One rule decides what may happen to a version: every transition, every refusal, and robustness."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.db import make_engine, make_sessionmaker
from portal.partnership import services
from portal.partnership.forms import PartyRow
from portal.partnership.models import AgreementComment, AgreementEvent, AgreementVersion, Signature
from portal.partnership.seed import actor_for
from portal.tenants.models import Tenant
from tests.conftest import with_db
from tests.partnership.factories import NOW, lines_of, make_agreement, policy_of, tenant_ids

A = services.Action


async def _can(session, login: str, slug: str, version_id: int, when=NOW) -> set[str]:  # type: ignore[no-untyped-def]
    actor = await actor_for(session, login, slug)
    standing = await services.standing(session, actor, version_id, when)
    return {a.value for a in services.allowed_actions(standing, actor, when, await policy_of(session))}


def test_each_state_offers_each_person_only_what_they_may_do(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        proposed = await make_agreement(session)
        assert await _can(session, "pes.sign", "pes-yunusobod", proposed) == {"comment", "sign", "withdraw"}
        assert await _can(session, "pes.admin", "pes-yunusobod", proposed) == {"comment", "withdraw"}
        assert await _can(session, "pes.case", "pes-yunusobod", proposed) == set()
        half = await make_agreement(session, signed=("pes-yunusobod",))
        assert "sign" not in await _can(session, "pes.sign", "pes-yunusobod", half)  # already signed
        assert "sign" in await _can(session, "ngo.admin", "ngo-sharoit-plus", half)
        active = await make_agreement(session, signed=True)
        # The PES office owns the clause's data; the NGO only receives it.
        assert await _can(session, "pes.admin", "pes-yunusobod", active) == {"amend", "give_notice", "stop_sharing"}
        assert await _can(session, "ngo.admin", "ngo-sharoit-plus", active) == {"give_notice"}
        late = NOW.replace(year=2027)
        assert await _can(session, "pes.admin", "pes-yunusobod", active, late) == set()  # expired by the clock

    with_db(settings, work)


def test_a_forbidden_step_is_refused_with_its_reason_and_changes_nothing(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        policy = await policy_of(session)
        version_id = await make_agreement(session, signed=True)
        version = await session.get(AgreementVersion, version_id)
        before = (version.status, version.valid_until, version.version, await lines_of(session, version_id))
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        case = await actor_for(session, "pes.case", "pes-yunusobod")
        refusals = [
            (services.sign(session, ngo, version_id, version.terms_hash, NOW, policy=policy), "already signed"),
            (services.withdraw(session, ngo, version_id, "Sabab yozildi", NOW, policy=policy), "give notice"),
            (services.stop_sharing(session, ngo, version_id, "Sabab yozildi", NOW, policy=policy), "No clause"),
            (services.amend(session, ngo, version_id, NOW, policy=policy), "drafting organisation"),
            (services.propose(session, ngo, version_id, NOW, policy=policy), "drafting organisation"),
            (services.add_comment(session, ngo, version_id, "Izoh", NOW, policy=policy), "closed"),
            (services.give_notice(session, case, version_id, "Sabab", date(2026, 6, 1), NOW, policy=policy), "roles"),
        ]
        for call, message in refusals:
            with pytest.raises(services.Refused, match=message):
                await call
        await session.refresh(version)
        assert (version.status, version.valid_until, version.version, await lines_of(session, version_id)) == before
        assert await session.scalar(select(func.count()).where(AgreementEvent.kind == "notice_given")) == 0

    with_db(settings, work)


def test_a_party_added_later_does_not_read_earlier_comments_unless_their_authors_allowed_it(settings) -> None:  # type: ignore[no-untyped-def]
    """Issue 11, finding 3: amend the pilot, INSON comments, the outsider is added as a party."""
    from portal.partnership.models import Agreement

    async def work(session):  # type: ignore[no-untyped-def]
        policy = await policy_of(session)
        pilot = await session.scalar(
            select(AgreementVersion.id)
            .join(Agreement, Agreement.id == AgreementVersion.agreement_id)
            .where(Agreement.template_key == "tashkent-icm-pilot")
        )
        pes = await actor_for(session, "pes.admin", "pes-yunusobod")
        draft = await services.amend(session, pes, pilot, NOW, policy=policy)
        inson = await actor_for(session, "inson.admin", "inson-yunusobod")
        await services.add_comment(session, inson, draft.id, "Faqat biz uchun izoh", NOW, policy=policy)
        await services.add_comment(
            session, inson, draft.id, "Hamma o‘qishi mumkin", NOW, policy=policy, later_parties_may_read=True
        )
        outsider_id = await session.scalar(select(Tenant.id).where(Tenant.slug == "employer-chorsu-savdo"))
        form = await services.form_from_version(session, draft)
        form.parties.append(PartyRow(str(outsider_id), role="Ish beruvchi"))
        later = NOW + timedelta(hours=1)
        assert await services.save_draft(session, pes, draft.id, form, later, policy=policy), form.errors
        outsider = await actor_for(session, "outsider.hr", "employer-chorsu-savdo")
        seen = [c.body for c, _n in (await services.detail(session, outsider, draft.id, NOW)).comments]
        assert seen == ["Hamma o‘qishi mumkin"]
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        d = await services.detail(session, ngo, draft.id, NOW)
        assert len(d.comments) == 2  # a party from the start reads both
        assert [(e.kind, e.subject_tenant_id) for e in d.events] == [("party_added", outsider_id)]
        assert await session.scalar(select(func.count()).select_from(AgreementComment)) == 2

    with_db(settings, work)


def test_two_amendments_started_at_once_give_one_draft_and_a_clear_refusal(settings) -> None:  # type: ignore[no-untyped-def]
    version_id = with_db(settings, lambda s: make_agreement(s, signed=True))

    async def race() -> list[object]:
        engine = make_engine(settings.database_url)
        maker = make_sessionmaker(engine)

        async def amend() -> object:
            async with maker() as session:
                try:
                    actor = await actor_for(session, "pes.admin", "pes-yunusobod")
                    policy = await policy_of(session)
                    await session.commit()
                    await services.amend(session, actor, version_id, NOW, policy=policy)
                    await asyncio.sleep(0.05)
                    await session.commit()
                    return "drafted"
                except services.Refused as refused:
                    await session.rollback()
                    return refused.message

        try:
            return await asyncio.gather(amend(), amend())
        finally:
            await engine.dispose()

    outcomes = asyncio.run(race())
    assert sorted(outcomes) == ["An amendment of this agreement is already being prepared.", "drafted"], outcomes

    async def drafts(session):  # type: ignore[no-untyped-def]
        return await session.scalar(select(func.count()).where(AgreementVersion.status == "draft"))

    assert with_db(settings, drafts) == 1


def test_a_draft_started_on_29_february_runs_to_28_february_next_year(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        tenants = {t.slug: t for t in (await session.scalars(select(Tenant))).all()}
        form = services.form_from_template(
            "pes-ngo-referral", tenants["pes-yunusobod"], [tenants["ngo-sharoit-plus"]], "uz", date(2028, 2, 29)
        )
        assert (form.valid_from, form.valid_until, form.notice_days) == ("2028-02-29", "2029-02-28", "30")

    with_db(settings, work)


def test_digits_that_are_not_ascii_and_ids_out_of_range_get_messages_not_errors(settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.forms import ClauseRow, DraftForm, PartyRow

    async def work(session):  # type: ignore[no-untyped-def]
        ids = await tenant_ids(session)
        pes = str(ids["pes-yunusobod"])
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        form = DraftForm(
            title="Ok title",
            common_goals="Common goals here",
            valid_from="2026-01-01",
            valid_until="2026-12-31",
            notice_days="3²",
            parties=[PartyRow(pes, role="r"), PartyRow("²", role="r"), PartyRow(str(2**70), role="r")],
            clauses=[ClauseRow(owner="٣", recipient=str(2**64), categories=["identity"])],
        )
        assert await services.create_draft(session, drafter, form, NOW, policy=await policy_of(session)) is None
        assert {"notice_days", "party-1-tenant_id", "party-2-tenant_id", "clause-0-owner"} <= set(form.errors)
        with pytest.raises(services.NotFound):
            await services.detail(session, drafter, 2**63, NOW)
        assert await session.scalar(select(func.count()).select_from(Signature)) >= 0

    with_db(settings, work)
