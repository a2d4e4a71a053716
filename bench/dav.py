#!/usr/bin/env python3
"""Request-path benchmark for Cellar, its figures as ratios to references started in the same run.

It starts, on 127.0.0.1 and free ports (every one stopped by PID at the end, temp dirs removed):

* a Cellar (``cellar serve``, ``CELLAR_WORKERS`` = the first ``--workers`` value, default 1;
  SQLite in a temp data dir, or a fresh PostgreSQL database with ``--database-url``);
* the framework's limit: bench/bare_app.py, a bare Starlette app answering a 1 KB body, on the same
  uvicorn options as ``cellar serve`` (bench/references.py);
* with ``--nginx``, the machine's limit: nginx serving a 1 KB static file.

Fixtures (master token): cell ``bench``, account ``alice`` (password), role ``r1`` linked to her,
her AR~ token (password grant); the cell ACL grants ``r1`` ``auth-read`` (apiref 289); box ``dav``
with collections ``get`` (a 1 KB file ``1k.txt``; ACL: ``r1`` ``read``, apiref 315), ``put``
(ACL: ``r1`` ``write``) holding ``--put-collections`` (64) collections, and ``list<N>`` (ACL:
``r1`` ``read``) of N 1 KB files for each ``--listings`` size (a collection holds 1,024 children
by default, as in Personium: the server runs with ``CELLAR_DAV_MAX_CHILDREN`` = the largest
size). Files are made with concurrent raw HTTP PUTs. Every fixture is checked (status and body) before it is measured.

Measured with wrk (bench/lua/cellar.lua) at 1 and 16 connections, every answer's status counted:

a. ``GET /bench/dav/get/1k.txt`` with alice's token (token, role lookup, ACL of the collection);
b. ``GET /bench/__ctl/Role('r1')`` (``Accept: application/json``) with alice's token, target
   >= 25 % of the bare Starlette rate;
c. ``PUT`` of a new 1 KB file with alice's token, a unique path per request, spread over the
   ``put/c<k>`` collections (at most 1,000 files each: the phase's request cap says so);
d. ``PROPFIND`` Depth 1 of each listing collection, and the time ratio to the smallest;
e. Create Cell (``POST /__ctl/Cell``, master token, unique names);
f. GET (a) again on a second Cellar per further ``--workers`` value (default 2): the speed-up;
g. GET (a) with alice's Basic credentials instead of her token, beside (a) (target >= 80 %).

The bare Starlette 1 KB GET runs first and last; every req/s is also printed as a share of the
mean of those two rates at the same connection count ("vs bare"). The 1 GB file-body memory
workload is bench/bodies.py (run it on its own: it needs the machine quiet and its own server).

    .venv/bin/python bench/dav.py [--duration 5] [--workers 1,2] [--nginx] [--quick]
                                  [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import importlib.metadata
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from auth import CELL, PASSWORD, SetupError, acl_body, expect  # noqa: E402 - after the sys.path line
from harness import (  # noqa: E402
    CONCURRENCY,
    REPO,
    Load,
    Request,
    Result,
    Server,
    add_common_arguments,
    backend_label,
    bulk_send,
    choose_client,
    client_label,
    log,
    print_footer,
    print_table,
    rss_line,
    run_load,
    run_phases,
    worker_counts,
)
from references import ONE_KB_PATH, BareStarlette, Nginx, nginx_version  # noqa: E402

BOX = "dav"
ROLE = "r1"
ONE_KB = b"x" * 1023 + b"\n"
GET_PATH = f"/{CELL}/{BOX}/get/1k.txt"
ROLE_PATH = f"/{CELL}/__ctl/Role('{ROLE}')"
PUT_ROOT = f"/{CELL}/{BOX}/put"
PER_COLLECTION = 1000  # PUTs per collection: below the default cap of 1,024 children
CLIENTS = (1, CONCURRENCY)
BODIES = REPO / "bench" / "bodies.py"


def listing_path(size: int) -> str:
    return f"/{CELL}/{BOX}/list{size}/"


# --------------------------------------------------------------------------- fixtures


class Fixtures:
    """The cell, account, role, ACLs, box and collections, made and checked through ``server``."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.client = httpx.Client(base_url=server.base, timeout=60)
        self.token = ""

    def close(self) -> None:
        self.client.close()

    def call(self, method: str, path: str, code: int, token: str | None = None, **kwargs: object) -> httpx.Response:
        """``method path`` with ``token`` (None: the master token; "": none), expecting ``code``."""
        bearer = self.server.token if token is None else token
        headers = {**({"Authorization": f"Bearer {bearer}"} if bearer else {}),
                   **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        response = self.client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        return expect(response, code, f"{method} {path}")

    def as_alice(self, method: str, path: str, code: int, **kwargs: object) -> httpx.Response:
        return self.call(method, path, code, self.token, **kwargs)

    def set_acl(self, path: str, privilege: str) -> None:
        body = acl_body(self.server.base, [ROLE], privilege).encode()
        self.call("ACL", path, 200, content=body, headers={"Content-Type": "application/xml"})

    def bulk(self, requests: list[Request], what: str, deadline: float) -> None:
        outcome = asyncio.run(bulk_send(self.server, requests, CONCURRENCY, deadline))
        if outcome != {201: len(requests)}:
            raise SetupError(f"{what}: {outcome} (expected {len(requests)} x 201)")

    def make_get(self) -> None:
        """Everything (a) and (b) need; checks that the file's GET is refused until the ACL exists."""
        ctl = f"/{CELL}/__ctl"
        self.call("POST", "/__ctl/Cell", 201, json={"Name": CELL})
        self.call("POST", f"{ctl}/Account", 201, json={"Name": "alice"}, headers={"X-Personium-Credential": PASSWORD})
        self.call("POST", f"{ctl}/Role", 201, json={"Name": ROLE})
        uri = f"{self.server.base}{ctl}/Role(Name='{ROLE}',_Box.Name=null)"
        self.call("POST", f"{ctl}/Account('alice')/$links/_Role", 204, json={"uri": uri})
        form = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        self.token = self.call("POST", f"/{CELL}/__token", 200, "", data=form).json()["access_token"]
        if not self.token.startswith("AR~"):
            raise SetupError(f"password grant gave {self.token[:20]!r}, expected an AR~ token")
        self.set_acl(f"/{CELL}/", "p:auth-read")
        self.call("POST", f"{ctl}/Box", 201, json={"Name": BOX})
        self.call("MKCOL", f"/{CELL}/{BOX}/get", 201)
        self.call("PUT", GET_PATH, 201, content=ONE_KB, headers={"Content-Type": "text/plain"})
        self.as_alice("GET", GET_PATH, 403)
        self.set_acl(f"/{CELL}/{BOX}/get", "D:read")
        if self.as_alice("GET", GET_PATH, 200).content != ONE_KB:
            raise SetupError(f"GET {GET_PATH} with alice's token: not the 1 KB body")
        role = self.as_alice("GET", ROLE_PATH, 200, headers={"Accept": "application/json"}).json()
        if role.get("d", {}).get("results", {}).get("Name") != ROLE:
            raise SetupError(f"GET {ROLE_PATH}: {str(role)[:200]}")

    def make_put(self, spread: int, deadline: float) -> None:
        """``put/c0`` .. ``put/c<spread-1>``, writable by r1; one PUT with alice's token tried."""
        self.call("MKCOL", PUT_ROOT, 201)
        self.set_acl(PUT_ROOT, "D:write")
        self.bulk([Request("MKCOL", f"{PUT_ROOT}/c{k}") for k in range(spread)], "MKCOL put/c<k>", deadline)
        self.as_alice("PUT", f"{PUT_ROOT}/c0/probe.txt", 201, content=ONE_KB, headers={"Content-Type": "text/plain"})

    def make_listing(self, size: int, deadline: float) -> None:
        """``list<size>/`` with ``size`` 1 KB files, readable by r1; PROPFIND lists them all."""
        path = listing_path(size)
        self.call("MKCOL", path, 201)
        self.set_acl(path, "D:read")
        started = time.monotonic()
        self.bulk([Request("PUT", f"{path}f{i:05d}.txt", ONE_KB, "text/plain") for i in range(size)],
                  f"PUT {size} files into {path}", deadline)
        rate = size / (time.monotonic() - started)
        answer = self.as_alice("PROPFIND", path, 207, headers={"Depth": "1"})
        responses = len(re.findall(r"<(?:\w+:)?response[\s>]", answer.text))
        if responses != size + 1:
            raise SetupError(f"PROPFIND {path} Depth 1: {responses} responses, expected {size + 1}")
        log(f"{self.server.tag}: {path}: {size} files PUT at {rate:.0f}/s; PROPFIND Depth 1 lists "
            f"{responses} responses in {len(answer.content)} bytes")


# --------------------------------------------------------------------------- phases


@dataclass
class Run:
    """Everything measured, keyed for the ratio lines."""

    results: list[Result] = field(default_factory=list)
    by_key: dict[tuple[str, int, int], Result] = field(default_factory=dict)  # (key, workers, clients)
    listings: list[int] = field(default_factory=list)
    peaks: list[tuple[int, str, list[tuple[int, str, int, int]]]] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)


