"""What the break-in suite and the fuzz walk: the app's registered routes, read from `app.routes`, and
the database's objects with the tenants each belongs to. Nothing here lists a route or a table by
hand, so routes, parameters and tables added later are walked without editing the suite."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import quote

from litestar import Litestar
from litestar.params import QueryParameter
from sqlalchemy import Integer, select
from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import declared_permission
from portal.access.policy import ROLE_GRANTS
from portal.db import Base

PARAMETER = re.compile(r"\{(\w+):(\w+)\}")
# Keyword names Litestar fills itself; never query parameters.
RESERVED = {"request", "state", "scope", "headers", "cookies", "query", "data", "body", "socket"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class Endpoint:
    """One handler of one route: its path template, method, declared permission and parameters."""

    path: str
    method: str
    permission: Any
    handler_name: str
    params: tuple[tuple[str, str], ...]  # (name, type) in path order
    query: tuple[tuple[str, bool], ...] = ()  # (name, is an int)

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    def url(self, values: dict[str, object]) -> str:
        return PARAMETER.sub(lambda m: quote(str(values[m.group(1)]), safe=""), self.path)


def endpoints(app: Litestar) -> list[Endpoint]:
    """Every handler of every registered route, but Litestar's automatic OPTIONS (refused by the guard)."""
    found = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if handler.handler_name == "options_handler":
                continue
            dependencies = set(handler.resolve_dependencies())
            path_names = {name for name, _type in PARAMETER.findall(route.path)}
            query = []
            for name, definition in handler.parsed_fn_signature.parameters.items():
                if name in RESERVED or name in dependencies or name in path_names:
                    continue
                if definition.kwarg_definition is not None and not isinstance(
                    definition.kwarg_definition, QueryParameter
                ):
                    continue
                types = [t.annotation for t in definition.inner_types] or [definition.annotation]
                query.append((name, int in types))
            for method in sorted(handler.http_methods):
                if method == "OPTIONS":
                    continue
                found.append(
                    Endpoint(
                        path=route.path,
                        method=method,
                        permission=declared_permission(handler),
                        handler_name=handler.handler_name,
                        params=tuple(PARAMETER.findall(route.path)),
                        query=tuple(query),
                    )
                )
    return sorted(found, key=lambda e: (e.path, e.method))


@cache
def discovered_endpoints() -> tuple[Endpoint, ...]:
    """The routes of an app built without a database (building one connects to nothing)."""
    from portal.app import create_app
    from tests.conftest import make_settings

    return tuple(endpoints(create_app(make_settings("sqlite:///:memory:"))))


def grants_of(roles: list[str] | tuple[str, ...]) -> set[tuple[str, str]]:
    return {grant for role in roles for grant in ROLE_GRANTS.get(role, [])}


def may_use(roles: list[str] | tuple[str, ...], endpoint: Endpoint) -> bool:
    declared = endpoint.permission
    if declared in ("public", "authenticated"):
        return True
    return isinstance(declared, tuple) and declared in grants_of(roles)


# --- objects and their tenants ----------------------------------------------------------------


def _plural_forms(stem: str) -> set[str]:
    forms = {stem + "s", stem + "es"}
    if stem.endswith("y"):
        forms.add(stem[:-1] + "ies")
    return forms


def table_for(parameter: str) -> str | None:
    """The table a path parameter names ("client_id" -> clients, "version_id" -> agreement_versions,
    "identity_id" -> external_identities), or None when no table matches."""
    if not parameter.endswith("_id"):
        return None
    forms = _plural_forms(parameter[: -len("_id")])
    tables = sorted(Base.metadata.tables)
    exact = [t for t in tables if t in forms]
    suffixed = [t for t in tables if any(t.endswith("_" + f) for f in forms)]
    matches = exact or suffixed
    return matches[0] if len(matches) == 1 else None


@dataclass
class Objects:
    """Every row with an integer id, per table, with the tenants it belongs to.

    A row belongs to the tenant named by its own tenant_id / owner_tenant_id column, or by the row
    its foreign key points to (a version belongs to its agreement's tenant); rows of other tables
    that point to it and carry a tenant_id add that tenant too (a user belongs to the tenants of its
    memberships, a version to its parties). Tenants belong to themselves.
    """

    rows: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    owners: dict[str, dict[int, set[int]]] = field(default_factory=dict)
    related: dict[str, dict[int, set[int]]] = field(default_factory=dict)

    def ids(self, table: str) -> list[int]:
        return sorted(self.rows.get(table, {}))

    def all_ids(self) -> list[int]:
        return sorted({i for rows in self.rows.values() for i in rows})

    def others(self, table: str, tenant_id: int) -> list[int]:
        """Ids of the table's rows that belong to other tenants (rows with no owner of their own, such as
        users, belong to the tenants that take part in them)."""
        owners, related = self.owners[table], self.related[table]
        return [i for i in self.ids(table) if tenant_id not in (owners.get(i) or related.get(i) or set())]

    def reaches(self, table: str, tenant_id: int, row_id: int) -> bool:
        """The tenant owns the row or takes part in it (a party of a version, a member...)."""
        return tenant_id in self.owners[table].get(row_id, set()) | self.related[table].get(row_id, set())


async def collect_objects(session: AsyncSession) -> Objects:
    objects = Objects()
    tables = {
        name: table
        for name, table in Base.metadata.tables.items()
        if "id" in table.c and isinstance(table.c.id.type, Integer)
    }
    for name, table in tables.items():
        result = await session.execute(select(table))
        objects.rows[name] = {row["id"]: dict(row) for row in result.mappings()}
        objects.owners[name] = defaultdict(set)
        objects.related[name] = defaultdict(set)
    for row_id in objects.rows.get("tenants", {}):
        objects.owners["tenants"][row_id].add(row_id)
    for name, table in tables.items():
        for column in ("tenant_id", "owner_tenant_id"):
            if column in table.c:
                for row_id, row in objects.rows[name].items():
                    objects.owners[name][row_id].add(row[column])
                break
    # One hop along foreign keys, for rows with no tenant column of their own.
    for name, table in tables.items():
        if "tenant_id" in table.c or "owner_tenant_id" in table.c or name == "tenants":
            continue
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target in tables and target != "tenants" and fk.column.name == "id":
                for row_id, row in objects.rows[name].items():
                    objects.owners[name][row_id] |= objects.owners[target].get(row[fk.parent.name], set())
    # Rows that point here and name a tenant: members, parties, signatories, commenters.
    for name, table in tables.items():
        if "tenant_id" not in table.c:
            continue
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target in tables and target != "tenants" and fk.column.name == "id":
                for row in objects.rows[name].values():
                    if row[fk.parent.name] is not None:
                        objects.related[target][row[fk.parent.name]].add(row["tenant_id"])
    return objects


def related_pairs(objects: Objects, first: str, second: str) -> list[tuple[int, int]]:
    """(first id, second id) for rows of `second` whose foreign key points to a row of `first`
    (a client and its engagement)."""
    table = Base.metadata.tables[second]
    pairs = []
    for fk in table.foreign_keys:
        if fk.column.table.name == first and fk.column.name == "id":
            pairs.extend((row[fk.parent.name], row_id) for row_id, row in objects.rows[second].items())
    return sorted(set(pairs))
