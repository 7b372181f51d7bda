"""Tenants (partner organisations), places, users, memberships and login sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Model, UTCDateTime, utcnow

TENANT_KINDS = (
    "pes",
    "nasp",
    "inson",
    "monocentre",
    "ngo",
    "employer",
    "job_carving_unit",
    "labour_inspection",
)
ROLES = ("tenant_admin", "case_manager", "signatory", "coordinator", "employer_hr", "inspector", "viewer")
# What a new member is offered first: the role that may only look.
DEFAULT_ROLES = ("viewer",)
LANGUAGES = ("uz", "uz_Cyrl", "ru", "en")


class Named:
    """A name in each of the portal's four languages."""

    name_uz: Mapped[str] = mapped_column(String(200))
    name_uz_cyrl: Mapped[str] = mapped_column(String(200))
    name_ru: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))

    def name(self, language: str) -> str:
        return {
            "uz": self.name_uz,
            "uz_Cyrl": self.name_uz_cyrl,
            "ru": self.name_ru,
            "en": self.name_en,
        }.get(language) or self.name_uz


class Region(Named, Base):
    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)


class District(Named, Base):
    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)


class Tenant(Named, Model):
    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    region_code: Mapped[str] = mapped_column(ForeignKey("regions.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Model):
    __tablename__ = "users"

    login: Mapped[str] = mapped_column(String(120), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", lazy="raise")


class Membership(Model):
    """A user's place in one tenant, with the roles they hold there."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    tenant: Mapped[Tenant] = relationship(lazy="raise")


class ExternalIdentity(Model):
    """An identity-provider claim an administrator registered for a membership before first sign-in."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider", "claim_value"),)

    provider: Mapped[str] = mapped_column(String(60))
    claim_value: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="RESTRICT"), index=True)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginSession(Base):
    """A server-side session; the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict] = mapped_column(JSON, default=dict)


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_login_at", "login", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class SignInThrottle(Base):
    """Failed sign-ins counted per login and per socket address, and the earliest next attempt.

    Each attempt is counted here, in its own committed transaction, before its password is checked;
    ``revision`` makes that count a compare-and-swap, so simultaneous attempts cannot share a slot.
    """

    __tablename__ = "sign_in_throttles"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # "login" or "address"
    value: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=0)
