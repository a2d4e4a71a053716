"""The worker entry point: ``uvicorn --factory cellar.asgi:create``; settings come from the environment."""

from __future__ import annotations

from starlette.applications import Starlette

from cellar.app import create_app
from cellar.bootstrap import resolve_master_token
from cellar.settings import load


def create() -> Starlette:
    settings, _ = resolve_master_token(load(), create=False)
    return create_app(settings)
