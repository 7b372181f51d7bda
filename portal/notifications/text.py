"""A notification's words: a msgid and parameters, stored as JSON and rendered in the reader's language.

Parameters are plain text and numbers, or values that themselves depend on the reader's language:
a stored code shown by its label (`Label("referral_kind", "employer_job")`), a date (shown
DD.MM.YYYY, a Tashkent day), or an organisation (`TenantName(id)`, its name in the reader's language).
Nothing here is client data: a notification names what happened and links to the record.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from portal import i18n, labels
from portal.tenants.models import Tenant

MAX_TEXT = 300  # the notifications.text column
MAX_PARAM = 200


@dataclass(frozen=True)
class Label:
    """A stored code, shown as its word from portal/labels.py in the reader's language."""

    kind: str
    code: str


@dataclass(frozen=True)
class TenantName:
    """An organisation, shown by its name in the reader's language."""

    tenant_id: int


Param = str | int | date | Label | TenantName


def encode(params: Mapping[str, Param]) -> dict[str, Any]:
    """The parameters as JSON; refuses what could not be shown back (and so would fail at every read)."""
    encoded: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"parameter name {name!r} is not a name")
        if isinstance(value, bool):
            raise TypeError(f"parameter {name}: say it in words, not True or False")
        if isinstance(value, str):
            if len(value) > MAX_PARAM:
                raise ValueError(f"parameter {name} is longer than {MAX_PARAM} characters")
            encoded[name] = value
        elif isinstance(value, int):
            encoded[name] = value
        elif isinstance(value, datetime):
            encoded[name] = {"moment": value.isoformat()}
        elif isinstance(value, date):
            encoded[name] = {"date": value.isoformat()}
        elif isinstance(value, Label):
            encoded[name] = {"label": [value.kind, value.code]}
        elif isinstance(value, TenantName):
            encoded[name] = {"tenant": int(value.tenant_id)}
        else:
            raise TypeError(f"parameter {name}: {type(value).__name__} cannot be stored in a notification")
    return encoded


def check(msgid: str, encoded: Mapping[str, Any]) -> None:
    """The msgid fits its column and its placeholders are all given (caught when written, not when read)."""
    if not msgid or len(msgid) > MAX_TEXT:
        raise ValueError(f"a notification's text has 1 to {MAX_TEXT} characters")
    try:
        msgid % {name: 0 if isinstance(value, int) else "x" for name, value in encoded.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the text {msgid!r} does not fit its parameters: {exc!r}") from exc


def tenant_ids(all_params: list[Mapping[str, Any]]) -> set[int]:
    """The organisations named in the parameters of several notifications, to load their names at once."""
    return {
        int(value["tenant"])
        for params in all_params
        for value in params.values()
        if isinstance(value, dict) and isinstance(value.get("tenant"), int)
    }


TenantNames = dict[int, Tenant]


async def load_tenant_names(session: AsyncSession, ids: set[int]) -> TenantNames:
    if not ids:
        return {}
    return {t.id: t for t in (await session.scalars(select(Tenant).where(Tenant.id.in_(sorted(ids))))).all()}


def _shown(value: Any, names: TenantNames) -> Any:
    if not isinstance(value, dict):
        return value
    if "label" in value:
        kind, code = value["label"]
        return labels.label(kind, code)
    if "date" in value:
        return labels.local_date(value["date"])
    if "moment" in value:
        return labels.local_datetime(datetime.fromisoformat(value["moment"]))
    if "tenant" in value:
        tenant = names.get(value["tenant"])
        return tenant.name(i18n.current_language()) if tenant is not None else "—"
    return "—"


def render(msgid: str, params: Mapping[str, Any], names: TenantNames) -> str:
    """The text in the current language. A translation whose placeholders do not fit is shown untranslated
    with its values rather than failing the whole inbox."""
    values = {name: _shown(value, names) for name, value in params.items()}
    translated = i18n.gettext(msgid)
    for text in (translated, msgid):
        try:
            return text % values if values else text
        except (KeyError, TypeError, ValueError):
            continue
    return msgid


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Render in `language` (an e-mail in its reader's language), then back to the request's."""
    before = i18n.current_language()
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language(before)
