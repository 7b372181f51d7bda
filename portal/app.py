"""create_app(): plugins, middleware, routes; nothing else."""

from __future__ import annotations

import gc
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, pass_context, pass_eval_context, select_autoescape
from jinja2.nodes import EvalContext
from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from markupsafe import Markup, escape

from portal import assets, i18n, labels, paths
from portal.access import require_permission, seal
from portal.access.kernel import provide_access
from portal.access.policy import PolicyStore
from portal.access.routes import SharingController
from portal.cases import names
from portal.cases.case_routes import CasesController, ClientCasesController
from portal.cases.case_section_routes import CaseSectionsController
from portal.cases.outreach_routes import OutreachController
from portal.cases.placement_routes import CasePlacementsController, PlacementsController
from portal.cases.referral_routes import (
    CaseReferralsController,
    ReferralsController,
    ReviewsController,
    WorkingDaysController,
)
from portal.cases.routes import ClientsController, ConsentsController, EngagementsController
from portal.db import make_engine, make_sessionmaker, utcnow
from portal.edge_middleware import EdgeMiddleware
from portal.home.routes import DashboardController
from portal.notifications.routes import InboxController, count_for_header
from portal.partnership.routes import AgreementController, check_paper
from portal.settings import ROOT, Settings
from portal.tenants import services as tenant_services
from portal.tenants.provider_routes import IdentityProviderController
from portal.tenants.providers import build_providers
from portal.tenants.routes import AccountController, LoginController, TenantUsersController
from portal.web import (
    EXCEPTION_HANDLERS,
    ActorMiddleware,
    SecurityHeadersMiddleware,
    content_security_policy,
    flash_message,
    provide_actor,
    provide_db,
)

HTMX_VERSION = "2.0.4"


@pass_context
def can(context, obj: str, act: str) -> bool:  # type: ignore[no-untyped-def]
    """Templates show a link only when the policy would let the request through."""
    request = context.get("request")
    actor = request.scope.get("state", {}).get("actor") if request is not None else None
    if actor is None:
        return False
    return request.app.state.policy.allows(actor.user_id, actor.tenant_id, obj, act)


# A format whose every placeholder is %(name)s or %(name)d (and whose other `%` are `%%`).
_SIMPLE_FORMAT = re.compile(r"(?:[^%]|%%|%\(\w+\)[sd])*", re.DOTALL)


@lru_cache(maxsize=4096)
def _simple_format(text: str) -> bool:
    return _SIMPLE_FORMAT.fullmatch(text) is not None


@pass_eval_context
def _translated(eval_ctx: EvalContext, message: str, /, **variables: object) -> str:
    """`_()` in templates: what Jinja's new-style gettext does (the translation is markup-safe, and always
    a format string, each value escaped), called directly. Jinja's reaches it through an alias and
    three nested context calls: 2.3 µs more per call, a millisecond of a list page's 400.

    Formatting markup wraps the values in escaping helpers, about a twentieth of a list page's CPU: so a
    text with no `%` is returned as it is, and a text of %(name)s and %(name)d placeholders takes its
    values escaped beforehand (a number as it is: its text needs no escaping, and %d takes it). Where
    that raises (%d given text), markup's own `%` answers, or raises, as it always did."""
    translated = i18n.gettext(message)
    if not eval_ctx.autoescape:
        return translated % variables
    translated = Markup(translated)  # noqa: S704 - the catalogue's own text, trusted as Jinja trusts it
    if "%" not in translated:
        return translated
    if _simple_format(translated):
        escaped = {k: v if type(v) in (int, float) else escape(v) for k, v in variables.items()}
        try:
            return Markup(str.__mod__(translated, escaped))  # noqa: S704 - the values are escaped above
        except TypeError:
            pass
    return translated % variables


