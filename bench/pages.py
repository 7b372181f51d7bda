"""Signing in through the real form, and the key pages the bench loads, as requests."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.common import BROWSER_HEADERS, PASSWORD
from bench.load import Request


@dataclass
class User:
    login: str
    cookie: str  # the Cookie header of a signed-in session


def sign_in(base: str, login: str) -> User:
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
        client.get("/login")
        token = client.cookies["portal_csrf"]
        answer = client.post("/login", data={"login": login, "password": PASSWORD, "_csrf_token": token})
        if answer.status_code not in (302, 303):
            raise SystemExit(f"{login} could not sign in: {answer.status_code}")
        return User(login, "; ".join(f"{k}={v}" for k, v in client.cookies.items()))


def sign_in_logins(logins: list[str], national: bool) -> list[str]:
    """Who signs in during the sign-in phase: the demo's people and, with national data, 512 of its
    users. Each connection repeats one sign-in (bench/load.py), so the list must hold more people than
    there are connections: with fewer, two connections signed one person in at once, and the per-login
    limit, which counts every attempt until its password proves right, took that for guessing."""
    from portal.seed_scale.people import LOGIN_PREFIX

    if not national:
        return logins
    return [*logins, *(f"{LOGIN_PREFIX}u{n:06d}" for n in range(1, 513))]


def sign_in_requests(base: str, logins: list[str]) -> list[Request]:
    """The sign-in form's POST for each login, with a CSRF token taken the way a browser does. Each
    connection signs in as its own person, from its own address behind the proxy (a loopback address
    in X-Forwarded-For): one login tried 32 times at once, or one address signing in hundreds of
    people, is what the sign-in limits are there to refuse."""
    import httpx

    out = []
    with httpx.Client(base_url=base) as client:
        client.get("/login")
        token = client.cookies["portal_csrf"]
    for n, login in enumerate(logins, start=2):  # 127.0.0.1 is the proxy itself
        body = urlencode({"login": login, "password": PASSWORD, "_csrf_token": token}).encode()
        headers = (
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", f"portal_csrf={token}"),
            ("X-Forwarded-For", f"127.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"),
        )
        out.append(Request("POST", "/login", (*BROWSER_HEADERS, *headers), body))
    return out


def get(path: str, user: User, *extra: tuple[str, str]) -> Request:
    return Request("GET", path, (*BROWSER_HEADERS, ("Cookie", user.cookie), *extra))


def first_link(base: str, user: User, path: str, pattern: str) -> str:
    found = find_link(base, user, path, pattern)
    if found is None:
        raise SystemExit(f"no {pattern!r} on {path} for {user.login}")
    return found


def find_link(base: str, user: User, path: str, pattern: str) -> str | None:
    """The first link matching `pattern` on the user's page, or None when the page shows none."""
    import httpx

    page = httpx.get(base + path, headers={"Cookie": user.cookie}, timeout=300)
    found = re.search(pattern, page.text)
    return found.group(0) if page.status_code == 200 and found else None


@dataclass
class Page:
    name: str
    request: Request | list[Request]
    expected: tuple[int, ...] = (200,)


def key_pages(base: str, owner: User, recipient: User, search: str, logins: list[str]) -> list[Page]:
    shared = first_link(base, recipient, "/clients/", r"/clients/\d+")
    version = first_link(base, owner, "/agreements/", r"/agreements/versions/\d+")
    case = first_link(base, owner, "/cases/", r"/cases/\d+")
    # The demo's recipient has no case shared with it; the national data set's has thousands.
    shared_case = find_link(base, recipient, "/cases/", r"/cases/\d+")
    referral = first_link(base, recipient, "/referrals/", r"/referrals/\d+")
    return [
        Page("sign-in (POST /login)", sign_in_requests(base, logins), (302, 303)),
        Page("home", get("/", owner)),
        # The recipient's home counts the clients shared with it: the bounded count (portal/cases/home.py).
        Page("home, recipient", get("/", recipient)),
        Page("clients, owner", get("/clients/", owner)),
        Page("clients, recipient", get("/clients/", recipient)),
        Page("shared client (recipient)", get(shared, recipient)),
        Page("agreements list", get("/agreements/", owner)),
        Page("agreement version", get(version, owner)),
        Page("search clients", get(f"/clients/?{urlencode({'q': search})}", owner)),
        # The casework: the lists of cases and referrals, each as the owner and as the recipient of
        # the hundred owners' referrals, one case with its sections (the owner's, and one shared with
        # the recipient), and one referral received.
        Page("cases, owner", get("/cases/", owner)),
        Page("cases, recipient", get("/cases/", recipient)),
        Page("one case (owner)", get(case, owner)),
        *([Page("one shared case (recipient)", get(shared_case, recipient))] if shared_case else []),
        Page("referrals, owner", get("/referrals/", owner)),
        Page("referrals, recipient", get("/referrals/", recipient)),
        Page("one referral (recipient)", get(referral, recipient)),
    ]
