"""The words of the access policy: data categories, actions, purposes, scopes, engagement sources.

Areas and agreements speak this vocabulary; the kernel owns it, so a clause, a grant row and a
declared field all name a category the same way.
"""

from __future__ import annotations

CATEGORIES = (
    "identity",  # names, birth date, gender
    "pinfl",  # the national personal identification number (JShShIR), shared only on its own
    "contact",
    "disability",  # disability group and work recommendation
    "benefits",
    "education",  # education and skills
    "employment",  # employment history
    "assessment",  # assessment and action plan
    "case_notes",
)
# The categories of a record that is itself an exchange between tenants (a referral and its review):
# its own fields, seen by its parties (the tenants its declaration names in party columns). A clause
# never grants one: a party sees the exchange because it takes part in it, and what it may see of
# the client the exchange is about is still decided by the clauses, category by category.
PARTY_CATEGORIES = ("referral",)
ACTIONS = ("read", "comment")  # a "read and comment" clause grants both
PURPOSES = ("referral", "case_conference", "job_matching", "monitoring")
SCOPES = ("all", "engaged")  # all clients of the owner, or only those engaged with the recipient
# What opened an engagement of a client with a recipient partner; each source's lifecycle opens and
# closes it (a referral when accepted and when it ends, a case conference when it is held).
ENGAGEMENT_SOURCES = ("referral", "case_conference")
