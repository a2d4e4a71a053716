"""Configuration: one typed table, read from ``CELLAR_*`` variables over an optional TOML file.

Precedence: built-in defaults < TOML file (``CELLAR_CONFIG`` or ``--config``) < environment.
Nothing reads ``os.environ`` after :func:`load`; the app receives a frozen :class:`Settings`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class SettingsError(Exception):
    """Bad configuration; the CLI prints it as one line and stops."""


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    unit_url: str = ""  # derived from port when empty
    master_token: str | None = None  # None: generated at first start; "": no master token
    data_dir: Path = Path("./data")
    database_url: str = ""  # derived from data_dir when empty
    cell_url_mode: str = "path"
    workers: int = dataclass_field(default_factory=lambda: os.cpu_count() or 1)
    log_level: str = "warning"
    trusted_ca_files: tuple[Path, ...] = ()
    unit_user_issuers: tuple[str, ...] = ()
    authn_interval: int = 1
    lock_count: int = 0
    lock_time: int = 0
    introspect_username: str = ""
    introspect_password: str = ""
    max_file_size: int = 100 * 1024 * 1024
    event_poll_interval: int = 200
    event_retention: int = 3600
    upload_lease: int = 300
    dav_max_children: int = 1024
    message_timeout: int = 10
    event_log_size: int = 1024 * 1024

    @property
    def path_based_cell_url(self) -> bool:
        return self.cell_url_mode == "path"


@dataclass(frozen=True)
class Field:
    name: str
    env: str
    parse: Callable[[str], Any]
    help: str


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise ValueError("must be 1..65535")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 64:
        raise ValueError("must be 1..64")
    return value


def _paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(part) for part in text.replace(",", " ").split())


def _urls(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(f"must be {low}..{high}")
        return value

    return parse


def _mode(text: str) -> str:
    if text not in ("path", "fqdn"):
        raise ValueError("must be 'path' or 'fqdn'")
    return text


FIELDS: tuple[Field, ...] = (
    Field("host", "CELLAR_HOST", str, "Address to listen on."),
    Field("port", "CELLAR_PORT", _port, "TCP port to listen on."),
    Field("unit_url", "CELLAR_UNIT_URL", str,
          "Public URL of the unit (default http://localhost:PORT/); every URL in responses is built from it."),
    Field("master_token", "CELLAR_MASTER_TOKEN", str,
          "Bearer token acting as unit admin. Unset: generated at first start into DATA_DIR/master-token. "
          "Empty: no master token."),
    Field("data_dir", "CELLAR_DATA_DIR", Path, "Directory for the SQLite database, secrets and files."),
    Field("database_url", "CELLAR_DATABASE_URL", str,
          "SQLAlchemy or plain URL: sqlite:///path or postgresql://user@host:port/db (default: SQLite in DATA_DIR)."),
    Field("cell_url_mode", "CELLAR_CELL_URL_MODE", _mode,
          "'path': {UnitURL}{cell}/ ; 'fqdn': {cell}.{unit host}, taken from the Host header."),
    Field("workers", "CELLAR_WORKERS", _workers, "Number of worker processes (default: the number of cores)."),
    Field("log_level", "CELLAR_LOG_LEVEL", str, "uvicorn log level."),
    Field("trusted_ca_files", "CELLAR_TRUSTED_CA_FILES", _paths,
          "PEM files of root CAs whose units' trans-cell tokens are trusted (besides this unit's own CA)."),
    Field("unit_user_issuers", "CELLAR_UNIT_USER_ISSUERS", _urls,
          "Space-separated cell URLs whose trans-cell tokens for the unit URL act as unit user tokens."),
    Field("authn_interval", "CELLAR_AUTHN_INTERVAL", _bounded(0, 3600),
          "Seconds a password login stays locked after a failure (Personium: 1)."),
    Field("lock_count", "CELLAR_LOCK_COUNT", _bounded(0, 100),
          "Failures that lock an account (0: never; Personium authn.account.lockCount)."),
    Field("lock_time", "CELLAR_LOCK_TIME", _bounded(0, 2592000), "Seconds an account stays locked."),
    Field("introspect_username", "CELLAR_INTROSPECT_USERNAME", str, "Basic user allowed to call __introspect."),
    Field("introspect_password", "CELLAR_INTROSPECT_PASSWORD", str, "Its password."),
    Field("max_file_size", "CELLAR_MAX_FILE_SIZE", _bounded(1, 2**40),
          "Largest WebDAV file body accepted, in bytes (larger → 413 PR413-MC-0001)."),
    Field("event_poll_interval", "CELLAR_EVENT_POLL_INTERVAL", _bounded(10, 60000),
          "Milliseconds between reads of other processes' events on SQLite (PostgreSQL is notified)."),
    Field("event_retention", "CELLAR_EVENT_RETENTION", _bounded(60, 30 * 86400),
          "Seconds committed events are kept in the outbox for every process to read."),
    Field("upload_lease", "CELLAR_UPLOAD_LEASE", _bounded(1, 86400),
          "Seconds an upload may go without receiving a chunk before its partial body may be swept."),
    Field("dav_max_children", "CELLAR_DAV_MAX_CHILDREN", _bounded(1, 1_000_000),
          "Children a WebDAV collection may hold (more → 400 PR400-DV-0007; Personium dav.childresource.maxnum)."),
    Field("message_timeout", "CELLAR_MESSAGE_TIMEOUT", _bounded(1, 600),
          "Seconds a message delivery to one recipient may take before it is recorded as failed."),
    Field("event_log_size", "CELLAR_EVENT_LOG_SIZE", _bounded(1024, 2**31),
          "Bytes a cell's event log (__log/current/default.log) reaches before it is archived."),
)


def load(environ: Mapping[str, str] | None = None, config_file: Path | None = None) -> Settings:
    """Build settings from defaults, the TOML file, then the environment; validate them."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    file = config_file or (Path(environ["CELLAR_CONFIG"]) if environ.get("CELLAR_CONFIG") else None)
    if file is not None:
        values.update(_read_toml(file))
    for field in FIELDS:
        if field.env in environ:
            values[field.name] = _parse(field, environ[field.env])
    return finish(Settings(**values))


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(file.read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read config file {file}: {exc}") from None
    by_name = {f.name: f for f in FIELDS}
    values = {}
    for key, value in raw.items():
        if key not in by_name:
            raise SettingsError(f"unknown key {key!r} in {file}")
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        values[key] = _parse(by_name[key], text)
    return values


def _parse(field: Field, text: str) -> Any:
    try:
        return field.parse(text)
    except ValueError as exc:
        raise SettingsError(f"{field.env}={text!r}: {exc}") from None


def finish(settings: Settings) -> Settings:
    """Fill derived defaults and check combinations."""
    unit_url = settings.unit_url or f"http://localhost:{settings.port}/"
    parts = urlsplit(unit_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"CELLAR_UNIT_URL={unit_url!r}: must be an http(s) URL")
    if parts.query or parts.fragment:
        raise SettingsError(f"CELLAR_UNIT_URL={unit_url!r}: must not have a query or fragment")
    if parts.path not in ("", "/"):
        raise SettingsError(f"CELLAR_UNIT_URL={unit_url!r}: a unit is served at the root path '/'")
    unit_url = f"{parts.scheme}://{parts.netloc.lower()}/"
    database_url = settings.database_url or f"sqlite:///{(settings.data_dir / 'cellar.db').resolve()}"
    return replace(settings, unit_url=unit_url, database_url=normalize_database_url(database_url))


def normalize_database_url(url: str) -> str:
    """Accept URLs as users write them (``postgresql://``, ``postgres://``) and pick our drivers."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(f"CELLAR_DATABASE_URL={url!r}: not a URL")
    base = scheme.split("+", 1)[0]
    if base in ("postgresql", "postgres"):
        return f"postgresql+psycopg://{rest}"
    if base == "sqlite":
        return f"sqlite://{rest}"
    raise SettingsError(f"CELLAR_DATABASE_URL={url!r}: only sqlite and postgresql are supported")




assert {f.name for f in FIELDS} == {f.name for f in fields(Settings)}
