"""Partner organisations (tenants), their users, memberships and sign-in."""
