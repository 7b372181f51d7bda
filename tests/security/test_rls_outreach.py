"""Row-level security of the outreach tables and the signed consent forms (PostgreSQL): an outreach
list is its own tenant's alone, whatever an agreement shares; a signed form is its owner's and its
consent's recipient's."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from portal.cases.models import ConsentEvidence, OutreachPerson, OutreachVisit
from portal.db import utcnow
from tests import factories
from tests.conftest import with_db
from tests.security.test_rls import as_tenant, unscoped

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
def world(settings, no_demo_agreements) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """INSON shares every category with the NGO; one of its clients consented, with a signed form."""

    async def build(session):  # type: ignore[no-untyped-def]
        slugs = ("inson-yunusobod", "ngo-sharoit-plus", "monocentre-tashkent")
        inson, ngo, mono = [await factories.tenant_id(session, slug) for slug in slugs]
        await factories.share_everything_with_ngo(session)
        client = await factories.make_client(session, inson, full_name="Consenting Person")
        await factories.engage(session, client, ngo)
        consent = await factories.consent(session, client, ngo)
        data = b"%PDF-1.4 signed"
        session.add(
            ConsentEvidence(
                tenant_id=inson, consent_id=consent.id, filename="form.pdf", content_type="application/pdf",
                size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data, uploaded_at=utcnow(),
            )
        )  # fmt: skip
        await session.flush()
        return {"inson": inson, "ngo": ngo, "mono": mono}

    return with_db(settings, build)


def test_an_outreach_list_is_seen_by_its_own_tenant_only(settings, world) -> None:  # type: ignore[no-untyped-def]
    for model in (OutreachPerson, OutreachVisit):
        everything = with_db(settings, unscoped(model))
        assert everything, model  # the demo seed lists persons and visits for INSON
        assert as_tenant(settings, world["inson"], unscoped(model)) == everything
        for other in (world["ngo"], world["mono"], None):
            assert as_tenant(settings, other, unscoped(model)) == set(), (model, other)


def test_no_tenant_writes_into_another_tenants_outreach_list(settings, world) -> None:  # type: ignore[no-untyped-def]
    async def plant(session):  # type: ignore[no-untyped-def]
        session.add(
            OutreachPerson(
                tenant_id=world["inson"], full_name="Planted", pinfl="49999999999999", birth_date=date(1990, 1, 1),
                mahalla="Minor", disability_group="II", work_recommendation="Any",
            )
        )  # fmt: skip
        await session.flush()

    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant(settings, world["ngo"], plant)
    as_tenant(settings, world["inson"], plant)


def test_a_signed_form_is_seen_by_its_owner_and_its_consents_recipient_only(settings, world) -> None:  # type: ignore[no-untyped-def]
    forms = with_db(settings, unscoped(ConsentEvidence))
    assert forms
    assert as_tenant(settings, world["inson"], unscoped(ConsentEvidence)) == forms
    assert as_tenant(settings, world["ngo"], unscoped(ConsentEvidence)) == forms
    assert as_tenant(settings, world["mono"], unscoped(ConsentEvidence)) == set()
    assert as_tenant(settings, None, unscoped(ConsentEvidence)) == set()

    async def steal(session):  # type: ignore[no-untyped-def]
        form = await session.scalar(select(ConsentEvidence))
        form.data = b"%PDF-1.4 forged"
        await session.flush()

    with pytest.raises(DBAPIError, match="row-level security"):
        as_tenant(settings, world["ngo"], steal)
