from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.oidc_provider import MockProvider, running_provider


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[MockProvider]:
    with running_provider() as provider:
        yield provider
