"""The role decisions a worker keeps are Casbin's own. While the policy has the portal's shape (roles
granted without a domain, users holding roles) a decision is kept per set of roles and reused for every
user holding the same roles; any other shape (a role holding a role, a grant to one user) keeps it per
user and tenant. Either way each answer equals Casbin's for the same lines, in any order of questions."""

from __future__ import annotations

import random

import casbin
import pytest
from casbin.persist.adapter import Adapter, load_policy_line

from portal.access.policy import ROLE_GRANTS, PolicyStore, compare_names_plainly, domain, role_subject, user_subject
from portal.settings import Settings

ROLES = sorted(ROLE_GRANTS)
USERS, TENANTS = range(1, 41), range(1, 7)
QUESTIONS = sorted({pair for pairs in ROLE_GRANTS.values() for pair in pairs} | {("nothing", "at_all")})


def lines(rng: random.Random, shape: str) -> list[str]:
    text = [f"p, {role_subject(r)}, {obj}, {act}" for r, pairs in ROLE_GRANTS.items() for obj, act in pairs]
    for user in USERS:
        for tenant in rng.sample(TENANTS, rng.randint(0, 3)):
            for role in rng.sample(ROLES, rng.randint(0, 3)):
                text.append(f"g, {user_subject(user)}, {role_subject(role)}, {domain(tenant)}")
    if shape == "a role holds a role":
        text.append(f"g, {role_subject('viewer')}, {role_subject('tenant_admin')}, {domain(3)}")
    if shape == "a grant to one user":
        text.append(f"p, {user_subject(7)}, user, manage")
    return text


def enforcer_of(text: list[str], plain: bool) -> casbin.Enforcer:
    class Lines(Adapter):  # type: ignore[misc]
        def load_policy(self, model):  # type: ignore[no-untyped-def]
            for line in text:
                load_policy_line(line, model)

    enforcer = casbin.Enforcer(str(Settings.from_env().policy_model), Lines())
    if plain:
        compare_names_plainly(enforcer)
    return enforcer


@pytest.mark.parametrize("shape", ["the portal's", "a role holds a role", "a grant to one user"])
def test_every_kept_decision_is_casbins(shape: str) -> None:
    rng = random.Random(f"decisions {shape}")
    text = lines(rng, shape)
    store = PolicyStore.holding(enforcer_of(text, plain=True))
    reference = enforcer_of(text, plain=False)  # Casbin as it comes, names compared by its own default
    asked = [(u, t, obj, act) for u in USERS for t in TENANTS for obj, act in QUESTIONS]
    expected = {q: reference.enforce(user_subject(q[0]), domain(q[1]), q[2], q[3]) for q in asked}
    for round_ in range(2):
        rng.shuffle(asked)
        for question in asked:
            assert store.allows(*question) == expected[question], (round_, question)
    assert 0 < sum(expected.values()) < len(asked)
