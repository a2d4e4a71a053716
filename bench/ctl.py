#!/usr/bin/env python3
"""Cell control objects benchmark for Cellar (Account, Role): prints figures, it is not a test.

For each worker count (``--workers``, default 1) it starts a real ``cellar serve`` on 127.0.0.1
and a free port (fresh temp data dir, or a fresh PostgreSQL database with ``--database-url``; own
master token; ``CELLAR_WORKERS``), creates ONE cell ``POST /__ctl/Cell {"Name":"bench"}`` and
measures inside it, always with ``Accept: application/json`` and the master token, with 16
concurrent clients (one client for the "c1" rows):

* Create  ``POST /bench/__ctl/Account {"Name":"a-<n>"}`` (no ``X-Personium-Credential``, so no
          password hashing) and ``POST /bench/__ctl/Role {"Name":"r-<n>"}`` (main box)  (expects 201)
* then makes sure ``--objects`` (100,000) accounts and roles exist (bulk, concurrent, not measured,
  bounded by ``--populate-timeout`` per type; counted with ``$inlinecount=allpages&$top=0``);
* Retrieve ``GET /bench/__ctl/Account('a-<random n>')``, ``GET /bench/__ctl/Role(Name='r-<random n>')``
* List     ``GET /bench/__ctl/Account?$top=25&$filter=startswith(Name,'a-12')`` and
           ``GET /bench/__ctl/Account?$filter=Name eq 'a-12'`` (same for Role, 'r-12')  (expects 200)

then starts a second fresh server whose cell holds only ``--small-objects`` (100) accounts and
roles, all named ``<prefix>12…`` so that the startswith list returns 25 entries in both cases,
measures the same lists (1 and 16 clients) and prints the p50 ratio "100,000 / 100" (target <= 2x).

Report, load generator (wrk + bench/lua/cellar.lua, or ``--client python``), CPU columns, peak RSS
and the handling of servers (stopped by PID, also on errors and Ctrl-C) are those of
``bench/unit.py``, shared through ``bench/harness.py``.

    .venv/bin/python bench/ctl.py [--duration 5] [--objects 100000] [--workers 1]
                                  [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402 - after the sys.path line, so that it runs from anywhere
    CONCURRENCY,
    Load,
    Result,
    Server,
    add_common_arguments,
    backend_label,
    bulk_post,
    check_list,
    choose_client,
    client_label,
    count_entities,
    log,
    odata_query,
    populate,
    print_footer,
    print_table,
    ratio_line,
    rss_line,
    run_load,
    run_phases,
    worker_counts,
)

CELL = "bench"
CTL = f"/{CELL}/__ctl"


@dataclass(frozen=True)
class Kind:
    """One cell control entity set."""

    noun: str  # "account"
    entity_set: str  # "Account"
    prefix: str  # "a-"
    get_template: str  # retrieve path, "{}" = name

    @property
    def collection(self) -> str:
        return f"{CTL}/{self.entity_set}"

    @property
    def plural(self) -> str:
        return self.noun + "s"

    @property
    def stem(self) -> str:
        """Names the lists look for: startswith(Name,'<stem>') and Name eq '<stem>'."""
        return f"{self.prefix}12"

    def startswith_path(self) -> str:
        return odata_query(self.collection, f"startswith(Name,'{self.stem}')", 25)

    def eq_path(self) -> str:
        return odata_query(self.collection, f"Name eq '{self.stem}'")


def populate_direct(server: Server, kind: Kind, first_new: int, total: int) -> int:
    """Insert ``<prefix>first_new`` .. ``<prefix>(total-1)`` as rows, the way the server stores them
    (setup only: creation over HTTP is what the create phase measures). Returns the count after."""
    from sqlalchemy import create_engine, insert, select

    from cellar.settings import normalize_database_url
    from cellar.storage import tables

    url = server.pg.url if server.pg else f"sqlite:///{server.data_dir / 'cellar.db'}"
    engine = create_engine(normalize_database_url(url))
    table = tables.accounts if kind.noun == "account" else tables.roles
    extra = {"type": "basic", "status": "active"} if kind.noun == "account" else {}
    started, stamp = time.monotonic(), int(time.time() * 1000)
    with engine.begin() as conn:
        cell_id = conn.execute(select(tables.cells.c.id).where(tables.cells.c.name == CELL)).scalar_one()
        for start in range(first_new, total, 5000):
            rows = [{"id": uuid.uuid4().hex, "cell_id": cell_id, "name": f"{kind.prefix}{i}", **extra,
                     "published": stamp, "updated": stamp, "version": 1}
                    for i in range(start, min(total, start + 5000))]
            conn.execute(insert(table), rows)
    engine.dispose()
    have = count_entities(server, kind.collection)
    log(f"{server.tag}: inserted {total - first_new} {kind.plural} directly in {time.monotonic() - started:.1f}s; "
        f"{have} now")
    return have


KINDS = (
    Kind("account", "Account", "a-", CTL + "/Account('{}')"),
    Kind("role", "Role", "r-", CTL + "/Role(Name='{}')"),
)
LISTS = ("startswith", "eq")


def small_names(prefix: str, count: int) -> list[str]:
    """``count`` names that all start with ``<prefix>12``: 12, 120..129, 1200..1299, ..."""
    names: list[str] = []
    width = 0
    while len(names) < count:
        names += [f"{prefix}12{i:0{width}d}" if width else f"{prefix}12" for i in range(10**width)]
        width += 1
    return names[:count]


def matching(prefix: str, stem: str, count: int) -> int:
    """How many of ``<prefix>0`` .. ``<prefix>(count-1)`` start with ``stem``."""
    digits = stem[len(prefix):]
    return sum(1 for i in range(count) if str(i).startswith(digits))


def create_cell(server: Server) -> None:
    response = httpx.post(server.base + "/__ctl/Cell", json={"Name": CELL}, headers=server.headers(), timeout=30)
    if response.status_code != 201:
        raise RuntimeError(f"POST /__ctl/Cell {CELL} -> {response.status_code}: {response.text[:300]}")


def check_retrieve(server: Server, kind: Kind, count: int, notes: list[str]) -> None:
    """GET the first, the last and a middle entity: 200 with the right Name."""
    for n in sorted({0, count // 2, count - 1}):
        name = f"{kind.prefix}{n}"
        path = kind.get_template.replace("{}", name)
        response = httpx.get(server.base + path, headers=server.headers(), timeout=30)
        got = response.json().get("d", {}).get("results", {}).get("Name") if response.status_code == 200 else None
        if got != name:
            notes.append(f"{server.tag}: GET {path} -> {response.status_code}, Name {got!r}: {response.text[:200]}")


@dataclass
class Fill:
    """Bulk creation of one entity set on the big server."""

    kind: Kind
    wanted: int
    have: int = 0
    created: int = 0
    seconds: float = 0.0


@dataclass
class WorkerRun:
    workers: int
    results: list[Result] = field(default_factory=list)
    #: (noun, list kind, "big"/"small", clients) -> result
    lists: dict[tuple[str, str, str, int], Result] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fills: list[Fill] = field(default_factory=list)
    peak: list[tuple[int, str, int, int]] = field(default_factory=list)
    small_peak: list[tuple[int, str, int, int]] = field(default_factory=list)


def bench_workers(run: WorkerRun, args: argparse.Namespace, use_wrk: bool, notes: list[str],
                  servers: list[Server]) -> None:
    """All phases for one worker count; results go into ``run`` as they come."""
    workers = run.workers

    def measure(server: Server, load: Load) -> Result:
        result = run_load(server, load, args.duration, args.max_requests, use_wrk)
        run.results.append(result)
        return result

    def measure_lists(server: Server, kind: Kind, size: str, tag: str, clients: int) -> None:
        for list_kind, path in zip(LISTS, (kind.startswith_path(), kind.eq_path()), strict=True):
            result = measure(server, Load(f"list {kind.noun} {list_kind} ({tag})", "fixed", clients, path=path))
            run.lists[(kind.noun, list_kind, size, clients)] = result

    # --- big server: create, then N objects per type, then reads
    big = Server(workers, args.database_url, f"w{workers}-big")
    servers.append(big)
    big.start()
    create_cell(big)
    first_new: dict[str, int] = {}
    for kind in KINDS:
        create = measure(big, Load(f"create {kind.noun} (POST)", "create", CONCURRENCY, name_count=args.objects,
                                   expected=(201,), prefix=kind.prefix, post_path=kind.collection,
                                   get_template=kind.get_template))
        first_new[kind.noun] = min(args.objects, create.posts)
    for kind in KINDS:
        fill = Fill(kind, args.objects)
        started = time.monotonic()
        before = count_entities(big, kind.collection)
        if args.populate == "direct":
            populate(big, kind.collection, kind.prefix, first_new[kind.noun], first_new[kind.noun],
                     args.populate_timeout, notes, kind.plural)
            fill.have = populate_direct(big, kind, first_new[kind.noun], args.objects)
        else:
            fill.have = populate(big, kind.collection, kind.prefix, args.objects, first_new[kind.noun],
                                 args.populate_timeout, notes, kind.plural)
        fill.seconds, fill.created = time.monotonic() - started, fill.have - before
        run.fills.append(fill)
        run.counts[kind.noun] = fill.have
    for kind in KINDS:
        count = run.counts[kind.noun]
        names = {f"{kind.prefix}{i}" for i in range(count)}
        check_list(big, kind.startswith_path(), min(25, matching(kind.prefix, kind.stem, count)), notes,
                   names={n for n in names if n.startswith(kind.stem)})
        check_list(big, kind.eq_path(), 1, notes, names={kind.stem})
        check_retrieve(big, kind, count, notes)
    for kind in KINDS:
        tag = f"{run.counts[kind.noun]} {kind.plural}"
        measure(big, Load(f"retrieve {kind.noun} ({tag})", "retrieve", CONCURRENCY,
                          name_count=run.counts[kind.noun], prefix=kind.prefix, get_template=kind.get_template))
    for clients in (CONCURRENCY, 1):
        for kind in KINDS:
            measure_lists(big, kind, "big", f"{run.counts[kind.noun]} {kind.plural}", clients)
    big.sample_memory()
    run.peak = big.peak
    big.stop()

    # --- small server: --small-objects per type, same lists
    small = Server(workers, args.database_url, f"w{workers}-small")
    servers.append(small)
    small.start()
    create_cell(small)
    for kind in KINDS:
        names = small_names(kind.prefix, args.small_objects)
        outcome = asyncio.run(bulk_post(small, kind.collection, names, 4, time.monotonic() + 120))
        have = count_entities(small, kind.collection)
        if outcome != {201: len(names)} or have != len(names):
            notes.append(f"{small.tag}: creating the {len(names)} {kind.plural} gave {outcome}, {have} exist")
        check_list(small, kind.startswith_path(), min(25, len(names)), notes, names=set(names))
        check_list(small, kind.eq_path(), 1, notes, names={kind.stem})
    for clients in (1, CONCURRENCY):
        for kind in KINDS:
            measure_lists(small, kind, "small", f"{args.small_objects} {kind.plural}", clients)
    small.sample_memory()
    run.small_peak = small.peak
    small.stop()


def print_report(runs: list[WorkerRun], args: argparse.Namespace, use_wrk: bool, notes: list[str],
                 elapsed: float) -> None:
    print()
    print(f"# Cellar cell control objects (Account, Role in one cell) on 127.0.0.1; "
          f"{backend_label(args.database_url)}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
          f"client {client_label(use_wrk)}; {args.duration:g}s per phase, cap {args.max_requests} requests; "
          f"total {elapsed:.0f}s")
    results = [r for run in runs for r in run.results]
    flagged = print_table(results)

    print()
    for run in runs:
        for fill in run.fills:
            rate = fill.created / fill.seconds if fill.seconds else 0.0
            eta = (f"; {fill.wanted} would take ~{fill.wanted / rate / 60:.1f} min at this rate"
                   if fill.have < fill.wanted and rate else "")
            how = "rows inserted into the database, setup only" if args.populate == "direct" else "16 clients"
            print(f"bulk creation workers={run.workers} {fill.kind.plural}: {fill.created} created in "
                  f"{fill.seconds:.0f}s ({rate:.0f}/s, {how}); {fill.have} of {fill.wanted} exist{eta}")

    print()
    for run in runs:
        counts = "/".join(str(run.counts.get(k.noun, "?")) for k in KINDS)
        for label, peak in ((f"{counts}-account/role server", run.peak),
                            (f"{args.small_objects}-account/role server", run.small_peak)):
            line = rss_line(run.workers, label, peak)
            if line:
                print(line)

    print()
    for run in runs:
        for kind in KINDS:
            for list_kind in LISTS:
                for clients in (1, CONCURRENCY):
                    big = run.lists.get((kind.noun, list_kind, "big", clients))
                    small = run.lists.get((kind.noun, list_kind, "small", clients))
                    line = ratio_line(f"list p50 ratio workers={run.workers} {kind.noun} {list_kind} c{clients}",
                                      big, f"{run.counts.get(kind.noun)} {kind.plural}",
                                      small, f"{args.small_objects} {kind.plural}") if big and small else None
                    if line:
                        print(line)
    print(f"(startswith returns 25 entries and 'Name eq' 1 entry on both servers: the {args.small_objects} "
          f"small-server names all start with a-12 / r-12)")
    print_footer(results, flagged, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, workers="1")
    parser.add_argument("--objects", type=int, default=100_000,
                        help="accounts and roles (each) before the read phases (default 100000)")
    parser.add_argument("--small-objects", type=int, default=100,
                        help="accounts and roles (each) on the small server (default 100)")
    parser.add_argument("--populate", choices=("direct", "http"), default="direct",
                        help="how the objects beyond the measured create phase are made: rows inserted "
                             "straight into the database (default, fast) or POSTs over HTTP")
    parser.add_argument("--populate-timeout", type=float, default=600.0,
                        help="bound for the bulk creation of each entity set, seconds (default 600)")
    args = parser.parse_args(argv)
    if args.objects < 1300:
        parser.error("--objects must be at least 1300 (so that startswith(Name,'a-12') matches 25+ names)")
    if args.small_objects < 25:
        parser.error("--small-objects must be at least 25 (so that the startswith list returns 25 entries)")

    use_wrk = choose_client(args.client, parser)
    started = time.monotonic()
    runs: list[WorkerRun] = []

    def phases(notes: list[str], servers: list[Server]) -> None:
        for count in worker_counts(args):
            runs.append(WorkerRun(count))
            bench_workers(runs[-1], args, use_wrk, notes, servers)

    notes, code = run_phases(phases)
    print_report(runs, args, use_wrk, notes, time.monotonic() - started)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
