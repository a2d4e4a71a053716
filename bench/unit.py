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

The load generator is ``wrk`` (installed with apt-get if missing and root) driven by
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
import json
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
LUA_SCRIPT = REPO / "bench" / "lua" / "cellar.lua"
CONCURRENCY = 16
SMALL_CELLS = ("c-12", *(f"c-12{i}" for i in range(9)))  # 10 cells, all match startswith 'c-12'
PREFIX_FILTER = "startswith(Name,'c-12')"
EQ_NAME = "c-12"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """One measured load phase."""

    workload: str
    workers: int
    clients: int
    rps: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    client: str = "wrk"
    server_cpu: float = float("nan")  # cores used by the server processes during the phase
    other_cpu: float = float("nan")  # cores used by everything except server and load generator
    cap_hit: bool = False
    failed: str = ""  # the load generator itself failed
    posts: int = 0  # create: POSTs sent (names c-0 .. c-(posts-1))
    expected: tuple[int, ...] = (200,)

    @property
    def errors(self) -> int:
        bad = sum(n for code, n in self.statuses.items() if not 200 <= code < 300)
        return bad + sum(self.socket_errors.values())

    def error_detail(self) -> str:
        parts = [f"HTTP {code} x{n}" for code, n in sorted(self.statuses.items()) if not 200 <= code < 300]
        parts += [f"{kind} x{n}" for kind, n in self.socket_errors.items() if n]
        unexpected = {c: n for c, n in self.statuses.items() if 200 <= c < 300 and c not in self.expected}
        parts += [f"(2xx other than {self.expected}: {unexpected})"] if unexpected else []
        return ", ".join(parts)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(pct / 100 * len(sorted_values) + 0.4999)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cellar_command() -> list[str]:
    exe = REPO / ".venv" / "bin" / "cellar"
    if exe.exists():
        return [str(exe), "serve"]
    found = shutil.which("cellar")
    return [found, "serve"] if found else [sys.executable, "-m", "cellar", "serve"]


def listening_addresses(port: int) -> set[str]:
    """Local addresses in LISTEN state on ``port`` (from /proc/net/tcp{,6})."""
    found: set[str] = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            addr, port_hex = cols[1].split(":")
            if cols[3] == "0A" and int(port_hex, 16) == port:
                if len(addr) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(addr)[::-1]))
                else:
                    found.add("v6:" + addr)
    return found


