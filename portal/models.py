"""Every area's tables, imported in one place for Alembic and the test fixtures."""

from portal.access.models import AuditEntry, CasbinRule, PolicyRevision
from portal.cases.models import Client, Consent, Engagement
from portal.notifications.models import Notification, NotificationRead, OutboxMessage
from portal.partnership.models import (
    Agreement,
    AgreementComment,
    AgreementParty,
    AgreementVersion,
    Clause,
    Signature,
)
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
    "Agreement",
    "AgreementComment",
    "AgreementParty",
    "AgreementVersion",
    "Clause",
    "Client",
    "Consent",
    "Engagement",
    "Signature",
    "AuditEntry",
    "CasbinRule",
    "District",
    "ExternalIdentity",
    "LoginAttempt",
    "LoginSession",
    "Notification",
    "NotificationRead",
    "OutboxMessage",
    "Membership",
    "PolicyRevision",
    "Region",
    "Tenant",
    "User",
]
