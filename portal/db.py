"""Engine, sessions and the base model every table builds on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, TypeDecorator, event, make_url, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on PostgreSQL and on SQLite (which would drop the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the portal stores only timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Model(Base):
    """Id, timestamps and a version column that makes concurrent updates fail instead of overwrite."""

    __abstract__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}


class TenantOwned:
    """Rows that belong to one partner organisation."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True, nullable=False)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # type: ignore[no-untyped-def]
    if "sqlite" in type(dbapi_connection).__module__:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")  # writers queue; see Access._write_lock_first
        cursor.close()


# --- row-level security (PostgreSQL) -----------------------------------------------------------
# The acting tenant is the setting `portal.tenant`, local to each transaction. A session opened with
# info={TENANT: id or None} sets it at the start of every transaction it begins (None: "no tenant",
# which the policies of migration 0008 answer with no rows). SQLite has no such wall.
TENANT = "portal.tenant"
# Where a request's one session is kept in its scope's state (portal/web.py, ActorMiddleware).
REQUEST_SESSION = "db_session"


_SET_TENANT = text("SELECT set_config('portal.tenant', :t, true)")


def _tenant_value(tenant: int | None) -> str:
    return "" if tenant is None else str(int(tenant))


@event.listens_for(Session, "after_begin")
def _set_acting_tenant(session: Session, transaction, connection: Connection) -> None:  # type: ignore[no-untyped-def]
    if TENANT in session.info and connection.dialect.name == "postgresql":
        connection.execute(_SET_TENANT, {"t": _tenant_value(session.info[TENANT])})


async def act_for(session: AsyncSession, tenant_id: int | None) -> None:
    """From now on the session acts for `tenant_id`: in the transaction under way, if any, and in every
    one it begins later. A request's session looks up who is asking for no tenant, then acts for the
    tenant found, on the same connection and in the same transaction."""
    session.info[TENANT] = tenant_id
    if session.in_transaction():
        connection = await session.connection()
        if connection.dialect.name == "postgresql":
            await connection.execute(_SET_TENANT, {"t": _tenant_value(tenant_id)})


def prepare_app_role(connection: Connection, app_url: str) -> None:
    """Run as the owner after migrating: the app's role exists (created with the password of its URL,
    never altered afterwards) and may read and write every table and sequence, and nothing more:
    no ownership, no superuser, no BYPASSRLS, so the policies hold for it."""
    if connection.dialect.name != "postgresql":
        return
    url = make_url(app_url)
    role = url.username or ""
    if not role or role == connection.execute(text("SELECT current_user")).scalar():
        return
    quoted = connection.dialect.identifier_preparer.quote(role)
    exists = connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).scalar()
    if not exists:
        password = url.password
        options = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
        if password:
            literal = connection.execute(text("SELECT quote_literal(:p)"), {"p": password}).scalar()
            options += f" PASSWORD {literal}"
        # Several databases of one server may migrate at once: the first to create the role wins.
        connection.execute(
            text(
                f"DO $$ BEGIN CREATE ROLE {quoted} {options}; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        )
    flags = connection.execute(
        text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).scalar()
    if flags:
        raise RuntimeError(f"the app's role {role} is a superuser or bypasses row-level security")
    for statement in (
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ):
        connection.execute(text(statement))


def make_engine(url: str, pool_size: int = 10, max_overflow: int = 10) -> AsyncEngine:
    """On PostgreSQL each process keeps `pool_size` connections and opens up to `max_overflow` more at
    a peak (Settings.db_pool_size, db_max_overflow); a request holds one (portal/web.py, provide_db).

    PostgreSQL's JIT is off on the portal's connections: it compiles a query whose estimated cost
    passes a threshold, and the access kernel's many-branched lists pass it while reading a page of
    rows; compiling took 100 ms of a 140 ms search at national scale, and 194 of 199 s of one list."""
    if url.startswith("sqlite"):
        return create_async_engine(url, connect_args={"timeout": 30})
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        connect_args={"server_settings": {"jit": "off"}},
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def tenant_session(factory: async_sessionmaker[AsyncSession], tenant_id: int | None) -> AsyncSession:
    """A session whose every transaction acts for `tenant_id` (None: for no tenant) under row-level security."""
    return factory(info={TENANT: tenant_id})


async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: committed when the caller finishes cleanly, rolled back otherwise."""
    async with factory() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
