#!/usr/bin/env python3
"""Where the time of an authenticated request goes: an in-process profile, not a test.

Builds the app with ``cellar.asgi.create`` on a fresh SQLite data dir, runs the fixtures of
bench/auth.py through Starlette's TestClient (same cells, accounts, roles, links, ACL, tokens),
and sends the requests of bench/auth.py one at a time. ``anyio.to_thread.run_sync`` is replaced by
an inline call, so that a request's whole work runs on the event-loop thread: its CPU time
(``time.thread_time``, insensitive to other processes on the machine) and a cProfile of it are
taken around each request.

Prints, per workload: CPU ms per request and SQL statements per request (unprofiled pass), then the
inclusive ms per request of the functions that matter (profiled pass; cProfile inflates every
figure, compare the columns with each other), and the top functions by own time for the AR~ GET.

    .venv/bin/python bench/auth_profile.py [--requests 400] [--roles 50] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth import BOX_FILE, CELL, FORM, OTHER, TARGET_PATH, Setup  # noqa: E402

PORT = 8999  # never listened on: the app only needs its unit URL
BASE = f"http://127.0.0.1:{PORT}"

#: (label, substring of "file:function") whose inclusive time is shown.
FUNCTIONS = (
    ("load_cell_request", "ctl.py:load_cell_request"),
    ("  find_cell", "cells.py:find_cell"),
    ("  load_acl (SELECT + from_json)", "acl_store.py:load_acl"),
    ("  cell_access (token -> context)", "credentials.py:cell_access"),
    ("    TokenCodec.decode (AES-GCM)", "tokens.py:decode"),
    ("    _current_roles", "credentials.py:_current_roles"),
    ("      account_roles (SELECT)", "roles.py:account_roles"),
    ("    saml.parse (verify)", "saml.py:parse"),
    ("    visitor_roles", "roles.py:visitor_roles"),
    ("authorize (ACL evaluation)", "authorize.py:authorize"),
    ("cell_request_in (box: cell + caller)", "ctl.py:cell_request_in"),
    ("locate (box path)", "tree.py:locate"),
    ("serve_odata (GET the entity)", "odata.py:serve_odata"),
    ("token endpoint handle", "token_endpoint.py:handle"),
    ("  verify_password (argon2)", "passwords.py:verify_password"),
    ("  saml.issue (RSA sign)", "saml.py:issue"),
    ("  record_login (history write)", "token_endpoint.py:record_login"),
    ("Storage.transaction (all)", "engine.py:transaction"),
    ("engine.connect + BEGIN", "engine.py:_on_begin"),
    ("sqlite3 execute", "~:<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("SQLAlchemy compile (cache miss)", "compiler.py:__init__"),
)


class Meter:
    """ASGI wrapper: thread CPU time and (optionally) a cProfile around every HTTP request."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.profile: cProfile.Profile | None = None
        self.cpu = 0.0
        self.count = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.thread_time()
        if self.profile:
            self.profile.enable()
        try:
            await self.app(scope, receive, send)
        finally:
            if self.profile:
                self.profile.disable()
            self.cpu += time.thread_time() - started
            self.count += 1


@dataclass
class Case:
    label: str
    method: str
    path: str
    headers: dict[str, str]
    body: str = ""
    share: int = 1  # requests = --requests // share


