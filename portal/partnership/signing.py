"""The portal's seal, as agreements use it: the key and its functions live in the access kernel."""

from portal.access.seal import check, key_id, portal_key, record_bytes, seal, use_key

__all__ = ["check", "key_id", "portal_key", "record_bytes", "seal", "use_key"]
