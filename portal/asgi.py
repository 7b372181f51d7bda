"""ASGI entry point for servers: `uvicorn portal.asgi:app` (what `portal serve` runs in each worker)."""

from portal.app import create_app

app = create_app()
# A server's worker lives long: once started, it sets aside what it built from the cyclic collector.
app.state.settle_heap = True
