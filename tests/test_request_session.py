"""A request takes one database session and one connection, whatever asks for it: the actor's look-up,
the route's guard, the header's count and the handler share them. The handler's writes are committed when
it returns and undone when it fails, and on PostgreSQL the session acts for the actor's tenant."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from litestar import get
from litestar.params import FromPath
from litestar.testing import TestClient
from sqlalchemy import event, select, text, update

from portal.access import authenticated
from portal.settings import Settings
from portal.tenants.models import User
from portal.web import DB, CurrentActor
from tests.conftest import login, with_db
from tests.factories import actor_for


class Tally:
    """Sessions opened, connections checked out of the pool (each with its pre-ping on PostgreSQL),
    transactions begun and SQL statements run by one app, counted through SQLAlchemy's events."""

    def __init__(self, app: Any) -> None:
        self.counts: Counter[str] = Counter()
        engine = app.state.engine.sync_engine
        event.listen(engine.pool, "checkout", lambda *a: self.counts.update(["connections"]))
        event.listen(engine, "before_cursor_execute", lambda *a: self.counts.update(["statements"]))
        event.listen(engine, "begin", lambda *a: self.counts.update(["transactions"]))
        opened = app.state.sessionmaker

        def counting_sessionmaker(*args: Any, **kwargs: Any) -> Any:
            self.counts.update(["sessions"])
            return opened(*args, **kwargs)

        app.state.sessionmaker = counting_sessionmaker

    def during(self, work: Any) -> Counter[str]:
        self.counts.clear()
        work()
        return Counter(self.counts)


def test_a_signed_in_page_takes_one_session_and_one_connection(app: Any, client: TestClient) -> None:
    tally = Tally(app)
    login(client, "pes.case")
    client.get("/")  # the first page after signing in loads the role policy
    counts = tally.during(lambda: client.get("/").raise_for_status())
    print(f"\nhome page: {dict(counts)}")
    assert (counts["sessions"], counts["connections"], counts["transactions"]) == (1, 1, 1)


def test_a_page_before_sign_in_takes_at_most_one_connection(app: Any, client: TestClient) -> None:
    tally = Tally(app)
    counts = tally.during(lambda: client.get("/login").raise_for_status())
    assert counts["connections"] <= 1


# Routes of this test only, on the real app: what a handler does with the request's session.


@get("/test/acting-tenant", opt=authenticated())
async def acting_tenant(db: DB) -> str:
    if db.bind.dialect.name != "postgresql":
        return ""
    return str(await db.scalar(text("SELECT current_setting('portal.tenant', true)")))


@get("/test/rename/{name:str}", opt=authenticated())
async def rename(db: DB, actor: CurrentActor, name: FromPath[str]) -> str:
    await db.execute(update(User).where(User.id == actor.user_id).values(full_name=name))
    if name == "fails":
        raise RuntimeError("the handler fails after its write")
    return "renamed"


def full_name(settings: Settings, login_name: str) -> str:
    async def read(session):  # type: ignore[no-untyped-def]
        return await session.scalar(select(User.full_name).where(User.login == login_name))

    return str(with_db(settings, read))


@pytest.fixture
def test_routes(app: Any) -> None:
    app.register(acting_tenant)
    app.register(rename)


def test_the_handler_acts_for_the_actors_tenant(
    test_routes: None, client: TestClient, settings: Settings, backend: str
) -> None:
    login(client, "pes.case")
    answer = client.get("/test/acting-tenant")
    assert answer.status_code == 200
    if backend == "postgresql":
        actor = with_db(settings, lambda session: actor_for(session, "pes.case"))
        assert answer.text == str(actor.tenant_id)


def test_a_handlers_write_is_kept_when_it_returns(test_routes: None, client: TestClient, settings: Settings) -> None:
    login(client, "pes.case")
    assert client.get("/test/rename/Renamed").status_code == 200
    assert full_name(settings, "pes.case") == "Renamed"


def test_a_handlers_write_is_undone_when_it_fails(test_routes: None, client: TestClient, settings: Settings) -> None:
    before = full_name(settings, "pes.case")
    login(client, "pes.case")
    assert client.get("/test/rename/fails").status_code == 500
    assert full_name(settings, "pes.case") == before
