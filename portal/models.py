"""Every area's tables, imported in one place for Alembic and the test fixtures."""

from portal.access.models import AuditEntry, CasbinRule, PolicyRevision
from portal.tenants.models import (
    District,
    ExternalIdentity,
    LoginAttempt,
    LoginSession,
    Membership,
    Region,
    Tenant,
    User,
)

__all__ = [
    "AuditEntry",
    "CasbinRule",
    "District",
    "ExternalIdentity",
    "LoginAttempt",
    "LoginSession",
    "Membership",
    "PolicyRevision",
    "Region",
    "Tenant",
    "User",
]
