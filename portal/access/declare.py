"""Shared tables are declared, not coded: one declaration per table an area shares across tenants.

A declaration names the Casbin object, the model, the column of the owner tenant, the column that
says which client the row is about (what a clause's engagement and consent conditions read), and the
data category of every field that may leave the kernel. A field without a category is never copied
into a view, so a new column can only be missing from a page, never leak onto it.

A record that is itself an exchange between tenants (a referral: sender, recipient, the reviewing
inspection) also names its party columns. Its own fields then carry a party category (vocabulary
PARTY_CATEGORIES): each tenant a party column names sees those fields, and only those; what it may
see of the client the record is about stays the clauses' answer, read from the client's own table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_

from portal.access.vocabulary import CATEGORIES, PARTY_CATEGORIES


@dataclass(frozen=True)
class Shared:
    obj: str  # the Casbin object whose actions the roles grant, e.g. "client"
    model: type
    owner: Any  # the owner tenant's column, e.g. Client.tenant_id
    client: Any  # the client the row is about, e.g. Client.id or CaseNote.client_id
    fields: Mapping[str, str]  # attribute -> data category
    # Columns naming the other tenants that take part in the record (besides its owner); each sees the
    # fields of the party categories.
    parties: tuple[Any, ...] = ()
    # The parties see the record only once this column is set (a referral's sent_at: a draft is the
    # sender's alone); None: from the start.
    party_since: Any = None
    # Read only by its own tenant: no clause opens it to a partner (e.g. an outreach list).
    own_only: bool = False
    categories: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields.values()) - set(CATEGORIES) - set(PARTY_CATEGORIES))
        if unknown:
            raise ValueError(f"{self.obj}: unknown data categories {unknown}")
        if set(self.fields.values()) & set(PARTY_CATEGORIES) and not self.parties:
            raise ValueError(f"{self.obj}: a party category needs party columns")
        object.__setattr__(self, "categories", frozenset(self.fields.values()))

    def parties_of(self, row: object, tenant_id: int) -> tuple[str, ...]:
        """The party columns of `row` that name `tenant_id` (their attribute names)."""
        if self.party_since is not None and getattr(row, self.party_since.key) is None:
            return ()
        return tuple(column.key for column in self.parties if getattr(row, column.key) == tenant_id)

    def party_predicate(self, tenant_id: int) -> Any:
        """SQL: the row names `tenant_id` in a party column (and the parties see it already)."""
        named = or_(*(column == tenant_id for column in self.parties))
        return named if self.party_since is None else and_(self.party_since.is_not(None), named)


_DECLARED: dict[type, Shared] = {}


def share(
    obj: str,
    model: type,
    *,
    owner: Any,
    client: Any,
    fields: Mapping[str, str],
    parties: tuple[Any, ...] = (),
    party_since: Any = None,
    own_only: bool = False,
) -> Shared:
    """Declare `model` as shared under `obj`; called once, beside the model."""
    declared = Shared(
        obj=obj,
        model=model,
        owner=owner,
        client=client,
        fields=dict(fields),
        parties=tuple(parties),
        party_since=party_since,
        own_only=own_only,
    )
    known = _DECLARED.get(model)
    if known is not None and known != declared:
        raise ValueError(f"{model.__name__} is declared twice")
    _DECLARED[model] = declared
    return declared


def declared(model: type) -> Shared:
    try:
        return _DECLARED[model]
    except KeyError:
        raise LookupError(f"{model.__name__} is not declared as shared") from None


def all_declared() -> list[Shared]:
    return list(_DECLARED.values())
