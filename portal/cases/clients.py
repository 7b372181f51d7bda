"""Clients: registering, editing, reading one and listing, always through the request's Access."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from portal.access.kernel import Access
from portal.access.redact import View
from portal.access.sharing import local_date
from portal.cases import translit
from portal.cases.models import DISABILITY_GROUPS, Client
from portal.i18n import gettext as _
from portal.tenants.models import District

GENDERS = ("female", "male")
PINFL_RE = re.compile(r"[0-9]{14}")
PHONE_RE = re.compile(r"\+?[0-9 ()-]{7,20}")
PAGE_SIZE = 50


class EditConflict(Exception):
    """Someone else saved this client since the form was opened."""


@dataclass
class ClientForm:
    full_name: str = ""
    full_name_cyrl: str = ""
    pinfl: str = ""
    birth_date: str = ""
    gender: str = ""
    phone: str = ""
    address: str = ""
    district_code: str = ""
    disability_group: str = ""
    disability_until: str = ""
    work_recommendation: str = ""
    benefits: str = ""
    education: str = ""
    skills: str = ""
    employment_history: str = ""
    assessment: str = ""
    action_plan: str = ""
    version: int | None = None
    errors: dict[str, str] = field(default_factory=dict)

    TEXT_FIELDS = (
        "work_recommendation",
        "benefits",
        "education",
        "skills",
        "employment_history",
        "assessment",
        "action_plan",
    )
    # The columns' own limits: a longer value is refused beside the field, never cut or a 500.
    MAX_LENGTHS = {"full_name": 200, "full_name_cyrl": 200, "address": 300, **dict.fromkeys(TEXT_FIELDS, 5000)}

    @classmethod
    def fields(cls) -> list[str]:
        return [name for name in cls.__dataclass_fields__ if name not in ("version", "errors")]

    @classmethod
    def parse(cls, form: Any) -> ClientForm:
        version = str(form.get("version", ""))
        values = {name: str(form.get(name, "")) for name in cls.fields()}
        return cls(**values, version=int(version) if version.isascii() and version.isdigit() else None)

    @classmethod
    def of(cls, client: Client) -> ClientForm:
        form = cls(version=client.version)
        for name in cls.fields():
            value = getattr(client, name)
            setattr(form, name, "" if value is None else value.isoformat() if isinstance(value, date) else str(value))
        return form


def _parse_date(form: ClientForm, name: str, value: str, required: bool) -> date | None:
    if not value:
        if required:
            form.errors[name] = _("Enter a date, e.g. 1990-05-21.")
        return None
    try:
        if not value.isascii():
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        form.errors[name] = _("Enter a date as year-month-day, e.g. 1990-05-21.")
        return None


def _clean_text(form: ClientForm) -> None:
    for name in ClientForm.fields():
        value = str(getattr(form, name)).strip()
        if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in value):
            form.errors[name] = _("Remove the control characters from this field.")
            value = "".join(ch for ch in value if ord(ch) >= 32 or ch in "\r\n\t")
        setattr(form, name, value)
    for name, limit in ClientForm.MAX_LENGTHS.items():
        if len(getattr(form, name)) > limit:
            form.errors.setdefault(name, _("At most %(n)s characters.") % {"n": limit})


async def _validate(access: Access, form: ClientForm, client_id: int | None) -> dict[str, Any] | None:
    """Clean the form in place; returns the values to store, or None with form.errors filled."""
    _clean_text(form)
    form.full_name = translit.normalise_uz(form.full_name)
    if translit.has_cyrillic(form.full_name) and not form.full_name_cyrl:
        form.full_name, form.full_name_cyrl = translit.to_latin(form.full_name), form.full_name
    if not 3 <= len(form.full_name) <= 200:
        form.errors.setdefault("full_name", _("Enter the person's full name (3 to 200 characters)."))
    if not (form.pinfl.isascii() and PINFL_RE.fullmatch(form.pinfl)):
        form.errors["pinfl"] = _("The PINFL is exactly 14 digits, as in the passport.")
    elif await access.session.scalar(
        select(Client.id).where(
            Client.tenant_id == access.actor.tenant_id, Client.pinfl == form.pinfl, Client.id != (client_id or 0)
        )
    ):
        form.errors["pinfl"] = _("Your organisation already has a client with this PINFL.")
    birth = _parse_date(form, "birth_date", form.birth_date, required=True)
    if birth is not None and not date(1900, 1, 1) <= birth <= local_date(access.now):
        form.errors["birth_date"] = _("The birth date must be in the past.")
    if form.gender and form.gender not in GENDERS:
        form.errors["gender"] = _("Choose one of the options.")
    if form.phone and not (form.phone.isascii() and PHONE_RE.fullmatch(form.phone)):
        form.errors["phone"] = _("Enter a phone number like +998 90 123 45 67, or leave it empty.")
    if form.district_code and (
        len(form.district_code) > 60 or await access.session.get(District, form.district_code) is None
    ):
        form.errors["district_code"] = _("Choose a district from the list.")
    if form.disability_group and form.disability_group not in DISABILITY_GROUPS:
        form.errors["disability_group"] = _("Choose group I, II or III, or leave it empty.")
    until = _parse_date(form, "disability_until", form.disability_until, required=False)
    if form.errors:
        return None
    values: dict[str, Any] = {name: getattr(form, name) for name in ClientForm.fields()}
    values.update(birth_date=birth, disability_until=until, district_code=form.district_code or None)
    if not values["full_name_cyrl"]:
        values["full_name_cyrl"] = translit.to_cyrillic(form.full_name)
    key = f"{translit.search_key(values['full_name'])} {translit.search_key(values['full_name_cyrl'])}"
    values["name_key"] = key[:400]
    return values


async def create_client(access: Access, form: ClientForm) -> int | None:
    """Register a client of the actor's tenant; None with form.errors on bad input."""
    values = await _validate(access, form, None)
    if values is None:
        return None
    client = Client(tenant_id=access.actor.tenant_id, **values)
    access.session.add(client)
    await access.session.flush()
    await access.record("client.create", "client", client.id)
    return client.id


