"""Need to know inside the owner: a role reads only the categories ROLE_CATEGORIES gives it of its own
organisation's clients; the pages say what is not available instead of showing it."""

from __future__ import annotations

from sqlalchemy import select

from portal.access.policy import ROLE_CATEGORIES
from portal.cases.models import CaseNote, Client
from tests.conftest import login, post_form, with_db
from tests.factories import english

NOTE = "Lives with parents; prefers work near home."


def seeded_client(settings) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    async def work(session):  # type: ignore[no-untyped-def]
        client = await session.scalar(select(Client).where(Client.full_name.startswith("Oʻrinboyev Shahzod")))
        client.assessment = "Motivated; needs an accessible workplace."
        session.add(
            CaseNote(
                tenant_id=client.tenant_id,
                client_id=client.id,
                author_name="F. Alimova",
                written_at=client.created_at,
                body=NOTE,
            )
        )
        return client.id, client.pinfl

    return with_db(settings, work)


def test_the_grant_table_gives_case_managers_everything_and_viewers_no_notes_or_assessment() -> None:
    assert {"assessment", "case_notes"} <= set(ROLE_CATEGORIES["case_manager"])
    assert {"assessment", "case_notes"} <= set(ROLE_CATEGORIES["coordinator"])
    for role in ("viewer", "employer_hr", "tenant_admin", "signatory", "inspector"):
        assert not {"assessment", "case_notes"} & set(ROLE_CATEGORIES[role]), role


def test_a_case_manager_reads_notes_and_assessment_of_own_clients(client, settings) -> None:  # type: ignore[no-untyped-def]
    client_id, pinfl = seeded_client(settings)
    english(client)
    login(client, "inson.social")
    page = client.get(f"/clients/{client_id}").text
    assert NOTE in page and "needs an accessible workplace" in page and pinfl in page
    assert "Not available to your role" not in page


def test_a_viewer_of_the_owner_does_not_see_notes_assessment_or_pinfl(client, settings) -> None:  # type: ignore[no-untyped-def]
    """The coordinator demo user is a viewer and a coordinator in INSON; acting as a viewer only, no notes."""

    async def viewer_only(session):  # type: ignore[no-untyped-def]
        from portal.access.policy import write_memberships
        from portal.tenants.models import Membership, Tenant, User

        user = await session.scalar(select(User).where(User.login == "coordinator"))
        inson = await session.scalar(select(Tenant.id).where(Tenant.slug == "inson-yunusobod"))
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == user.id, Membership.tenant_id == inson)
        )
        membership.roles = ["viewer"]
        await write_memberships(session, user.id, inson, ["viewer"])

    client_id, pinfl = seeded_client(settings)
    with_db(settings, viewer_only)
    english(client)
    login(client, "coordinator")
    inson = with_db(settings, lambda s: s.scalar(select(Client.tenant_id).where(Client.id == client_id)))
    assert post_form(client, "/tenant", {"tenant_id": str(inson)}).status_code == 303
    page = client.get(f"/clients/{client_id}")
    assert page.status_code == 200, page.status_code
    assert "Oʻrinboyev" in page.text  # identity
    assert NOTE not in page.text and "needs an accessible workplace" not in page.text and pinfl not in page.text
    assert page.text.count("Not available to your role.") >= 3  # PINFL, benefits, assessment, case notes
    listed = client.get("/clients").text
    assert "Oʻrinboyev" in listed
    # A search by the PINFL the role may not read finds nothing: the match would tell it the number.
    assert "Oʻrinboyev" in client.get("/clients", params={"q": "Oʻrinboyev Shahzod"}).text
    assert "Oʻrinboyev" not in client.get("/clients", params={"q": pinfl}).text
