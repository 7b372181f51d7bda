"""The rules of partnership agreements: draft, propose, sign, activate, amend, terminate, verify.

No HTTP here. Every verb takes the session, the actor and an injected `now`, checks its guard
clauses, changes rows and writes the audit entry in the caller's transaction. Activation,
termination and supersession change the compiled Casbin lines in that same transaction.

The rules live in one module per topic; this module is their public face for routes and other areas.
"""

from portal.partnership.drafting import (
    add_comment,
    amend,
    create_draft,
    form_from_template,
    form_from_version,
    propose,
    save_draft,
)
from portal.partnership.errors import EditConflict, NotFound, Refused
from portal.partnership.lifecycle import OPEN_FOR_SIGNING, sign, signature_record, terminate
from portal.partnership.reading import (
    AgreementRow,
    VersionDetail,
    detail,
    effective_status,
    get_version,
    list_agreements,
    may_edit,
    partner_tenants,
    versions_of,
)
from portal.partnership.verification import SignatureCheck, Verification, verify, verify_version

__all__ = [
    "OPEN_FOR_SIGNING",
    "AgreementRow",
    "EditConflict",
    "NotFound",
    "Refused",
    "SignatureCheck",
    "Verification",
    "VersionDetail",
    "add_comment",
    "amend",
    "create_draft",
    "detail",
    "effective_status",
    "form_from_template",
    "form_from_version",
    "get_version",
    "list_agreements",
    "may_edit",
    "partner_tenants",
    "propose",
    "save_draft",
    "sign",
    "signature_record",
    "terminate",
    "verify",
    "verify_version",
    "versions_of",
]
