from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal import i18n


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Service messages are compared in English; pages choose their language per request."""
    before = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)
