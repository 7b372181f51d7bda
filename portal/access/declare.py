"""Shared tables are declared, not coded: one declaration per table an area shares across tenants.

A declaration names the Casbin object, the model, the column of the owner tenant, the column that
says which client the row is about (what a clause's engagement and consent conditions read), and the
data category of every field that may leave the kernel. A field without a category is never copied
into a view, so a new column can only be missing from a page, never leak onto it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from portal.access.vocabulary import CATEGORIES


@dataclass(frozen=True)
class Shared:
    obj: str  # the Casbin object whose actions the roles grant, e.g. "client"
    model: type
    owner: Any  # the owner tenant's column, e.g. Client.tenant_id
    client: Any  # the client the row is about, e.g. Client.id or CaseNote.client_id
    fields: Mapping[str, str]  # attribute -> data category
    # Read only by its own tenant: no clause opens it to a partner (e.g. an outreach list).
    own_only: bool = False
    categories: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields.values()) - set(CATEGORIES))
        if unknown:
            raise ValueError(f"{self.obj}: unknown data categories {unknown}")
        object.__setattr__(self, "categories", frozenset(self.fields.values()))


_DECLARED: dict[type, Shared] = {}


def share(
    obj: str, model: type, *, owner: Any, client: Any, fields: Mapping[str, str], own_only: bool = False
) -> Shared:
    """Declare `model` as shared under `obj`; called once, beside the model."""
    declared = Shared(obj=obj, model=model, owner=owner, client=client, fields=dict(fields), own_only=own_only)
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
