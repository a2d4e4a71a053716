#!/usr/bin/env python3
"""Unit-level Cell API benchmark for Cellar: prints figures, it is not a test.

For each worker count (``--workers``, default 1 then 2) it starts a real ``cellar serve`` on
127.0.0.1 and a free port, with a fresh temporary data dir (or a fresh PostgreSQL database with
``--database-url``), a master token of its own and ``CELLAR_WORKERS`` set, and measures with
16 concurrent clients (one client for the "c1" rows):

* Create Cell   ``POST /__ctl/Cell {"Name": "c-<n>"}``                  (expects 201)
* then makes sure ``--cells`` (10,000) cells exist (bulk, concurrent, not measured);
* Retrieve Cell ``GET /__ctl/Cell('c-<random n>')``                      (expects 200)
* List Cell     ``GET /__ctl/Cell?$top=25&$filter=startswith(Name,'c-12')`` and
                ``GET /__ctl/Cell?$filter=Name eq 'c-12'``              (expects 200)

then starts a second fresh server holding only 10 cells and measures the same two lists
(1 and 16 clients), and prints the p50 ratio "10,000 cells / 10 cells" (target <= 2x).
Reported per row: req/s, p50 and p99 latency, requests, errors (non-2xx responses + socket errors;
any row with errors says so). Peak RSS (``VmHWM``) of the server process and of each uvicorn
worker child is read from /proc before the server is stopped (target < 150 MB per worker).

The server, load generators, fixtures and report are in ``bench/harness.py`` (shared with
``bench/ctl.py``). The load generator is ``wrk`` (installed with apt-get if missing and root) driven by
``bench/lua/cellar.lua``; without wrk (or with ``--client python``) a minimal asyncio HTTP/1.1
client is used instead (it competes with the server for the CPU, so its figures are lower; httpx
is used only for control requests, being ~2.5 ms of client CPU per request). Bulk creation uses
the asyncio client. Every load phase is bounded by
``--duration`` and ``--max-requests``; bulk creation is bounded by ``--populate-timeout``.
The servers started here are always stopped by PID, also on errors and Ctrl-C.

    .venv/bin/python bench/unit.py [--duration 5] [--cells 10000] [--workers 1,2]
                                   [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

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

SMALL_CELLS = ("c-12", *(f"c-12{i}" for i in range(9)))  # 10 cells, all match startswith 'c-12'
PREFIX_FILTER = "startswith(Name,'c-12')"
EQ_NAME = "c-12"


def list_path(filter_expr: str, top: int | None) -> str:
    return odata_query("/__ctl/Cell", filter_expr, top)


# --------------------------------------------------------------------------- main flow


@dataclass
class WorkerRun:
    workers: int
    results: list[Result] = field(default_factory=list)
    cells: int = 0
    peak: list[tuple[int, str, int, int]] = field(default_factory=list)
    small_peak: list[tuple[int, str, int, int]] = field(default_factory=list)


def bench_workers(run: WorkerRun, args: argparse.Namespace, use_wrk: bool, notes: list[str],
                  servers: list[Server]) -> None:
    """All phases for one worker count; results go into ``run`` as they come."""
    workers = run.workers
    sw_path = list_path(PREFIX_FILTER, 25)
    eq_path = list_path(f"Name eq '{EQ_NAME}'", None)

    def measure(server: Server, load: Load) -> Result:
        result = run_load(server, load, args.duration, args.max_requests, use_wrk)
        run.results.append(result)
        return result

    # --- big server: create, then N cells, then reads
    big = Server(workers, args.database_url, f"w{workers}-big")
    servers.append(big)
    big.start()
    create = measure(big, Load("create cell (POST)", "create", CONCURRENCY, name_count=args.cells,
                               expected=(201,)))
    first_new = min(args.cells, create.posts)
    run.cells = populate(big, "/__ctl/Cell", "c-", args.cells, first_new, args.populate_timeout, notes, "cells")
    check_list(big, sw_path, min(25, sum(1 for i in range(run.cells) if str(i).startswith("12"))), notes)
    check_list(big, eq_path, 1, notes)
    tag = f"{run.cells} cells"
    measure(big, Load(f"retrieve cell ({tag})", "retrieve", CONCURRENCY, name_count=run.cells))
    measure(big, Load(f"list startswith ({tag})", "fixed", CONCURRENCY, path=sw_path))
    measure(big, Load(f"list eq ({tag})", "fixed", CONCURRENCY, path=eq_path))
    measure(big, Load(f"list startswith ({tag})", "fixed", 1, path=sw_path))
    measure(big, Load(f"list eq ({tag})", "fixed", 1, path=eq_path))
    big.sample_memory()
    run.peak = big.peak
    big.stop()

    # --- small server: 10 cells, same lists
    small = Server(workers, args.database_url, f"w{workers}-small")
    servers.append(small)
    small.start()
    outcome = asyncio.run(bulk_post(small, "/__ctl/Cell", SMALL_CELLS, 4, time.monotonic() + 60))
    if outcome != {201: len(SMALL_CELLS)}:
        notes.append(f"{small.tag}: creating the 10 cells gave {outcome}")
    check_list(small, sw_path, len(SMALL_CELLS), notes)
    check_list(small, eq_path, 1, notes)
    tag = f"{len(SMALL_CELLS)} cells"
    for clients in (1, CONCURRENCY):
        measure(small, Load(f"list startswith ({tag})", "fixed", clients, path=sw_path))
        measure(small, Load(f"list eq ({tag})", "fixed", clients, path=eq_path))
    small.sample_memory()
    run.small_peak = small.peak
    small.stop()


def print_report(runs: list[WorkerRun], args: argparse.Namespace, use_wrk: bool, notes: list[str],
                 elapsed: float) -> None:
    print()
    print(f"# Cellar unit-level Cell API on 127.0.0.1; {backend_label(args.database_url)}; {os.cpu_count()} CPUs; "
          f"Python {platform.python_version()}; client {client_label(use_wrk)}; {args.duration:g}s per phase, "
          f"cap {args.max_requests} requests; total {elapsed:.0f}s")
    results = [r for run in runs for r in run.results]
    flagged = print_table(results)

    print()
    for run in runs:
        peaks = ((f"{run.cells}-cell server", run.peak), (f"{len(SMALL_CELLS)}-cell server", run.small_peak))
        for label, peak in peaks:
            line = rss_line(run.workers, label, peak)
            if line:
                print(line)

    print()
    for run in runs:
        by_key = {(r.workload.split(" (")[0], r.workload.endswith(f"({len(SMALL_CELLS)} cells)"), r.clients): r
                  for r in run.results}
        for kind in ("list startswith", "list eq"):
            for clients in (1, CONCURRENCY):
                big = by_key.get((kind, False, clients))
                small = by_key.get((kind, True, clients))
                line = ratio_line(f"list p50 ratio workers={run.workers} {kind} c{clients}", big, f"{run.cells} cells",
                                  small, "10 cells") if big and small else None
                if line:
                    print(line)
    print(f"(startswith returns 25 entries with {runs[0].cells if runs else '?'} cells but 10 with 10 cells; "
          f"'Name eq' returns 1 entry in both)")
    print_footer(results, flagged, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, workers="1,2")
    parser.add_argument("--cells", type=int, default=10_000, help="cells before the read phases (default 10000)")
    parser.add_argument("--populate-timeout", type=float, default=120.0,
                        help="bound for bulk creation of the cells, seconds (default 120)")
    args = parser.parse_args(argv)
    if args.cells < 1300:
        parser.error("--cells must be at least 1300 (so that startswith(Name,'c-12') matches 25+ cells)")

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
