"""The tenants area's public services: what routes and other areas call. No HTTP here.

The rules live in the modules by topic — ``sign_in`` (passwords, sessions, switching tenant),
``sign_in_limits`` (the progressive delay), ``identities`` (identity providers) and ``users``
(tenant user administration, one's own password); this module names what others may use.
"""

from __future__ import annotations

from portal.tenants.identities import (
    IdentityForm,
    IdentityUnknown,
    RegisteredIdentity,
    list_identities,
    normalise_claim_value,
    register_identity,
    remove_identity,
    sign_in_with_identity,
)
from portal.tenants.sign_in import (
    Limits,
    LoginRefused,
    active_memberships,
    hash_password,
    load_actor,
    open_session,
    password_matches,
    remember_language,
    sign_in,
    sign_out,
    switch_tenant,
    token_id,
)
from portal.tenants.sign_in_limits import LoginDelay, SignInLimits, TooEarly, delay_of, wait_message
from portal.tenants.sign_in_limits import give_back as give_back_slot
from portal.tenants.sign_in_limits import reserve as reserve_slot
from portal.tenants.users import (
    LOGIN_RE,
    MIN_PASSWORD,
    EditConflict,
    PasswordForm,
    TenantUser,
    UserForm,
    actor_for,
    change_password,
    clear_sign_in_delay,
    create_tenant_user,
    get_tenant_user,
    grants_user_management,
    list_tenant_users,
    login_suffix,
    update_tenant_user,
)

__all__ = [
    "actor_for",
    "LOGIN_RE",
    "MIN_PASSWORD",
    "EditConflict",
    "IdentityForm",
    "IdentityUnknown",
    "Limits",
    "LoginDelay",
    "LoginRefused",
    "PasswordForm",
    "RegisteredIdentity",
    "SignInLimits",
    "TenantUser",
    "TooEarly",
    "UserForm",
    "active_memberships",
    "change_password",
    "clear_sign_in_delay",
    "create_tenant_user",
    "delay_of",
    "get_tenant_user",
    "give_back_slot",
    "grants_user_management",
    "hash_password",
    "list_identities",
    "list_tenant_users",
    "load_actor",
    "login_suffix",
    "normalise_claim_value",
    "open_session",
    "password_matches",
    "register_identity",
    "remember_language",
    "remove_identity",
    "reserve_slot",
    "sign_in",
    "sign_in_with_identity",
    "sign_out",
    "switch_tenant",
    "token_id",
    "update_tenant_user",
    "wait_message",
]
