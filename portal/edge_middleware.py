"""The edge as middleware: what no handler should be given is refused before routing reaches it
(see portal/edge.py for the rules and the helpers forms use)."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.params import QueryParameter
from litestar.types import ASGIApp, Receive, Scope, Send

from portal.edge import has_nul, parse_int, path_ids_in_range, too_long
from portal.web import EXCEPTION_HANDLERS, UnstorableInput, http_error


class EdgeMiddleware(ASGIMiddleware):
    """Refuses what no handler should be given (see portal/edge.py): ids out of range or not in ASCII
    digits, and path components longer than any name, are a 404; a NUL anywhere in the path, query or
    posted form a 400 page. Forms that check their fields with `clean_text` report bad characters
    beside the field; this is the safety net."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request = Request(scope, receive)
        try:
            await _check_edge(request)
        except HTTPException as exc:
            handler = EXCEPTION_HANDLERS.get(type(exc)) or http_error
            response = handler(request, exc)
            await response.to_asgi_response(app=None, request=request)(scope, receive, send)
            return
        await next_app(scope, receive, send)


async def _check_edge(request: Request) -> None:
    scope = request.scope
    if has_nul(scope.get("raw_path") or b"") or "\x00" in scope["path"] or has_nul(scope.get("query_string", b"")):
        raise UnstorableInput
    handler = scope.get("route_handler")
    template = scope.get("path_template", "")
    if not path_ids_in_range(template, scope["path"], scope.get("path_params", {})) or too_long(scope["path"]):
        raise NotFoundException
    for name in _int_query_parameters(handler):
        if any(parse_int(value) is None for value in request.query_params.getall(name, [])):
            raise NotFoundException
    # A handler that reports bad characters beside the field (opt "checks_text") gets the values.
    values_checked = handler is not None and bool(handler.opt.get("checks_text"))
    if request.method in {"POST", "PUT", "PATCH", "DELETE"} and request.content_type[0] in _FORM_TYPES:
        # Parsed once here; Litestar keeps the result in the scope, so CSRF and the handler reuse it.
        form = await request.form()
        for key, value in form.multi_items():
            if "\x00" in key or (not values_checked and isinstance(value, str) and "\x00" in value):
                raise UnstorableInput


_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Kept on the handler itself (its `opt` mapping): a cache keyed by id(handler) outlived its handler, and
# a handler of a later app born at the same address was given another's names (its own integer
# parameters then went unchecked). Route handlers take no weak references.
_INT_QUERY = "portal.int_query_parameters"


def _int_query_parameters(handler: Any) -> tuple[str, ...]:
    """Names of a handler's query parameters declared as int (or int | None)."""
    if handler is None:
        return ()
    names = handler.opt.get(_INT_QUERY)
    if names is None:
        found = []
        for name, field in handler.parsed_fn_signature.parameters.items():
            types = [t.annotation for t in field.inner_types] if field.is_optional else [field.annotation]
            if isinstance(field.kwarg_definition, QueryParameter) and int in types:
                found.append(name)
        names = handler.opt[_INT_QUERY] = tuple(found)
    return names
