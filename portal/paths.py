"""`url_for` in templates: Litestar's route reversal, with each route's path chosen once.

Litestar's `route_reverse` looks the route up by name, lists and sorts the route's paths, and chooses
the one whose parameters were passed, on every call: a list page calls it for every row (about a
twentieth of its CPU). The choice depends only on the route's name and the parameters' names, so it
is kept per (name, names); the parameters' values are checked and filled as Litestar fills them, and
anything this does not handle (a route given as a handler, a value of the wrong type) goes to
Litestar itself, which answers or raises as it always does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from litestar import Litestar
from litestar.types.internal_types import PathParameterDefinition
from litestar.utils import join_paths

# The types Litestar lets a caller pass as text (litestar.app.Litestar.route_reverse).
TEXT_ALLOWED = frozenset({datetime, date, time, timedelta, float, Path, UUID})

Components = tuple[str | PathParameterDefinition, ...]


class PathReverser:
    """Reverses a named route's path as `app.route_reverse` does, choosing the route once per shape."""

    def __init__(self, app: Litestar) -> None:
        self.app = app
        self._chosen: dict[tuple[str, tuple[str, ...]], Components] = {}

    def __call__(self, name: Any, /, **parameters: Any) -> str:
        if not isinstance(name, str):
            return self.app.route_reverse(name, **parameters)
        key = (name, tuple(parameters))
        components = self._chosen.get(key)
        if components is None:
            components = self._choose(name, parameters)
            if components is None:
                return self.app.route_reverse(name, **parameters)  # raises Litestar's own error
            self._chosen[key] = components
        filled: list[str] = []
        for component in components:
            if isinstance(component, PathParameterDefinition):
                value = parameters.get(component.name)
                if not isinstance(value, component.type) and (
                    component.type not in TEXT_ALLOWED or not isinstance(value, str)
                ):
                    return self.app.route_reverse(name, **parameters)  # raises Litestar's own error
                filled.append(str(value))
            else:
                filled.append(component)
        return join_paths(filled)

    def _choose(self, name: str, parameters: Mapping[str, Any]) -> Components | None:
        """The route `route_reverse` would fill for these parameters' names (the same rule)."""
        index = self.app.get_handler_index_by_name(name)
        if index is None:
            return None
        routes = sorted(
            self.app.asgi_router.route_mapping[index["identifier"]],
            key=lambda r: len(r.path_parameters),
            reverse=True,
        )
        passed = set(parameters)
        chosen = next((route for route in routes if passed.issuperset(route.path_parameters)), routes[-1])
        return tuple(chosen.path_components)


def url_for(context: Mapping[str, Any], /, name: Any, **parameters: Any) -> str:
    """The template global: the request's app's reverser (see `PathReverser`)."""
    return context["request"].app.state.paths(name, **parameters)
