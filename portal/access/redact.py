"""Redaction: a view model holding only the fields of the categories a decision allows.

The redactor copies a row's fields into a view by the table's declaration, and only the fields of
categories the decision allows: a field that has no category is never copied, so a new column can
only be missing from a page, never leak onto it. Templates receive views, never rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from portal.access.declare import Shared
from portal.access.sharing import Decision, Reason


class SharedField(NamedTuple):
    """One field of a view: its value, its category, and the clauses that show it (none for the owner).
    A named tuple: a list page makes some two thousand, and a frozen dataclass took twice as long."""

    name: str
    category: str
    value: Any
    reasons: tuple[Reason, ...] = ()


@dataclass
class View:
    """What one viewer may see of one row; fields outside the visible categories are absent."""

    obj: str
    id: int
    owner_tenant_id: int
    own: bool
    version: int | None  # for the owner's edit forms; None on a shared view
    categories: frozenset[str]
    fields: dict[str, SharedField] = field(default_factory=dict)
    reasons: dict[str, tuple[Reason, ...]] = field(default_factory=dict)
    parties: tuple[str, ...] = ()  # the party columns that name the viewer's tenant (a referral's recipient...)

    def has(self, name: str) -> bool:
        return name in self.fields

    def value(self, name: str, default: Any = "") -> Any:
        shared = self.fields.get(name)
        return default if shared is None else shared.value

    @property
    def display_name(self) -> str:
        return str(self.value("full_name", "")) or f"#{self.id}"

    @property
    def all_reasons(self) -> tuple[Reason, ...]:
        """Each clause behind this view once, in source order."""
        seen: dict[str, Reason] = {}
        for reasons in self.reasons.values():
            for reason in reasons:
                seen.setdefault(reason.source, reason)
        return tuple(seen[s] for s in sorted(seen))


def redact(shared: Shared, decision: Decision) -> View:
    """The view of an allowed decision: only the permitted categories' fields."""
    row = decision.row
    if not decision.allowed or row is None:
        raise ValueError("nothing to show for a denied decision")
    view = View(
        obj=shared.obj,
        id=row.id,  # type: ignore[attr-defined]
        owner_tenant_id=getattr(row, shared.owner.key),
        own=decision.own,
        version=getattr(row, "version", None) if decision.own else None,
        categories=decision.categories,
        reasons=dict(decision.reasons),
        parties=decision.parties,
    )
    reasons = decision.reasons
    fields = view.fields
    for name, category in _visible_fields(shared, decision.categories):
        fields[name] = SharedField(name, category, getattr(row, name), reasons.get(category, ()))
    return view


_VISIBLE: dict[tuple[type, frozenset[str]], tuple[tuple[str, str], ...]] = {}


def _visible_fields(shared: Shared, categories: frozenset[str]) -> tuple[tuple[str, str], ...]:
    """The declared fields (name, category) of these categories, in the declaration's order; kept per
    table (a model has one declaration) and set of categories, a few dozen in all."""
    key = (shared.model, categories)
    found = _VISIBLE.get(key)
    if found is None:
        found = _VISIBLE[key] = tuple((n, c) for n, c in shared.fields.items() if c in categories)
    return found
