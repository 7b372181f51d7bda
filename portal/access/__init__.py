"""The one access-enforcement point: route guard, Casbin policy, audit log."""

from portal.access.guard import Actor, authenticated, checks_text, permission, public, require_permission

__all__ = ["Actor", "authenticated", "checks_text", "permission", "public", "require_permission"]
