"""Words for the codes stored in agreements (pages and PDF share them): the one table is `portal.labels`."""

from __future__ import annotations

from portal.labels import access, label, term

__all__ = ["access", "category", "party_name", "purpose", "scope", "status", "term"]


def category(code: str) -> str:
    return label("category", code)


def purpose(code: str) -> str:
    return label("purpose", code)


def scope(code: str) -> str:
    return label("scope", code)


def status(code: str) -> str:
    return label("status", code)


def party_name(names: dict[str, str], language: str) -> str:
    return names.get(language) or names.get("uz", "")
