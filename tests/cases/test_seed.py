"""The demo clients: about thirty, valid-format PINFLs, some shared, none with the outsider; idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.cases.models import Client, Consent, Engagement
from portal.cases.seed import DEMO, pinfl_for, seed_demo_clients
from portal.tenants.models import Tenant
from tests.conftest import with_db


def test_pinfls_have_the_real_shape() -> None:
    from datetime import date

    pinfl = pinfl_for("female", date(1988, 7, 2), 2)
    assert len(pinfl) == 14 and pinfl.isdigit() and pinfl.startswith("4020788")


def test_the_demo_clients_are_seeded_once_and_never_touch_the_outsider(settings) -> None:  # type: ignore[no-untyped-def]
    async def counts(session):  # type: ignore[no-untyped-def]
        outsider = await session.scalar(select(Tenant.id).where(Tenant.slug == "employer-chorsu-savdo"))
        return (
            await session.scalar(select(func.count(Client.id))),
            await session.scalar(select(func.count(Engagement.id))),
            await session.scalar(select(func.count(Consent.id))),
            await session.scalar(select(func.count(Engagement.id)).where(Engagement.recipient_tenant_id == outsider)),
            sorted(set((await session.scalars(select(Client.pinfl))).all())),
        )

    before = with_db(settings, counts)
    assert before[0] == len(DEMO) >= 30 and before[1] > 10 and before[2] > 5 and before[3] == 0
    assert all(len(p) == 14 and p.isdigit() for p in before[4])
    assert with_db(settings, seed_demo_clients) == 0
    assert with_db(settings, counts) == before
