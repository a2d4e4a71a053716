"""``cellar serve``: check the configuration, prepare the database, start uvicorn (several workers:
see ``cellar.workers``)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from cellar import __version__


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cellar", description="A Personium-compatible PDS server.")
    parser.add_argument("--version", action="version", version=f"cellar {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the unit")
    serve.add_argument("--config", type=Path, help="TOML file with settings (CELLAR_* variables win)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve_command(args.config)
    return 2


def serve_command(config: Path | None) -> int:
    from cellar.settings import SettingsError

    try:
        settings = _prepare(config)
    except SettingsError as exc:
        print(f"cellar: configuration error: {exc}", file=sys.stderr)
        return 2
    import uvicorn

    options = {"factory": True, "host": settings.host, "port": settings.port, "log_level": settings.log_level,
               "access_log": False, "server_header": False}
    if settings.workers == 1 or not hasattr(socket, "SO_REUSEPORT"):
        uvicorn.run("cellar.asgi:create", workers=settings.workers, **options)
        return 0
    from cellar.workers import serve

    serve(uvicorn.Config("cellar.asgi:create", workers=settings.workers, **options))
    return 0



def _prepare(config: Path | None):  # type: ignore[no-untyped-def]
    """Load settings, create the master token at first start, migrate; return the settings."""
    from sqlalchemy.exc import SQLAlchemyError

    from cellar.bootstrap import resolve_master_token
    from cellar.errors import PersoniumError
    from cellar.settings import SettingsError, load
    from cellar.storage import open_storage
    from cellar.storage.migrations import migrate

    if config is not None:
        os.environ["CELLAR_CONFIG"] = str(config)  # workers load the same file
    settings = load()
    settings, generated = resolve_master_token(settings, create=True)
    if generated:
        print(f"cellar: generated a master token, stored in {settings.data_dir / 'master-token'} "
              f"(mode 0600); it will not be shown again:\n{generated}", flush=True)
    try:
        storage = open_storage(settings.database_url)
        migrate(storage)
        storage.dispose()
    except (SQLAlchemyError, PersoniumError) as exc:
        cause = exc.__cause__ if isinstance(exc, PersoniumError) else exc
        reason = str(getattr(cause, "orig", None) or cause).strip().splitlines()[0]
        raise SettingsError(f"cannot open the database: {reason}") from None
    print(f"cellar: unit {settings.unit_url} listening on http://{settings.host}:{settings.port}/", flush=True)
    return settings


if __name__ == "__main__":
    raise SystemExit(main())