def template_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals["_"] = _translated

    env.globals.update(
        LANGUAGES=i18n.LANGUAGES,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
        HTML_LANG=i18n.HTML_LANG,
        current_language=i18n.current_language,
        HTMX_VERSION=HTMX_VERSION,
        static_url=assets.static_url,
        can=can,
        label=labels.label,
        client_name=names.client_name,
        other_form=names.other_form,
        labels=labels.labels,
        flash_message=flash_message,
    )
    env.filters.update(
        local_date=labels.local_date,
        local_datetime=labels.local_datetime,
        # Typed content (titles, goals, names) in the reader's Uzbek script; for display only, never on
        # form values or on the signed terms, whose hash covers the text as it was typed.
        in_readers_script=names.in_readers_script,
    )
    return env


def template_engine() -> JinjaTemplateEngine:
    engine = JinjaTemplateEngine.from_environment(template_environment())
    engine.register_template_callable("url_for", paths.url_for)  # in place of Litestar's (see portal.paths)
    return engine


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    i18n.load_all()
    seal.use_key(settings.signing_key)
    # On PostgreSQL the app's own role, subject to row-level security; migrations use the owner's URL.
    engine = make_engine(settings.app_url, settings.db_pool_size, settings.db_max_overflow)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with app.state.sessionmaker() as session:
            await labels.load_places(session)
            # The role policy is read before the first request, not by it (seconds at national scale).
            await app.state.policy.refresh(session)
        if app.state.get("settle_heap"):
            # What a server's worker built to serve (routes, templates, catalogues, the role policy) lives
            # as long as the worker: the cyclic collector stops walking it on every full collection, and
            # collects young objects less often (a page makes tens of thousands). About a tenth of a page's
            # CPU on the demo data.
            gc.freeze()
            gc.set_threshold(50_000, 20, 100)
        try:
            yield
        finally:
            await engine.dispose()

    app = Litestar(
        route_handlers=[
            LoginController,
            IdentityProviderController,
            DashboardController,
            TenantUsersController,
            AccountController,
            AgreementController,
            check_paper,
            ClientsController,
            EngagementsController,
            ConsentsController,
            CaseReferralsController,
            ReferralsController,
            ReviewsController,
            WorkingDaysController,
            CasePlacementsController,
            PlacementsController,
            OutreachController,
            CasesController,
            ClientCasesController,
            CaseSectionsController,
            SharingController,
            InboxController,
            create_static_files_router(
                path="/static",
                directories=[ROOT / "static"],
                name="static",
                opt={"permission": "public"},
                cache_control=None,
            ),
        ],
        guards=[require_permission],
        before_request=count_for_header,
        dependencies={
            "db": Provide(provide_db),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "access": Provide(provide_access, sync_to_thread=False),
        },
        middleware=[SecurityHeadersMiddleware(), ActorMiddleware(), EdgeMiddleware()],
        # Pages and fragments of more than about a kilobyte travel gzipped (a quarter of their size or
        # less); level 6 costs a fraction of level 9's CPU for almost the same bytes.
        compression_config=CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=6),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="portal_csrf",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            cookie_httponly=True,
        ),
        allowed_hosts=AllowedHostsConfig(
            allowed_hosts=[*settings.allowed_hosts, *(f"{h}:{settings.port}" for h in settings.allowed_hosts)]
        ),
        template_config=TemplateConfig(instance=template_engine()),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan],
        logging_config=LoggingConfig(
            log_exceptions="debug",
            # pycasbin prints its whole model at INFO on every policy reload.
            loggers={"casbin": {"level": "WARNING", "propagate": False, "handlers": ["queue_listener"]}},
        ),
        openapi_config=None,  # HTML first: no JSON API to describe yet
        debug=False,
    )
    app.state.settings = settings
    app.state.clock = utcnow
    app.state.load_actor = tenant_services.load_actor
    app.state.engine = engine
    app.state.static_versions = assets.fingerprints(ROOT / "static")
    app.state.paths = paths.PathReverser(app)
    app.state.sessionmaker = make_sessionmaker(engine)
    app.state.policy = PolicyStore(engine, settings.policy_model)
    app.state.identity_providers = build_providers(settings.identity_providers)
    # Signing out sends the browser on to the provider: the form-action rule must allow its origin.
    app.state.csp = content_security_policy([p.issuer for p in settings.identity_providers])
    return app
