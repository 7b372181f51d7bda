"""The signing ceremony: the signer confirms, on behalf of the organisation, with a fresh proof of who they are.

A signature binds an organisation, so a session cookie alone is not enough: the signer ticks "I have
read and agree on behalf of <organisation>" and types their password again (checked against the
stored hash with the same check as sign-in). A person who has no portal password signs in only
through an identity provider; for them the proof is a sign-in made within the last five minutes.
Every sign-in opens a new session (tenants.services.open_session), so the session's `created_at` is
the moment of that sign-in: the page offers a link that signs in again through the same provider and
comes back to the signing page. Nothing is signed unless every check passes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from portal.access.guard import Actor
from portal.i18n import gettext as _
from portal.partnership.errors import Refused
from portal.partnership.lifecycle import sign
from portal.partnership.models import Signature
from portal.partnership.states import Policy
from portal.tenants.models import LoginSession, User
from portal.tenants.services import password_matches

FRESH_SIGN_IN = timedelta(minutes=5)


@dataclass
class SignForm:
    terms_hash: str = ""
    agree: bool = False
    password: str = ""  # never sent back to the page
    errors: dict[str, str] = field(default_factory=dict)


def parse(posted: Any) -> SignForm:
    return SignForm(
        terms_hash=str(posted.get("terms_hash", "")).strip()[:64],
        agree=posted.get("agree") == "on",
        password=str(posted.get("password", ""))[:1000],
    )


@dataclass(frozen=True)
class Proof:
    """How the signer proves who they are: their password, or a fresh sign-in through `provider`."""

    password: bool
    provider: str | None = None
    fresh: bool = False


async def proof_for(session: AsyncSession, actor: Actor, now: datetime) -> Proof:
    user = await session.get(User, actor.user_id)
    if user is not None and user.password_hash:
        return Proof(password=True)
    row = await session.get(LoginSession, actor.session_id)
    provider = (str((row.data or {}).get("provider") or "") or None) if row is not None else None
    fresh = row is not None and row.created_at >= now - FRESH_SIGN_IN
    return Proof(password=False, provider=provider, fresh=fresh)


async def _check(session: AsyncSession, actor: Actor, form: SignForm, now: datetime) -> None:
    if not form.agree:
        form.errors["agree"] = _("Tick the box to confirm that you have read the terms and agree to them.")
    proof = await proof_for(session, actor, now)
    if proof.password:
        user = await session.get(User, actor.user_id)
        if not form.password:
            form.errors["password"] = _("Enter your password to sign.")
        elif user is None or not await password_matches(user.password_hash, form.password):
            form.errors["password"] = _("The password is not correct. Nothing was signed.")
    elif not proof.fresh:
        form.errors["password"] = _(
            "Sign in again through your identity provider, then sign within 5 minutes. Nothing was signed."
        )


async def sign_with_ceremony(
    session: AsyncSession, actor: Actor, version_id: int, form: SignForm, now: datetime, *, policy: Policy
) -> Signature | None:
    """The signature, or None with form.errors filled (the confirmation or the proof is missing)."""
    await _check(session, actor, form, now)
    if form.errors:
        return None
    try:
        return await sign(session, actor, version_id, form.terms_hash, now, policy=policy)
    except Refused as refused:
        form.errors["form"] = refused.message
        return None
