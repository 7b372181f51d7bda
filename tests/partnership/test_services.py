"""The agreement lifecycle, signing rules, policy compilation and verification, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.access.models import AuditEntry
from portal.db import make_engine, make_sessionmaker
from portal.partnership import services
from portal.partnership.models import AgreementVersion, Clause, Signature
from portal.partnership.seed import SIGNATORIES, actor_for
from tests.conftest import with_db
from tests.partnership.factories import NOW, all_p2, lines_of, make_agreement, policy_of, tenant_ids

PILOT = (
    "pes-yunusobod",
    "inson-yunusobod",
    "ngo-sharoit-plus",
)


def test_a_draft_is_proposed_then_signed_by_every_party_and_comes_into_force(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session)
        version = await session.get(AgreementVersion, version_id)
        assert version.status == "proposed" and len(version.terms_hash) == 64
        assert await lines_of(session, version_id) == []
        pes = await actor_for(session, "pes.sign", "pes-yunusobod")
        await services.sign(session, pes, version_id, version.terms_hash, NOW, policy=await policy_of(session))
        assert version.status == "signing"
        assert await lines_of(session, version_id) == []
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        await services.sign(session, ngo, version_id, version.terms_hash, NOW, policy=await policy_of(session))
        assert version.status == "active" and version.activated_at == NOW
        ids = await tenant_ids(session)
        owner, recipient = f"tenant:{ids['pes-yunusobod']}", f"tenant:{ids['ngo-sharoit-plus']}"
        assert await lines_of(session, version_id) == [
            (recipient, owner, "disability", "read"),
            (recipient, owner, "identity", "read"),
        ]
        assert services.effective_status(version, NOW) == "active"

    with_db(settings, work)


def test_a_signatory_signs_only_for_the_tenant_they_act_for(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session)
        version = await session.get(AgreementVersion, version_id)
        # The INSON centre's signatory is no party: the version does not exist for them.
        inson = await actor_for(session, "inson.sign", "inson-yunusobod")
        with pytest.raises(services.NotFound):
            await services.sign(session, inson, version_id, version.terms_hash, NOW, policy=await policy_of(session))
        pes = await actor_for(session, "pes.sign", "pes-yunusobod")
        await services.sign(session, pes, version_id, version.terms_hash, NOW, policy=await policy_of(session))
        signatures = (await session.scalars(select(Signature).where(Signature.version_id == version_id))).all()
        ids = await tenant_ids(session)
        assert [(s.tenant_id, s.signer_user_id) for s in signatures] == [(ids["pes-yunusobod"], pes.user_id)]
        with pytest.raises(services.Refused, match="already signed"):
            await services.sign(session, pes, version_id, version.terms_hash, NOW, policy=await policy_of(session))

    with_db(settings, work)


def test_a_party_member_without_the_signatory_role_cannot_sign(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session)
        version = await session.get(AgreementVersion, version_id)
        case_manager = await actor_for(session, "pes.case", "pes-yunusobod")
        with pytest.raises(services.Refused, match="signatory"):
            await services.sign(
                session, case_manager, version_id, version.terms_hash, NOW, policy=await policy_of(session)
            )

    with_db(settings, work)


def test_a_stale_hash_is_refused_with_a_clear_message(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session)
        pes = await actor_for(session, "pes.sign", "pes-yunusobod")
        with pytest.raises(services.Refused, match="not the terms of this version"):
            await services.sign(session, pes, version_id, "0" * 64, NOW, policy=await policy_of(session))
        assert (await session.scalars(select(Signature).where(Signature.version_id == version_id))).all() == []

    with_db(settings, work)


def test_concurrent_last_two_signatures_activate_exactly_once(settings) -> None:  # type: ignore[no-untyped-def]
    parties = ("pes-yunusobod", "inson-yunusobod", "ngo-sharoit-plus")
    clauses = [("pes-yunusobod", "ngo-sharoit-plus", ["identity"])]
    version_id = with_db(settings, lambda s: make_agreement(s, parties, clauses, signed=("pes-yunusobod",)))
    terms_hash = with_db(
        settings, lambda s: s.scalar(select(AgreementVersion.terms_hash).where(AgreementVersion.id == version_id))
    )

    async def race() -> list[object]:
        engine = make_engine(settings.database_url)
        maker = make_sessionmaker(engine)

        async def sign_as(slug: str) -> object:
            async with maker() as session:
                try:
                    actor = await actor_for(session, SIGNATORIES[slug], slug)
                    await session.commit()  # end the read so the signing transaction starts fresh
                    await services.sign(session, actor, version_id, terms_hash, NOW, policy=await policy_of(session))
                    await asyncio.sleep(0.05)  # hold the lock a while: the other signer must wait
                    await session.commit()
                    return "signed"
                except Exception as exc:  # noqa: BLE001 - the outcome is what the test compares
                    await session.rollback()
                    return exc

        try:
            return await asyncio.gather(sign_as("inson-yunusobod"), sign_as("ngo-sharoit-plus"))
        finally:
            await engine.dispose()

    outcomes = asyncio.run(race())
    assert outcomes == ["signed", "signed"], outcomes

    async def check(session):  # type: ignore[no-untyped-def]
        version = await session.get(AgreementVersion, version_id)
        assert version.status == "active"
        activations = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "agreement_activated", AuditEntry.object_id == str(version_id)
                )
            )
        ).all()
        assert len(activations) == 1
        assert len((await session.scalars(select(Signature).where(Signature.version_id == version_id))).all()) == 3
        assert len(await lines_of(session, version_id)) == 1

    with_db(settings, check)


def test_an_unsigned_amendment_leaves_the_compiled_policy_as_it_was(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session, signed=True)
        before = await all_p2(session)
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        amendment = await services.amend(session, drafter, version_id, NOW, policy=await policy_of(session))
        await session.execute(
            Clause.__table__.update().where(Clause.version_id == amendment.id).values(categories=["identity"])
        )
        await services.propose(session, drafter, amendment.id, NOW, policy=await policy_of(session))
        await services.sign(
            session,
            await actor_for(session, "pes.sign", "pes-yunusobod"),
            amendment.id,
            amendment.terms_hash,
            NOW,
            policy=await policy_of(session),
        )
        assert amendment.status == "signing"
        assert await all_p2(session) == before
        assert (await session.get(AgreementVersion, version_id)).status == "active"

    with_db(settings, work)


def test_a_signed_amendment_with_narrower_clauses_replaces_the_lines_when_it_comes_into_force(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session, signed=True)
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        amendment = await services.amend(session, drafter, version_id, NOW, policy=await policy_of(session))
        form = await services.form_from_version(session, amendment)
        form.clauses[0].categories = ["identity"]
        assert await services.save_draft(session, drafter, amendment.id, form, NOW, policy=await policy_of(session)), (
            form.errors
        )
        await services.propose(session, drafter, amendment.id, NOW, policy=await policy_of(session))
        later = NOW + timedelta(days=3)
        for slug in ("pes-yunusobod", "ngo-sharoit-plus"):
            await services.sign(
                session,
                await actor_for(session, SIGNATORIES[slug], slug),
                amendment.id,
                amendment.terms_hash,
                later,
                policy=await policy_of(session),
            )
        old = await session.get(AgreementVersion, version_id)
        assert (old.status, old.ended_at, amendment.status) == ("superseded", later, "active")
        assert await lines_of(session, version_id) == []
        assert [line[2] for line in await lines_of(session, amendment.id)] == ["identity"]

    with_db(settings, work)


def test_withdrawal_ends_a_version_being_signed_and_notice_leaves_the_lines_until_its_last_day(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        policy = await policy_of(session)
        ngo = await actor_for(session, "ngo.admin", "ngo-sharoit-plus")
        half = await make_agreement(session, signed=("pes-yunusobod",))
        with pytest.raises(services.Refused, match="reason"):
            await services.withdraw(session, ngo, half, " ", NOW, policy=policy)
        await services.withdraw(session, ngo, half, "Loyiha yakunlandi", NOW, policy=policy)
        version = await session.get(AgreementVersion, half)
        assert (version.status, version.end_reason) == ("terminated", "Loyiha yakunlandi")

        version_id = await make_agreement(session, signed=True)
        lines = await lines_of(session, version_id)
        with pytest.raises(services.Refused, match="withdrawn"):
            await services.withdraw(session, ngo, version_id, "Loyiha yakunlandi", NOW, policy=policy)
        await services.give_notice(session, ngo, version_id, "Loyiha yakunlandi", date(2026, 5, 31), NOW, policy=policy)
        version = await session.get(AgreementVersion, version_id)
        assert (version.status, version.valid_until, version.notice_by_tenant_id) == (
            "active",
            date(2026, 5, 31),
            ngo.tenant_id,
        )
        assert await lines_of(session, version_id) == lines  # still in force until its last day

    with_db(settings, work)


def test_an_active_version_is_expired_by_the_clock_after_its_last_day() -> None:
    version = AgreementVersion(status="active", valid_from=date(2026, 1, 1), valid_until=date(2026, 12, 31))
    # The last day ends at midnight in Tashkent (UTC+5), which is 19:00 UTC.
    assert services.effective_status(version, datetime(2026, 12, 31, 18, 59, tzinfo=UTC)) == "active"
    assert services.effective_status(version, datetime(2026, 12, 31, 19, 0, tzinfo=UTC)) == "expired"
    version.status = "terminated"
    assert services.effective_status(version, datetime(2027, 1, 1, tzinfo=UTC)) == "terminated"


def test_verification_fails_when_stored_terms_or_a_signature_are_tampered_with(settings) -> None:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        version_id = await make_agreement(session, signed=True)
        pes = await actor_for(session, "pes.admin", "pes-yunusobod")
        assert (await services.verify(session, pes, version_id)).intact
        return version_id

    version_id = with_db(settings, work)

    def tamper(sql: str):  # type: ignore[no-untyped-def]
        async def go(session):  # type: ignore[no-untyped-def]
            await session.execute(text(sql), {"id": version_id})

        with_db(settings, go)

    async def verdict(session):  # type: ignore[no-untyped-def]
        session.expire_all()
        return await services.verify(session, await actor_for(session, "pes.admin", "pes-yunusobod"), version_id)

    tamper(
        "UPDATE agreement_signatures SET signer_name = 'Someone else' WHERE id = "
        "(SELECT min(id) FROM agreement_signatures WHERE version_id = :id)"
    )
    report = with_db(settings, verdict)
    assert not report.intact and report.hash_ok and [c.ok for c in report.signatures].count(False) == 1

    tamper("UPDATE agreement_versions SET terms_json = replace(terms_json, 'disability', 'benefits') WHERE id = :id")
    report = with_db(settings, verdict)
    assert not report.hash_ok and not report.intact

    # A forger who also rewrites the hash still differs from the rows and from every signature.
    async def rehash(session):  # type: ignore[no-untyped-def]
        from portal.partnership.terms import sha256_hex

        version = await session.get(AgreementVersion, version_id)
        version.terms_hash = sha256_hex(version.terms_json)

    with_db(settings, rehash)
    report = with_db(settings, verdict)
    assert report.hash_ok and not report.rows_match and not any(c.hash_matches for c in report.signatures)


def test_drafts_are_checked_field_by_field(settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.forms import ClauseRow, DraftForm, PartyRow

    async def work(session):  # type: ignore[no-untyped-def]
        ids = await tenant_ids(session)
        pes, ngo = str(ids["pes-yunusobod"]), str(ids["ngo-sharoit-plus"])
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        form = DraftForm(
            title="Ok title",
            common_goals="Common goals here",
            valid_from="2026-01-01",
            valid_until="2025-01-01",
            parties=[PartyRow(pes, role="r")],
            clauses=[
                ClauseRow(owner=pes, recipient=pes, categories=[]),
                ClauseRow(
                    owner=pes, recipient=str(ids["inson-yunusobod"]), categories=["identity"], ends_on="2030-01-01"
                ),
            ],
        )
        assert await services.create_draft(session, drafter, form, NOW, policy=await policy_of(session)) is None
        assert set(form.errors) == {
            "valid_until",
            "parties",
            "clause-0-recipient",
            "clause-0-categories",
            "clause-1-recipient",
            "clause-1-ends_on",
        }
        form = DraftForm(
            title="Ok title",
            common_goals="Common goals here",
            valid_from="2026-01-01",
            valid_until="2026-06-30",
            parties=[PartyRow(ngo, role="r"), PartyRow(str(ids["inson-yunusobod"]), role="r")],
            clauses=[
                ClauseRow(
                    owner=ngo, recipient=str(ids["inson-yunusobod"]), categories=["identity"], ends_on="2026-07-01"
                )
            ],
        )
        assert await services.create_draft(session, drafter, form, NOW, policy=await policy_of(session)) is None
        assert set(form.errors) == {"parties", "clause-0-ends_on"}

    with_db(settings, work)


def test_the_two_templates_prefill_drafts_by_the_kinds_of_their_parties(settings) -> None:  # type: ignore[no-untyped-def]
    from portal.tenants.models import Tenant

    async def work(session):  # type: ignore[no-untyped-def]
        tenants = {t.slug: t for t in (await session.scalars(select(Tenant))).all()}
        referral = services.form_from_template(
            "pes-ngo-referral", tenants["pes-yunusobod"], [tenants["ngo-sharoit-plus"]], "uz", date(2026, 4, 13)
        )
        assert "hamkorlik shartnomasi" in referral.title.lower() and len(referral.parties) == 2
        assert all(p.role for p in referral.parties)
        pairs = {(c.owner, c.recipient) for c in referral.clauses}
        pes, ngo = str(tenants["pes-yunusobod"].id), str(tenants["ngo-sharoit-plus"].id)
        assert pairs == {(ngo, pes), (pes, ngo)}
        drafter = await actor_for(session, "pes.admin", "pes-yunusobod")
        assert (
            await services.create_draft(
                session, drafter, referral, NOW, "pes-ngo-referral", policy=await policy_of(session)
            )
            is not None
        )

        partners = [
            tenants[s]
            for s in ("inson-yunusobod", "ngo-sharoit-plus", "employer-toqimachi", "labour-inspection-tashkent")
        ]
        pilot = services.form_from_template(
            "tashkent-icm-pilot", tenants["pes-yunusobod"], partners, "en", date(2026, 1, 1)
        )
        assert pilot.title.startswith("Partnership agreement") and len(pilot.parties) == 5
        inspection = str(tenants["labour-inspection-tashkent"].id)
        to_inspection = [c for c in pilot.clauses if c.recipient == inspection]
        assert to_inspection and all(c.purpose == "monitoring" and not c.consent for c in to_inspection)
        assert (
            await services.create_draft(
                session, drafter, pilot, NOW, "tashkent-icm-pilot", policy=await policy_of(session)
            )
            is not None
        ), pilot.errors

    with_db(settings, work)


def test_the_demo_seed_signs_the_pilot_and_leaves_the_memorandum_half_signed(settings) -> None:  # type: ignore[no-untyped-def]
    from portal.partnership.models import Agreement, AgreementParty
    from portal.tenants.models import Tenant

    async def work(session):  # type: ignore[no-untyped-def]
        rows = (
            await session.execute(
                select(Agreement.template_key, AgreementVersion.status, AgreementVersion.id).join(
                    AgreementVersion, AgreementVersion.agreement_id == Agreement.id
                )
            )
        ).all()
        by_key = {key: (status, vid) for key, status, vid in rows}
        assert by_key["tashkent-icm-pilot"][0] == "active"
        assert by_key["pes-ngo-referral"][0] == "signing"
        outsider = await session.scalar(select(Tenant.id).where(Tenant.slug == "employer-chorsu-savdo"))
        assert await session.scalar(select(AgreementParty.id).where(AgreementParty.tenant_id == outsider)) is None
        assert await lines_of(session, by_key["tashkent-icm-pilot"][1])
        # Running the seed again adds nothing.
        from portal.partnership.seed import seed_agreements

        await seed_agreements(session, NOW)
        assert len((await session.execute(select(Agreement.id))).all()) == 2

    with_db(settings, work)
