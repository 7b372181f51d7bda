"""Clients, case notes, engagements and consents, and the ICM case: the rules, with no HTTP.

Every read of a client, a note or a case goes through the request's Access (portal.access.kernel),
which scopes, redacts and audits it; changes are made only by the owner tenant and are audited. The
rules live in one module per topic; this module is their public face for routes and other areas.

The case: `open_case_for_client` (one open case per client; CaseAlreadyOpen names the open one),
`read_case`, `list_cases`, `cases_of_client`, `move_stage`, `assign_manager`; what may be done with a
case now is `allowed_actions(stage, own, may_update)` (CaseRefused carries the message when a service
says no). A case's timeline is written with `add_event` and read with `timeline_of`.
"""

from portal.cases.case_rules import Act, CaseRefused, allowed_actions, next_stage
from portal.cases.case_rules import EditConflict as CaseEditConflict
from portal.cases.casefile import (
    CaseAlreadyOpen,
    CaseFile,
    CasePage,
    CaseRow,
    Manager,
    assign_manager,
    cases_of_client,
    list_cases,
    managers_for,
    move_stage,
    open_case_for_client,
    read_case,
    tenant_names,
)
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
    partner_names,
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
    ReferralList,
    answered_page,
    awaiting_answer,
    awaiting_count,
    awaiting_page,
    due_soon,
    referral_inbox,
    sender_alerts,
    sent_page,
)
from portal.cases.referrals import Refused, recipients
from portal.cases.timeline import add_event, timeline_of

__all__ = [
    # referrals, their review and monitoring: what the dashboards call (each scoped through the kernel)
    "Deadline",
    "Monitoring",
    "PlacementLine",
    "QueueItem",
    "ReferralLine",
    "ReferralList",
    "Refused",
    "answered_page",
    "awaiting_answer",
    "awaiting_count",
    "awaiting_page",
    "due_soon",
    "overdue_check_ins",
    "recipients",
    "record_review",
    "referral_inbox",
    "review_queue",
    "sender_alerts",
    "sent_page",
    "Act",
    "Basis",
    "CaseAlreadyOpen",
    "CaseEditConflict",
    "CaseFile",
    "CasePage",
    "CaseRefused",
    "CaseRow",
    "Manager",
    "add_event",
    "allowed_actions",
    "assign_manager",
    "cases_of_client",
    "list_cases",
    "managers_for",
    "move_stage",
    "next_stage",
    "open_case_for_client",
    "read_case",
    "tenant_names",
    "timeline_of",
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
    "partner_names",
    "partners",
    "read_client",
    "update_client",
    "user_names",
    "withdraw_consent",
]
