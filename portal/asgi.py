"""ASGI entry point for servers: `uvicorn portal.asgi:app`."""

from portal.app import create_app

app = create_app()
