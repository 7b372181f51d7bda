"""Clients, case notes, engagements and consents: the rules, with no HTTP.

Every read of a client or a note goes through the request's Access (portal.access.kernel), which
scopes, redacts and audits it; changes are made only by the owner tenant and are audited. The rules
live in one module per topic; this module is their public face for routes and other areas.
"""

from portal.cases.clients import (
    GENDERS,
    PAGE_SIZE,
    ClientForm,
    ClientPage,
    EditConflict,
    create_client,
    districts,
    list_clients,
    read_client,
    update_client,
)
from portal.cases.facts import (
    Basis,
    Partner,
    basis_of,
    close_engagement,
    consents_of,
    engagements_of,
    give_consent,
    open_engagement,
    partners,
    user_names,
    withdraw_consent,
)
from portal.cases.inspection import QueueItem, record_review, review_queue
from portal.cases.notes import add_note, notes_of
from portal.cases.placements import Monitoring, PlacementLine, overdue_check_ins
from portal.cases.referral_views import (
    Deadline,
    ReferralLine,
    awaiting_answer,
    due_soon,
    referral_inbox,
    sender_alerts,
    sent_referrals,
)
from portal.cases.referrals import Refused, recipients

__all__ = [
    # referrals, their review and monitoring: what the dashboards call (each scoped through the kernel)
    "Deadline",
    "Monitoring",
    "PlacementLine",
    "QueueItem",
    "ReferralLine",
    "Refused",
    "awaiting_answer",
    "due_soon",
    "overdue_check_ins",
    "recipients",
    "record_review",
    "referral_inbox",
    "review_queue",
    "sender_alerts",
    "sent_referrals",
    "Basis",
    "basis_of",
    "GENDERS",
    "PAGE_SIZE",
    "ClientForm",
    "ClientPage",
    "EditConflict",
    "Partner",
    "add_note",
    "close_engagement",
    "consents_of",
    "create_client",
    "districts",
    "engagements_of",
    "give_consent",
    "list_clients",
    "notes_of",
    "open_engagement",
    "partners",
    "read_client",
    "update_client",
    "user_names",
    "withdraw_consent",
]