async def update_client(access: Access, client_id: int, form: ClientForm) -> bool:
    """Save the owner's changes; False with form.errors on bad input; EditConflict if saved meanwhile."""
    client = await access.own(Client, client_id)
    values = await _validate(access, form, client_id)
    if values is None:
        return False
    if form.version != client.version:
        raise EditConflict
    changed = sorted(name for name, value in values.items() if getattr(client, name) != value)
    for name, value in values.items():
        setattr(client, name, value)
    try:
        await access.session.flush()
    except StaleDataError as exc:
        raise EditConflict from exc
    await access.record("client.update", "client", client_id, fields=changed)
    return True


async def read_client(access: Access, client_id: int) -> View:
    """The client as this actor may see it (redacted, explained, audited); 404 otherwise."""
    return await access.get(Client, client_id)


@dataclass(frozen=True)
class ClientPage:
    clients: list[View]
    older: int | None  # the keyset cursor of the next page, if there is one


async def list_clients(access: Access, query: str = "", before: int | None = None) -> ClientPage:
    """One page of the clients the actor may read, newest first, optionally matching a name (either
    script) or a PINFL. Sorted by registration, never by a field the viewer may not see."""
    stmt = select(Client).order_by(Client.id.desc())
    if before is not None:
        stmt = stmt.where(Client.id < before)
    query = query.strip()
    listed_by = None
    # Narrowing by what was typed must not tell a partner that an unshared client matches it: a match
    # is listed only where the actor may see the field it matched.
    if query.isascii() and query.isdigit():
        # Every PINFL is 14 digits, so those starting with the typed ones lie between them padded with
        # noughts and with nines. Under row-level security PostgreSQL may compare before it tests a row's
        # policy, where a LIKE must wait for the policy (600 ms through 200,000 clients, 40 this way).
        stmt, listed_by = stmt.where(Client.pinfl.between(query.ljust(14, "0"), query.ljust(14, "9"))), "pinfl"
    elif query:
        key = translit.search_key(query)
        if key:
            stmt, listed_by = stmt.where(Client.name_key.contains(key, autoescape=True)), "identity"
    views, more = await access.page(Client, stmt, PAGE_SIZE, listed_by=listed_by)
    return ClientPage(clients=views, older=views[-1].id if more and views else None)


async def districts(access: Access) -> list[District]:
    return list((await access.session.scalars(select(District).order_by(District.region_code, District.name_uz))).all())
