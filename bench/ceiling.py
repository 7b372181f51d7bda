"""The framework's ceiling: a minimal Litestar + Jinja app that renders a table of 50 rows held in
memory. No database, no session, no middleware: what a page of the portal's size costs the framework,
the template engine and the server alone. Every page of the portal is measured against it, in the same
run, served the same way: bench/run.py starts it with `portal serve --workers N` itself, with this app
in the place of `portal.asgi:app` (see `ceiling_shim` there).
"""

from __future__ import annotations

from jinja2 import DictLoader, Environment
from litestar import Litestar, get
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

ROWS = [
    {
        "id": 1000 + n,
        "name": f"Client number {n}",
        "region": ("Toshkent shahri", "Samarqand viloyati", "Farg‘ona viloyati")[n % 3],
        "group": ("I", "II", "III")[n % 3],
        "updated": f"2026-11-{n % 28 + 1:02d}",
    }
    for n in range(50)
]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
<table><thead><tr><th>No.</th><th>Name</th><th>Region</th><th>Group</th><th>Updated</th></tr></thead>
<tbody>{% for row in rows %}
<tr><td><a href="/clients/{{ row.id }}">{{ row.id }}</a></td><td>{{ row.name }}</td><td>{{ row.region }}</td>
<td>{{ row.group }}</td><td>{{ row.updated }}</td></tr>{% endfor %}
</tbody></table></main></body></html>
"""


@get("/", sync_to_thread=False)
def page() -> Template:
    return Template(template_name="page.html", context={"title": "Clients", "rows": ROWS})


def create_app() -> Litestar:
    environment = Environment(loader=DictLoader({"page.html": PAGE}), autoescape=True)
    return Litestar(
        route_handlers=[page],
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment)),
    )


app = create_app()