class PostgresDatabase:
    """A throwaway database created next to the one in ``--database-url`` (needs CREATEDB)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.name = f"cellar_bench_{secrets.token_hex(4)}"
        parts = urlsplit(admin_url)
        self.url = urlunsplit(parts._replace(path="/" + self.name))

    def _execute(self, sql: str) -> None:
        import psycopg

        plain = self.admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def create(self) -> None:
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        try:
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - cleanup must not hide the real error
            log(f"could not drop database {self.name}: {exc}")


class Server:
    """One ``cellar serve`` process (plus uvicorn worker children) on 127.0.0.1."""

    def __init__(self, workers: int, database_url: str | None, tag: str) -> None:
        self.workers = workers
        self.tag = tag
        self.token = secrets.token_urlsafe(32)
        self.port = 0
        self.base = ""
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"cellar-bench-{tag}-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.pg = PostgresDatabase(database_url) if database_url else None
        self.peak: list[tuple[int, str, int, int]] = []  # (pid, role, VmHWM kB, VmRSS kB)

    def start(self, timeout: float = 60.0) -> None:
        if self.pg:
            self.pg.create()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "CELLAR_HOST": "127.0.0.1",
            "CELLAR_PORT": str(self.port),
            "CELLAR_UNIT_URL": f"http://127.0.0.1:{self.port}/",
            "CELLAR_MASTER_TOKEN": self.token,
            "CELLAR_DATA_DIR": str(self.data_dir),
            "CELLAR_WORKERS": str(self.workers),
        }
        env.pop("CELLAR_CONFIG", None)
        if self.pg:
            env["CELLAR_DATABASE_URL"] = self.pg.url
        else:
            env.pop("CELLAR_DATABASE_URL", None)
        log_file = open(self.data_dir / "server.log", "wb")
        self.proc = subprocess.Popen(
            cellar_command(), env=env, cwd=self.data_dir, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"cellar serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"cellar serve did not answer GET / within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)
        addresses = listening_addresses(self.port)
        if addresses and addresses != {"127.0.0.1"}:
            raise RuntimeError(f"refusing to benchmark: port {self.port} listens on {addresses}, not loopback only")
        if self.workers > 1:  # wait until every worker has started (the first one may answer alone)
            deadline = time.monotonic() + timeout
            while len(self.workers_pids()) < self.workers and time.monotonic() < deadline:
                time.sleep(0.1)
        log(f"{self.tag}: cellar serve pid {self.proc.pid}, workers={self.workers}, {self.base}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join((self.data_dir / "server.log").read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def descendants(self) -> list[int]:
        """PIDs of all processes below the server process (scan of /proc/*/stat)."""
        if self.proc is None:
            return []
        parent_of: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parent_of[int(entry.name)] = ppid
        result: list[int] = []
        frontier = [self.proc.pid]
        while frontier:
            parent = frontier.pop()
            kids = [pid for pid, ppid in parent_of.items() if ppid == parent]
            result += kids
            frontier += kids
        return sorted(result)

    @staticmethod
    def _cmdline(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return ""

    def workers_pids(self) -> list[int]:
        return [pid for pid in self.descendants() if "resource_tracker" not in self._cmdline(pid)]

    def sample_memory(self) -> None:
        """Record VmHWM (peak RSS) and VmRSS of the server process and its children."""
        if self.proc is None:
            return
        self.peak = []
        children = self.descendants()
        for pid in [self.proc.pid, *children]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            values = {}
            for line in status.splitlines():
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0])
            cmd = self._cmdline(pid)
            if pid == self.proc.pid:
                role = "supervisor" if children else "server (single process, serves requests)"
            elif "resource_tracker" in cmd:
                role = "multiprocessing resource_tracker"
            else:
                role = "worker"
            self.peak.append((pid, role, values.get("VmHWM", 0), values.get("VmRSS", 0)))

    def stop(self) -> None:
        """SIGTERM to the server PID, wait, then SIGKILL its process group (its own session)."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    log(f"{self.tag}: server pid {proc.pid} ignored SIGTERM; killing it")
            try:  # the group id is the server's PID (start_new_session): only processes it started
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"{self.tag}: server pid {proc.pid} did not exit")
        if self.pg:
            self.pg.drop()
        shutil.rmtree(self.data_dir, ignore_errors=True)


# --------------------------------------------------------------------------- load generators


@dataclass
class Load:
    """What to send: ``mode`` is fixed (GET ``path``), create (POST unique names) or retrieve."""

    workload: str
    mode: str
    clients: int
    path: str = "/"
    name_count: int = 0  # create: names c-0 .. c-(n-1); retrieve: random in that range
    expected: tuple[int, ...] = (200,)


def list_path(filter_expr: str, top: int | None) -> str:
    params = {"$top": str(top)} if top is not None else {}
    params["$filter"] = filter_expr
    return "/__ctl/Cell?" + urlencode(params, quote_via=quote, safe="")


def ensure_wrk() -> bool:
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found; installing the Debian package 'wrk'")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False, timeout=300,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("wrk") is not None


def run_wrk(server: Server, load: Load, duration: float, max_requests: int) -> Result:
    result = Result(load.workload, server.workers, load.clients, client="wrk", expected=load.expected)
    env = {
        **os.environ, "WRK_MODE": load.mode, "WRK_TOKEN": server.token, "WRK_PREFIX": "c-",
        "WRK_COUNT": str(load.name_count), "WRK_THREADS": "1", "WRK_MAX": str(max_requests),
    }
    cmd = ["wrk", "-t1", f"-c{load.clients}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
           "--latency", "-s", str(LUA_SCRIPT), server.base + load.path]
    try:
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    except subprocess.TimeoutExpired:
        result.failed = "wrk did not finish in time"
        return result
    text = out.stdout + out.stderr
    posts = 0
    for line in text.splitlines():
        tag, _, rest = line.partition(" ")
        if tag == "CELLAR-LATENCY-US":
            values = dict(item.split("=") for item in rest.split())
            result.p50_ms = float(values["p50"]) / 1000
            result.p99_ms = float(values["p99"]) / 1000
        elif tag == "CELLAR-SUMMARY":
            values = dict(item.split("=") for item in rest.split())
            result.requests = int(values["requests"])
            seconds = int(values["duration_us"]) / 1e6
            result.rps = result.requests / seconds if seconds else 0.0
            result.socket_errors = {k: int(values[k]) for k in ("connect", "read", "write", "timeout")}
        elif tag == "CELLAR-STATUS":
            code, count = rest.split()
            result.statuses[int(code)] = int(count)
        elif tag == "CELLAR-POSTS":
            posts = int(rest)
    result.posts = posts
    if not result.requests:
        result.failed = "wrk failed: " + " ".join(text.split())[:200]
    result.cap_hit = result.requests >= max_requests or (load.mode == "create" and posts >= load.name_count)
    return result


class RawConnection:
    """Minimal keep-alive HTTP/1.1 client on asyncio streams (Content-Length or chunked bodies).

    httpx's AsyncClient costs about 2.5 ms of client CPU per request here, and more with 16
    connections in one pool (measured against GET /: 190-300 req/s at 100 % client CPU), which
    would make the client, not the server, the bottleneck on 2 cores; this costs ~0.1 ms.
    """

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes | None = None,
                      timeout: float = 10.0) -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, body), timeout)
        except BaseException:
            await self.close()
            raise

    async def _request(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body is not None else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + (body or b""))
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split()[1])
        fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
        if "content-length" in fields:
            data = await self.reader.readexactly(int(fields["content-length"]))
        elif fields.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                chunks.append(await self.reader.readexactly(size + 2))
            await self.reader.readuntil(b"\r\n")
            data = b"".join(c[:-2] for c in chunks)
        else:
            data = await self.reader.read()
            fields["connection"] = "close"
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return status, data


def _connection(server: Server) -> RawConnection:
    return RawConnection("127.0.0.1", server.port, server.headers())


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connect"
    return "read"


async def _run_python(server: Server, load: Load, duration: float, max_requests: int) -> Result:
    result = Result(load.workload, server.workers, load.clients, client="python", expected=load.expected)
    latencies: list[float] = []
    counter = 0
    errors: dict[str, int] = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    rng = random.Random()
    start = time.perf_counter()
    deadline = start + duration

    async def one_client() -> None:
        nonlocal counter
        conn = _connection(server)
        try:
            while time.perf_counter() < deadline and len(latencies) + sum(errors.values()) < max_requests:
                body = None
                if load.mode == "create":
                    if counter >= load.name_count:
                        result.cap_hit = True
                        return
                    method, path, counter = "POST", "/__ctl/Cell", counter + 1
                    body = json.dumps({"Name": f"c-{counter - 1}"}).encode()
                elif load.mode == "retrieve":
                    method, path = "GET", f"/__ctl/Cell('c-{rng.randrange(load.name_count)}')"
                else:
                    method, path = "GET", load.path
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, body)
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                        asyncio.TimeoutError) as exc:
                    errors[_error_kind(exc)] += 1
                    continue
                latencies.append(time.perf_counter() - t0)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            await conn.close()

    await asyncio.gather(*(one_client() for _ in range(load.clients)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    result.requests = len(latencies)
    result.rps = result.requests / elapsed if elapsed else 0.0
    result.p50_ms = percentile(latencies, 50) * 1000
    result.p99_ms = percentile(latencies, 99) * 1000
    result.socket_errors = errors
    result.posts = counter
    result.cap_hit = result.cap_hit or result.requests >= max_requests
    return result


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> tuple[float, float, float]:
    """(CPU busy seconds of the whole machine, of ``pids``, of this script and its children)."""
    fields_ = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = sum(fields_[:3]) / CLOCK_TICKS  # user + nice + system (irq, softirq, steal: not attributable)
    procs = 0.0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        procs += (int(stat[11]) + int(stat[12])) / CLOCK_TICKS
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return busy, procs, me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_load(server: Server, load: Load, duration: float, max_requests: int, use_wrk: bool) -> Result:
    log(f"{server.tag}: {load.workload}, {load.clients} client(s), {duration:g}s ...")
    pids = [server.proc.pid, *server.descendants()] if server.proc else []
    before, t0 = cpu_seconds(pids), time.monotonic()
    if use_wrk:
        result = run_wrk(server, load, duration, max_requests)
    else:
        result = asyncio.run(_run_python(server, load, duration, max_requests))
    after, wall = cpu_seconds(pids), time.monotonic() - t0
    busy, srv, client = (a - b for a, b in zip(after, before))
    result.server_cpu = srv / wall
    result.other_cpu = max(0.0, busy - srv - client) / wall
    note = f" ERRORS: {result.error_detail()}" if result.errors else ""
    log(f"    {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"{result.requests} requests{note}{' ' + result.failed if result.failed else ''}")
    return result


# --------------------------------------------------------------------------- fixtures


async def _create_cells(server: Server, names: Iterable[str], concurrency: int,
                        deadline: float) -> dict[int | str, int]:
    """POST every name (409 = already there) until done or ``deadline``; returns a status histogram."""
    outcome: dict[int | str, int] = {}
    pending = iter(names)

    async def worker() -> None:
        conn = _connection(server)
        try:
            for name in pending:
                if time.monotonic() > deadline:
                    return
                try:
                    key: int | str = (await conn.request("POST", "/__ctl/Cell",
                                                         json.dumps({"Name": name}).encode(), 30.0))[0]
                except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
                        asyncio.TimeoutError) as exc:
                    key = _error_kind(exc)
                outcome[key] = outcome.get(key, 0) + 1
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcome


def cell_names(server: Server) -> set[str]:
    """Names of all cells, by pages of 1000 (ordered by name, so paging is stable)."""
    names: set[str] = set()
    skip = 0
    while True:
        query = urlencode({"$top": "1000", "$skip": str(skip), "$orderby": "Name"}, quote_via=quote)
        response = httpx.get(f"{server.base}/__ctl/Cell?{query}", headers=server.headers(), timeout=60)
        response.raise_for_status()
        page = [entry["Name"] for entry in response.json()["d"]["results"]]
        names.update(page)
        if len(page) < 1000:
            return names
        skip += len(page)


def count_cells(server: Server) -> int:
    response = httpx.get(server.base + "/__ctl/Cell?%24top=0&%24inlinecount=allpages",
                         headers=server.headers(), timeout=60)
    response.raise_for_status()
    return int(response.json()["d"]["__count"])


def populate(server: Server, total: int, first_new: int, timeout: float, notes: list[str]) -> int:
    """Make cells c-0 .. c-(total-1) exist; ``first_new`` = names the create phase already sent."""
    started = time.monotonic()
    deadline = started + timeout
    log(f"{server.tag}: {count_cells(server)} cells exist; creating c-{first_new} .. c-{total - 1} "
        f"with {CONCURRENCY} concurrent clients (bounded {timeout:g}s)")
    outcome = asyncio.run(_create_cells(server, (f"c-{i}" for i in range(first_new, total)),
                                        CONCURRENCY, deadline))
    have = count_cells(server)
    if have < total and time.monotonic() < deadline:
        # names the measured phase sent without a 201 (errors, or cut off when wrk stopped)
        existing = cell_names(server)
        missing = [f"c-{i}" for i in range(total) if f"c-{i}" not in existing]
        log(f"{server.tag}: {len(missing)} names missing, creating them")
        more = asyncio.run(_create_cells(server, missing, CONCURRENCY, deadline))
        for key, n in more.items():
            outcome[key] = outcome.get(key, 0) + n
        have = count_cells(server)
    elapsed = time.monotonic() - started
    created = outcome.get(201, 0)
    log(f"{server.tag}: bulk-created {created} cells in {elapsed:.1f}s ({created / elapsed:.0f}/s); "
        f"statuses {outcome}; {have} cells now")
    odd = {k: v for k, v in outcome.items() if k != 201}
    if odd:
        notes.append(f"{server.tag}: bulk creation saw {odd}")
    if have < total:
        notes.append(f"{server.tag}: only {have} of {total} cells exist (bulk creation bounded by "
                     f"--populate-timeout {timeout:g}s); read figures are for {have} cells")
    return have


def check_list(server: Server, path: str, want: int, notes: list[str]) -> None:
    """One request to show that the listing returns what it should; warm-up afterwards."""
    response = httpx.get(server.base + path, headers=server.headers(), timeout=30)
    got = len(response.json().get("d", {}).get("results", [])) if response.status_code == 200 else -1
    if response.status_code != 200 or got != want:
        notes.append(f"{server.tag}: GET {path} -> {response.status_code}, {got} results (expected 200, {want}): "
                     f"{response.text[:200]}")
    with httpx.Client(base_url=server.base, headers=server.headers(), timeout=30) as client:
        for _ in range(50):
            client.get(path)


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
    run.cells = populate(big, args.cells, first_new, args.populate_timeout, notes)
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
    outcome = asyncio.run(_create_cells(small, SMALL_CELLS, 4, time.monotonic() + 60))
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


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"


def print_report(runs: list[WorkerRun], args: argparse.Namespace, use_wrk: bool, notes: list[str],
                 elapsed: float) -> None:
    pg = urlsplit(args.database_url) if args.database_url else None
    backend = f"PostgreSQL {pg.hostname}:{pg.port}" if pg else "SQLite (data dir)"
    client = "wrk -t1 (bench/lua/cellar.lua)" if use_wrk else "python asyncio (shares the CPU)"
    print()
    print(f"# Cellar unit-level Cell API on 127.0.0.1; {backend}; {os.cpu_count()} CPUs; "
          f"Python {platform.python_version()}; client {client}; {args.duration:g}s per phase, "
          f"cap {args.max_requests} requests; total {elapsed:.0f}s")
    header = ("workload", "workers", "clients", "req/s", "p50 ms", "p99 ms", "requests", "errors",
              "srv cpu", "other cpu")
    rows = [header]
    flagged: list[str] = []
    for run in runs:
        for r in run.results:
            rps = f"{r.rps:.0f}" + (" (cap)" if r.cap_hit else "")
            errs = str(r.errors) if not r.failed else "FAILED"
            rows.append((r.workload, str(r.workers), str(r.clients), rps, fmt_ms(r.p50_ms), fmt_ms(r.p99_ms),
                         str(r.requests), errs, f"{r.server_cpu:.2f}", f"{r.other_cpu:.2f}"))
            if r.errors or r.failed:
                flagged.append(f"w{r.workers} {r.workload} c{r.clients}: {r.failed or r.error_detail()}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))

    print()
    for run in runs:
        for label, peak in ((f"{run.cells}-cell server", run.peak), (f"{len(SMALL_CELLS)}-cell server", run.small_peak)):
            if not peak:
                continue
            parts = [f"{role} pid {pid}: peak {hwm / 1024:.1f} MB (now {rss / 1024:.1f} MB)"
                     for pid, role, hwm, rss in peak]
            serving = [hwm for _, role, hwm, _ in peak if role != "supervisor" and "resource_tracker" not in role]
            verdict = ""
            if serving:
                worst = max(serving) / 1024
                verdict = f" -> max per serving process {worst:.1f} MB ({'OK' if worst < 150 else 'OVER'} < 150 MB)"
            print(f"RSS workers={run.workers} {label}: " + "; ".join(parts) + verdict)

    print()
    for run in runs:
        by_key = {(r.workload.split(" (")[0], r.workload.endswith(f"({len(SMALL_CELLS)} cells)"), r.clients): r
                  for r in run.results}
        for kind in ("list startswith", "list eq"):
            for clients in (1, CONCURRENCY):
                big = by_key.get((kind, False, clients))
                small = by_key.get((kind, True, clients))
                if not big or not small or not small.p50_ms or small.p50_ms != small.p50_ms:
                    continue
                ratio = big.p50_ms / small.p50_ms
                print(f"list p50 ratio workers={run.workers} {kind} c{clients}: {run.cells} cells "
                      f"{big.p50_ms:.2f} ms / 10 cells {small.p50_ms:.2f} ms = {ratio:.2f}x "
                      f"({'OK' if ratio <= 2 else 'OVER'} target <= 2x)")
    print(f"(startswith returns 25 entries with {runs[0].cells if runs else '?'} cells but 10 with 10 cells; "
          f"'Name eq' returns 1 entry in both)")

    if flagged or notes:
        print()
        for line in flagged:
            print(f"ERRORS: {line}")
        for line in notes:
            print(f"NOTE: {line}")
    else:
        print("no errors: every response was 2xx with the expected code")
    print("srv cpu: CPU cores used by the server processes during the phase; other cpu: cores used by "
          "anything else than the server and the load generator (> 0.2 means the figures are disturbed)")
    busy = [r for run in runs for r in run.results if r.other_cpu > 0.2]
    if busy:
        print(f"WARNING: {len(busy)} of {sum(len(run.results) for run in runs)} phases ran while other "
              f"processes used > 0.2 cores (up to {max(r.other_cpu for r in busy):.2f}); rerun on a quiet machine")
    if any(r.cap_hit for run in runs for r in run.results):
        print("(cap): the phase stopped on its request cap before the duration ended; wrk divides by the "
              "whole duration, so req/s is understated")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load phase (default 5)")
    parser.add_argument("--cells", type=int, default=10_000, help="cells before the read phases (default 10000)")
    parser.add_argument("--workers", default="1,2", help="comma-separated CELLAR_WORKERS values (default 1,2)")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (postgresql://user@127.0.0.1:port/db); a fresh database is "
                             "created next to it for each server (needs CREATEDB) and dropped afterwards")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap per phase")
    parser.add_argument("--populate-timeout", type=float, default=120.0,
                        help="bound for bulk creation of the cells, seconds (default 120)")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (auto: wrk if available/installable, else python)")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if args.cells < 1300:
        parser.error("--cells must be at least 1300 (so that startswith(Name,'c-12') matches 25+ cells)")

    use_wrk = args.client != "python" and ensure_wrk()
    if args.client == "wrk" and not use_wrk:
        parser.error("wrk is not available")
    if not use_wrk:
        log("using the Python asyncio client (wrk unavailable); it competes with the server for CPU")

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    runs: list[WorkerRun] = []
    notes: list[str] = []
    servers: list[Server] = []
    code = 0
    try:
        for count in workers:
            runs.append(WorkerRun(count))
            bench_workers(runs[-1], args, use_wrk, notes, servers)
    except Exception as exc:  # noqa: BLE001 - report what we have, then fail
        code = 1
        notes.append(f"benchmark aborted: {type(exc).__name__}: {exc}")
        for server in servers:
            if server.proc is not None:
                notes.append(f"{server.tag} server log tail:\n{server.log_tail()}")
    finally:
        for server in servers:
            server.stop()
    print_report(runs, args, use_wrk, notes, time.monotonic() - started)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