class Bench:
    def __init__(self, args: argparse.Namespace, use_wrk: bool, run: Run) -> None:
        self.args, self.use_wrk, self.run = args, use_wrk, run

    def measure(self, server: Server, key: str, load_for: Callable[[int], Load]) -> None:
        """``load_for(clients)`` at 1 and 16 connections."""
        for clients in CLIENTS:
            result = run_load(server, load_for(clients), self.args.duration, self.args.max_requests, self.use_wrk)
            self.run.results.append(result)
            self.run.by_key[(key, server.workers, clients)] = result

    def bare(self, server: Server, when: str) -> None:
        self.measure(server, f"bare-{when}", lambda c: Load(f"ref: bare Starlette 1 KB GET ({when})", "fixed", c,
                                                            path=ONE_KB_PATH, token=""))

    def get_file(self, server: Server, token: str) -> None:
        self.measure(server, "a", lambda c: Load("a: GET 1 KB file, AR~ token + ACL", "fixed", c,
                                                 path=GET_PATH, token=token))

    def get_file_basic(self, server: Server) -> None:
        """(g): (a) with alice's Basic credentials, the password verified once and remembered."""
        basic = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        self.measure(server, "g", lambda c: Load("g: GET 1 KB file, Basic credentials + ACL", "fixed", c,
                                                 path=GET_PATH, authorization=basic))

    def put(self, server: Server, token: str) -> None:
        """(c): each phase's request cap keeps every collection at or under PER_COLLECTION files."""
        spread = self.args.put_collections
        left = spread * (PER_COLLECTION - 1)  # c0 holds the probe file
        for clients in CLIENTS:
            names = max(0, min(self.args.max_requests, left - spread))  # n % spread rounds up per collection
            load = Load("c: PUT new 1 KB file, AR~ token", "put", clients, name_count=names, expected=(201,),
                        prefix=f"p{clients}-", post_path=f"{PUT_ROOT}/c", token=token, body=ONE_KB.decode(),
                        content_type="text/plain", spread=spread)
            result = run_load(server, load, self.args.duration, self.args.max_requests, self.use_wrk)
            self.run.results.append(result)
            self.run.by_key[("c", server.workers, clients)] = result
            left -= result.posts

    def cellar(self, workers: int, servers: list[Server], first: bool) -> None:
        """One Cellar: every workload on the first one, only (a) on the others."""
        server = Server(workers, self.args.database_url, f"cellar-w{workers}",
                        {"CELLAR_DAV_MAX_CHILDREN": str(max([1024, *self.args.listings]))})
        servers.append(server)
        server.start()
        fixtures = Fixtures(server)
        try:
            fixtures.make_get()
            if first:
                deadline = time.monotonic() + self.args.populate_timeout
                fixtures.make_put(self.args.put_collections, deadline)
                for size in self.run.listings:
                    fixtures.make_listing(size, deadline)
        finally:
            fixtures.close()
        token = fixtures.token
        self.get_file(server, token)
        if first:
            self.get_file_basic(server)
            self.measure(server, "b", lambda c: Load(f"b: GET {ROLE_PATH}, AR~ token", "fixed", c,
                                                     path=ROLE_PATH, token=token))
            self.put(server, token)
            for size in self.run.listings:
                self.measure(server, f"d{size}", lambda c, size=size: Load(
                    f"d: PROPFIND Depth 1, {size} files", "fixed", c, path=listing_path(size), token=token,
                    method="PROPFIND", depth="1", expected=(207,)))
            self.measure(server, "e", lambda c: Load("e: Create Cell, master token", "create", c,
                                                     name_count=self.args.max_requests, prefix=f"c{c}-",
                                                     expected=(201,)))
        server.sample_memory()
        self.run.peaks.append((workers, server.tag, server.peak))
        server.stop()

    def all(self, notes: list[str], servers: list[Server]) -> None:
        counts = worker_counts(self.args)
        self.run.listings = sorted(self.args.listings)
        bare = BareStarlette()
        servers.append(bare)
        bare.start()
        self.bare(bare, "start")
        if self.args.nginx:
            nginx = Nginx()
            servers.append(nginx)
            nginx.start()
            self.measure(nginx, "nginx", lambda c: Load("ref: nginx 1 KB static GET", "fixed", c,
                                                        path=ONE_KB_PATH, token=""))
            nginx.stop()
        for i, workers in enumerate(counts):
            self.cellar(workers, servers, first=i == 0)
        self.bare(bare, "end")


