"""The rules of partnership agreements: draft, propose, sign, activate, amend, end, verify.

No HTTP here. Every verb takes the session, the actor and an injected `now`, checks its guard
clauses, changes rows and writes the audit entry in the caller's transaction. Activation,
termination and supersession change the compiled grant rows in that same transaction.

The rules live in one module per topic; this module is their public face for routes and other areas.
"""

from portal.partnership.ceremony import Proof, SignForm, proof_for, sign_with_ceremony
from portal.partnership.ceremony import parse as parse_sign_form
from portal.partnership.compiler import recompile_all as recompile_grants
from portal.partnership.drafting import (
    a_year_later,
    add_comment,
    amend,
    create_draft,
    form_from_template,
    form_from_version,
    propose,
    save_draft,
)
from portal.partnership.errors import EditConflict, NotFound, Refused
from portal.partnership.lifecycle import give_notice, sign, signature_record, stop_sharing, withdraw
from portal.partnership.reading import (
    AgreementRow,
    VersionDetail,
    detail,
    get_version,
    list_agreements,
    partner_tenants,
    standing,
    versions_of,
)
from portal.partnership.states import (
    OPEN_FOR_SIGNING,
    Action,
    Policy,
    Standing,
    allowed_actions,
    earliest_notice_end,
    effective_status,
    notice_days,
    why_not,
)
from portal.partnership.verification import SignatureCheck, Verification, verify, verify_version

__all__ = [
    "recompile_grants",
    "OPEN_FOR_SIGNING",
    "Action",
    "AgreementRow",
    "EditConflict",
    "NotFound",
    "Policy",
    "Proof",
    "Refused",
    "SignForm",
    "SignatureCheck",
    "Standing",
    "Verification",
    "VersionDetail",
    "a_year_later",
    "add_comment",
    "allowed_actions",
    "amend",
    "create_draft",
    "detail",
    "earliest_notice_end",
    "effective_status",
    "form_from_template",
    "form_from_version",
    "get_version",
    "give_notice",
    "list_agreements",
    "notice_days",
    "parse_sign_form",
    "partner_tenants",
    "proof_for",
    "propose",
    "save_draft",
    "sign",
    "sign_with_ceremony",
    "signature_record",
    "standing",
    "stop_sharing",
    "verify",
    "verify_version",
    "versions_of",
    "why_not",
    "withdraw",
]
