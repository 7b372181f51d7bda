"""The one access-enforcement point: route guard, Casbin policy, audit log."""

from portal.access.guard import Actor, authenticated, permission, public, require_permission

__all__ = ["Actor", "authenticated", "permission", "public", "require_permission"]