def inline_threadpool() -> None:
    import anyio.to_thread

    async def run_sync(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
        return func(*args)

    anyio.to_thread.run_sync = run_sync  # type: ignore[assignment]


def sql_count(stats: pstats.Stats) -> int:
    return sum(v[1] for k, v in stats.stats.items()  # type: ignore[attr-defined]
               if k[2] == "<method 'execute' of 'sqlite3.Cursor' objects>")


def inclusive(stats: pstats.Stats, needle: str) -> float:
    total = 0.0
    for (file, _, func), (_, _, _, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        if needle == f"{Path(file).name}:{func}" or (needle.startswith("~:") and func == needle[2:]):
            total = max(total, ct)  # recursion-safe: the outermost entry
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per GET workload (default 400)")
    parser.add_argument("--roles", type=int, default=50)
    parser.add_argument("--top", type=int, default=25, help="functions listed by own time (default 25)")
    args = parser.parse_args(argv)

    data_dir = Path(tempfile.mkdtemp(prefix="cellar-auth-profile-"))
    token = secrets.token_urlsafe(32)
    for name in ("CELLAR_CONFIG", "CELLAR_DATABASE_URL"):
        os.environ.pop(name, None)
    os.environ.update({"CELLAR_DATA_DIR": str(data_dir), "CELLAR_MASTER_TOKEN": token, "CELLAR_HOST": "127.0.0.1",
                       "CELLAR_PORT": str(PORT), "CELLAR_UNIT_URL": BASE + "/", "CELLAR_WORKERS": "1"})
    try:
        from starlette.testclient import TestClient

        from cellar.asgi import create
        from cellar.cli import _prepare

        _prepare(None)
        inline_threadpool()
        meter = Meter(create())
        with TestClient(meter, base_url=BASE) as client:
            setup = Setup(BASE, token, args.roles, client=client)
            fx = setup.run()
            setup.run_box(fx)
            get = {"Accept": "application/json"}
            cases = [
                Case("GET master", "GET", TARGET_PATH, {**get, "Authorization": f"Bearer {token}"}),
                Case(f"GET AR~ {args.roles} roles", "GET", TARGET_PATH, {**get, "Authorization": f"Bearer {fx.alice}"}),
                Case("GET AR~ 1 role", "GET", TARGET_PATH, {**get, "Authorization": f"Bearer {fx.bob}"}),
                Case("GET file master", "GET", BOX_FILE, {"Authorization": f"Bearer {token}"}),
                Case(f"GET file AR~ {args.roles}", "GET", BOX_FILE, {"Authorization": f"Bearer {fx.alice}"}),
                Case("password grant", "POST", f"/{CELL}/__token", {"Content-Type": FORM}, fx.password_form, 20),
                Case("refresh+p_target", "POST", f"/{CELL}/__token", {"Content-Type": FORM}, fx.trans_refresh_form, 4),
                Case("saml2-bearer", "POST", f"/{OTHER}/__token", {"Content-Type": FORM}, fx.saml2_form, 4),
            ]
            rows: list[tuple[Case, int, float, float, pstats.Stats]] = []
            for case in cases:
                n = max(5, args.requests // case.share)

                def send(case: Case = case) -> None:
                    response = client.request(case.method, case.path, headers=case.headers,
                                              content=case.body.encode() if case.body else None)
                    if response.status_code != 200:
                        raise RuntimeError(f"{case.label}: {response.status_code} {response.text[:200]}")

                for _ in range(max(3, n // 10)):  # warm-up (statement cache, keyring)
                    send()
                meter.cpu, meter.count = 0.0, 0
                wall = time.perf_counter()
                for _ in range(n):
                    send()
                wall = time.perf_counter() - wall
                cpu = meter.cpu / meter.count
                meter.profile = cProfile.Profile()
                for _ in range(n):
                    send()
                stats = pstats.Stats(meter.profile)
                meter.profile = None
                rows.append((case, n, cpu, wall / n, stats))
                print(f"[profile] {case.label}: {n} requests, {cpu * 1000:.2f} ms CPU each", file=sys.stderr)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"# in-process, one request at a time, SQLite; {args.roles} roles / ACEs for alice, 1 for bob")
    width = max(len(c.label) for c, *_ in rows)
    print(f"{'workload'.ljust(width)}  requests  CPU ms/req  wall ms/req  SQL/req")
    for case, n, cpu, wall, stats in rows:
        sql = sql_count(stats) / n
        print(f"{case.label.ljust(width)}  {n:8d}  {cpu * 1000:10.2f}  {wall * 1000:11.2f}  {sql:7.1f}")
    print()
    print("inclusive ms/request under cProfile (inflated; compare the columns):")
    labels = [c.label for c, *_ in rows]
    print(f"{'function'.ljust(34)}" + "".join(f"{lbl[:16]:>17}" for lbl in labels))
    for label, needle in FUNCTIONS:
        values = [inclusive(stats, needle) / n * 1000 for _, n, _, _, stats in rows]
        if max(values) < 0.005:
            continue
        print(label.ljust(34) + "".join(f"{v:17.3f}" if v else f"{'-':>17}" for v in values))
    print()
    for index in (1, 0):
        case, n, _, _, stats = rows[index]
        print(f"top {args.top} by own time, {case.label} (ms/request, calls/request):")
        entries = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])  # type: ignore[attr-defined]
        for (file, line, func), (_, nc, tt, _, _) in entries[:args.top]:
            where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if file != "~" else "builtin"
            print(f"  {tt / n * 1000:7.3f} ms  {nc / n:6.1f}x  {func}  ({where})")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
