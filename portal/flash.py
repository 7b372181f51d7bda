"""Flash messages: what just happened, told on the page a response leads to (Post/Redirect/Get),
carried by a short-lived cookie sealed with the secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from litestar import Request, Response

from portal.i18n import gettext as _

FLASH_COOKIE = "portal_flash"
FLASH_SECONDS = 120


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:32]


def read_flash(value: str | None, secret: str) -> dict[str, Any] | None:
    """The message a previous response left for this page, if its seal holds."""
    if not value or "." not in value:
        return None
    payload, _sep, mac = value.rpartition(".")
    if not hmac.compare_digest(mac, _mac(secret, payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("m"), str) else None


def flash(request: Request, response: Response, message: str, **params: str) -> Response:
    """Tells the person what just happened, on the page the response leads to (Post/Redirect/Get).

    `message` is a msgid marked with `lazy` (and `params` fill its placeholders): it is translated
    when shown, in the language of that page. Carried by a short-lived cookie sealed with the
    secret key, so another site cannot plant a message on the portal's pages."""
    payload = base64.urlsafe_b64encode(json.dumps({"m": message, "p": params}).encode()).decode()
    response.set_cookie(
        key=FLASH_COOKIE,
        value=f"{payload}.{_mac(request.app.state.settings.secret_key, payload)}",
        max_age=FLASH_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
    return response


def flash_message(flash: dict[str, Any] | None) -> str:
    """The flash message in the current language (for the page layout)."""
    if not flash:
        return ""
    msgid = flash["m"]
    text = _(msgid)
    params = flash.get("p") or {}
    try:
        return text % params if params else text
    except (KeyError, TypeError, ValueError):
        return text
