"""First-start preparation shared by the CLI and every worker: data dir and the master token."""

from __future__ import annotations

import os
import secrets
from dataclasses import replace
from pathlib import Path

from cellar.settings import Settings, SettingsError

TOKEN_FILE = "master-token"


def token_path(settings: Settings) -> Path:
    return settings.data_dir / TOKEN_FILE


def resolve_master_token(settings: Settings, *, create: bool) -> tuple[Settings, str | None]:
    """Settings with the master token filled in; also the token if it was generated just now.

    An explicitly configured value (even empty, meaning "no master token") is used as is.
    """
    if settings.master_token is not None:
        return settings, None
    path = token_path(settings)
    if path.exists():
        return replace(settings, master_token=path.read_text("utf-8").strip()), None
    if not create:
        raise SettingsError(f"no master token configured and {path} does not exist")
    token = secrets.token_urlsafe(32)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its token
        return resolve_master_token(settings, create=False)
    except OSError as exc:
        raise SettingsError(f"cannot write {path}: {exc.strerror}") from None
    with os.fdopen(fd, "w") as file:
        file.write(token + "\n")
    return replace(settings, master_token=token), token