# --------------------------------------------------------------------------- report


def bare_rate(run: Run, clients: int) -> float:
    rates = [r.rps for when in ("start", "end") if (r := run.by_key.get((f"bare-{when}", 1, clients)))]
    return sum(rates) / len(rates) if rates else 0.0


def share_2xx(r: Result) -> str:
    total = sum(r.statuses.values()) + sum(r.socket_errors.values())
    ok = sum(n for code, n in r.statuses.items() if 200 <= code < 300)
    return f"{100 * ok / total:.1f}%" if total else "-"


def versions() -> dict[str, str]:
    found = {"Python": platform.python_version(), "SQLite": sqlite3.sqlite_version}
    for dist in ("cellar", "uvicorn", "starlette", "uvloop", "httptools", "SQLAlchemy"):
        try:
            found[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
    try:
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        found["wrk"] = (out.stdout + out.stderr).split()[1]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        pass
    if nginx := nginx_version():
        found["nginx"] = nginx
    return found


def ratio_lines(run: Run, main_workers: int) -> list[str]:
    lines = []
    for clients in CLIENTS:
        ref = bare_rate(run, clients)
        b = run.by_key.get(("b", main_workers, clients))
        if b and ref:
            share = b.rps / ref
            lines.append(f"b c{clients}: control-object GET {b.rps:.0f} req/s = {100 * share:.1f}% of bare "
                         f"Starlette {ref:.0f} req/s ({'OK' if share >= 0.25 else 'UNDER'} target >= 25%)")
    for clients in CLIENTS:
        c = run.by_key.get(("c", main_workers, clients))
        if c:
            bad = {code: n for code, n in sorted(c.statuses.items()) if not 200 <= code < 300}
            bad.update({k: n for k, n in c.socket_errors.items() if n})
            lines.append(f"c c{clients}: PUT {c.rps:.0f} req/s, {c.posts} PUTs sent, 2xx share {share_2xx(c)}"
                         f"{', non-2xx ' + str(bad) if bad else ', no non-2xx answers'}"
                         f"{' (stopped on the files cap)' if c.cap_hit else ''}")
    for smaller, size in zip([None, *run.listings], run.listings, strict=False):
        for clients in CLIENTS:
            d = run.by_key.get((f"d{size}", main_workers, clients))
            base = run.by_key.get((f"d{smaller}", main_workers, clients))
            if not d or not d.rps:
                continue
            ratio = ""
            if base and base.rps and smaller:
                times, files = base.rps / d.rps, size / smaller
                verdict = "OK" if times <= files else "OVER"
                ratio = (f"; {d.p50_ms / base.p50_ms:.2f}x the p50 and {times:.2f}x the time per request of the "
                         f"{smaller}-file listing, for {files:.0f}x the files ({verdict}: target <= {files:.0f}x)")
            lines.append(f"d c{clients}: PROPFIND Depth 1 of {size} files ({d.requests} requests): p50 "
                         f"{d.p50_ms:.2f} ms, {1000 / d.rps:.2f} ms of server time per request "
                         f"({d.rps:.1f} req/s){ratio}")
    for clients in CLIENTS:
        one = run.by_key.get(("a", main_workers, clients))
        for workers in sorted({w for (key, w, _) in run.by_key if key == "a" and w != main_workers}):
            other = run.by_key.get(("a", workers, clients))
            if one and other and one.rps:
                lines.append(f"f c{clients}: GET (a) workers={workers} {other.rps:.0f} req/s vs "
                             f"workers={main_workers} {one.rps:.0f} req/s = {other.rps / one.rps:.2f}x")
        basic = run.by_key.get(("g", main_workers, clients))
        if one and basic and one.rps:
            share = basic.rps / one.rps
            lines.append(f"g c{clients}: GET with Basic {basic.rps:.0f} req/s vs Bearer (a) {one.rps:.0f} req/s = "
                         f"{100 * share:.0f}% ({'OK' if share >= 0.8 else 'UNDER'} target >= 80%)")
    return lines


def print_report(run: Run, args: argparse.Namespace, use_wrk: bool, notes: list[str], elapsed: float) -> None:
    print()
    print(f"# Cellar request path vs references started in the same run, on 127.0.0.1; "
          f"{backend_label(args.database_url)}; client {client_label(use_wrk)}")

    def vs_bare(r: Result) -> str:
        ref = bare_rate(run, r.clients)
        return f"{100 * r.rps / ref:.1f}%" if ref and r.requests else "-"

    flagged = print_table(run.results, [("vs bare", vs_bare), ("2xx", share_2xx)])
    print()
    main_workers = worker_counts(args)[0]
    for line in ratio_lines(run, main_workers):
        print(line)
    for workers, tag, peak in run.peaks:
        line = rss_line(workers, tag, peak)
        if line:
            print(line)
    print_footer(run.results, flagged, notes)
    print(f"vs bare: req/s as a share of the bare Starlette 1 KB GET at the same connection count "
          f"(mean of its first and last run: c1 {bare_rate(run, 1):.0f}, c{CONCURRENCY} "
          f"{bare_rate(run, CONCURRENCY):.0f} req/s)")
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "?")
    print(f"machine: {os.cpu_count()} cores ({model}); load average {run.load_before[0]:.2f} before, "
          f"{run.load_after[0]:.2f} after; {args.duration:g}s per phase, cap {args.max_requests} requests, "
          f"{len(run.results)} phases, total {elapsed:.0f}s")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in run.versions.items()))
    bodies = "" if BODIES.exists() else " (not in this tree yet)"
    print(f"file bodies (1 GB PUT/GET, RSS): .venv/bin/python bench/bodies.py{bodies}; not run here")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, workers="1,2")
    parser.add_argument("--quick", action="store_true", help="2 s per phase (a quick look; noisy figures)")
    parser.add_argument("--nginx", action="store_true", help="also measure nginx serving a 1 KB static file")
    parser.add_argument("--put-collections", type=int, default=64,
                        help="collections the PUTs spread over, 1,000 files each at most (default 64)")
    parser.add_argument("--listings", default="100,1000,10000",
                        help="PROPFIND collection sizes (the server holds as many children as the largest)")
    parser.add_argument("--populate-timeout", type=float, default=300.0,
                        help="bound for making the fixtures, seconds (default 300)")
    args = parser.parse_args(argv)
    args.listings = [int(s) for s in args.listings.split(",") if s.strip()]
    if args.quick:
        args.duration = min(args.duration, 2.0)
    if args.put_collections < 1 or not worker_counts(args):
        parser.error("--put-collections and --workers need at least one")

    use_wrk = choose_client(args.client, parser)
    run = Run(versions=versions(), load_before=os.getloadavg())
    started = time.monotonic()
    notes, code = run_phases(Bench(args, use_wrk, run).all)
    run.load_after = os.getloadavg()
    print_report(run, args, use_wrk, notes, time.monotonic() - started)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
