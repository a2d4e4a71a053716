"""Shared harness for the Cellar benchmarks (bench/unit.py, bench/ctl.py): prints figures, no tests.

* ``Server``: a real ``cellar serve`` on 127.0.0.1 and a free port, with a fresh temporary data
  dir (or a fresh PostgreSQL database next to ``--database-url``), its own master token and
  ``CELLAR_WORKERS``; ``start()`` waits until it answers (and refuses non-loopback listeners),
  ``stop()`` stops it by PID (SIGTERM, then SIGKILL of its own process group). Subclasses launch
  another process the same way (``command()``, ``environment()``: bench/dav.py's references).
* ``run_load``: one load phase with ``wrk`` + ``bench/lua/cellar.lua`` (or the asyncio client),
  bounded by a duration and a request cap, with CPU accounting (server / everything else).
* ``bulk_send`` / ``bulk_post`` / ``populate``: fast concurrent creation of fixtures with a raw
  asyncio HTTP/1.1 client, bounded in time; ``count_entities`` via ``$inlinecount=allpages&$top=0``.
* ``Server.sample_memory``: peak RSS (``VmHWM``) of the server process and its workers.
* ``print_table`` / ``rss_line`` / ``ratio_line`` / ``print_footer``: the printed report.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import httpx

REPO = Path(__file__).resolve().parent.parent
LUA_SCRIPT = REPO / "bench" / "lua" / "cellar.lua"
CONCURRENCY = 16


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
    posts: int = 0  # create: POSTs sent (names <prefix>0 .. <prefix>(posts-1))
    expected: tuple[int, ...] = (200,)

    @property
    def errors(self) -> int:
        """Non-2xx responses and socket errors (other 2xx codes are only named in ``error_detail``:
        a create phase that ran out of names answers its filler ``GET /`` with 200)."""
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


def backend_label(database_url: str | None) -> str:
    pg = urlsplit(database_url) if database_url else None
    return f"PostgreSQL {pg.hostname}:{pg.port}" if pg else "SQLite (data dir)"


class Server:
    """One ``cellar serve`` process (plus uvicorn worker children) on 127.0.0.1."""

    def __init__(self, workers: int, database_url: str | None, tag: str,
                 settings: dict[str, str] | None = None) -> None:
        self.workers = workers
        #: further ``CELLAR_*`` settings of this server
        self.settings = dict(settings or {})
        self.tag = tag
        self.token = secrets.token_urlsafe(32)
        self.port = 0
        self.base = ""
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"cellar-bench-{tag}-"))
        self.proc: subprocess.Popen[bytes] | None = None
        self.pg = PostgresDatabase(database_url) if database_url else None
        self.peak: list[tuple[int, str, int, int]] = []  # (pid, role, VmHWM kB, VmRSS kB)

    #: what ``start()``'s messages call the process
    label = "cellar serve"

    def command(self) -> list[str]:
        return cellar_command()

    def environment(self) -> dict[str, str]:
        """The process environment: the caller's, with this server's ``CELLAR_*`` settings."""
        env = {
            **os.environ,
            "CELLAR_HOST": "127.0.0.1",
            "CELLAR_PORT": str(self.port),
            "CELLAR_UNIT_URL": f"http://127.0.0.1:{self.port}/",
            "CELLAR_MASTER_TOKEN": self.token,
            "CELLAR_DATA_DIR": str(self.data_dir),
            "CELLAR_WORKERS": str(self.workers),
            **self.settings,
        }
        env.pop("CELLAR_CONFIG", None)
        if self.pg:
            env["CELLAR_DATABASE_URL"] = self.pg.url
        else:
            env.pop("CELLAR_DATABASE_URL", None)
        return env

    def start(self, timeout: float = 60.0, *, fresh: bool = True) -> None:
        """Launch ``command()`` in its own session, wait until ``GET /`` answers below 500 and all
        workers run; refuse a listener that is not loopback only."""
        if self.pg and fresh:
            self.pg.create()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = self.environment()
        log_file = open(self.data_dir / "server.log", "wb")
        self.proc = subprocess.Popen(
            self.command(), env=env, cwd=self.data_dir, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.label} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.label} did not answer GET / within {timeout}s:\n{self.log_tail()}")
            time.sleep(0.1)
        addresses = listening_addresses(self.port)
        if addresses and addresses != {"127.0.0.1"}:
            raise RuntimeError(f"refusing to benchmark: port {self.port} listens on {addresses}, not loopback only")
        if self.workers > 1:  # wait until every worker has started (the first one may answer alone)
            deadline = time.monotonic() + timeout
            while len(self.workers_pids()) < self.workers and time.monotonic() < deadline:
                time.sleep(0.1)
        log(f"{self.tag}: {self.label} pid {self.proc.pid}, workers={self.workers}, {self.base}")

    def wait_idle(self, timeout: float = 20.0, interval: float = 0.25, busy: float = 0.1) -> bool:
        """Wait until the server's processes use less than ``busy`` cores over ``interval``: the
        requests a load generator left in flight when it stopped (a slow PROPFIND queue can take
        seconds) must not run into the next phase. At most ``timeout`` seconds; False if not idle."""
        if self.proc is None:
            return True
        pids = [self.proc.pid, *self.descendants()]
        deadline = time.monotonic() + timeout
        last = cpu_seconds(pids)[1]
        while time.monotonic() < deadline:
            time.sleep(interval)
            now = cpu_seconds(pids)[1]
            if (now - last) / interval < busy:
                return True
            last = now
        return False

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
        """SIGTERM to the server PID, wait, then SIGKILL its process group (its own session); then
        its database and data directory go."""
        self.terminate()
        if self.pg:
            self.pg.drop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def restart(self, settings: dict[str, str]) -> None:
        """The same data (its database, keys and CA) under a new process with more settings."""
        self.terminate()
        self.settings.update(settings)
        self.start(fresh=False)

    def terminate(self) -> None:
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


def raise_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so that ``finally`` blocks stop the servers."""

    def on_term(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)


# --------------------------------------------------------------------------- load generators


@dataclass
class Load:
    """What to send: ``mode`` is fixed (``method`` on ``path``), create (POST unique names), put
    (PUT unique files), retrieve, or post (POST ``body`` to ``path``, again and again).

    create POSTs ``{"Name": "<prefix><n>"}`` to ``post_path`` with n = 0, 1, ... < ``name_count``;
    retrieve GETs ``get_template`` with ``{}`` replaced by ``<prefix><random n < name_count>``;
    put PUTs ``body`` to ``put_path(n)`` (``<post_path><n % spread>/<prefix><n>.txt``: unique files
    spread over ``spread`` collections) with n = 0, 1, ... < ``name_count``;
    post sends ``body`` with ``Content-Type: <content_type>`` (also the Content-Type of put).
    ``depth``: a ``Depth`` header on every request when not empty (PROPFIND).
    ``token``: the bearer token sent (None: the server's master token; "": no Authorization header);
    ``authorization``: a whole Authorization header sent instead (Basic credentials).
    """

    workload: str
    mode: str
    clients: int
    path: str = "/"
    name_count: int = 0
    expected: tuple[int, ...] = (200,)
    prefix: str = "c-"
    post_path: str = "/__ctl/Cell"
    get_template: str = "/__ctl/Cell('{}')"
    token: str | None = None
    body: str = ""
    content_type: str = "application/json"
    method: str = "GET"
    depth: str = ""
    spread: int = 1
    authorization: str = ""

    def put_path(self, n: int) -> str:
        return f"{self.post_path}{n % self.spread}/{self.prefix}{n}.txt"

    def bearer(self, server: Server) -> str:
        return server.token if self.token is None else self.token

    def headers(self, server: Server) -> dict[str, str]:
        token = self.bearer(server)
        authorization = self.authorization or (f"Bearer {token}" if token else "")
        return {**({"Authorization": authorization} if authorization else {}), "Accept": "application/json",
                **({"Depth": self.depth} if self.depth else {})}


def odata_query(collection: str, filter_expr: str | None = None, top: int | None = None, **extra: str) -> str:
    """``collection?$top=..&$filter=..`` (percent-encoded like a browser would)."""
    params = {"$top": str(top)} if top is not None else {}
    if filter_expr is not None:
        params["$filter"] = filter_expr
    params.update({f"${k}": v for k, v in extra.items()})
    return collection + "?" + urlencode(params, quote_via=quote, safe="")


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


def choose_client(choice: str, parser: argparse.ArgumentParser) -> bool:
    """True for wrk; ``choice`` is the ``--client`` option (auto, wrk, python)."""
    use_wrk = choice != "python" and ensure_wrk()
    if choice == "wrk" and not use_wrk:
        parser.error("wrk is not available")
    if not use_wrk:
        log("using the Python asyncio client (wrk unavailable); it competes with the server for CPU")
    return use_wrk


def client_label(use_wrk: bool) -> str:
    return "wrk -t1 (bench/lua/cellar.lua)" if use_wrk else "python asyncio (shares the CPU)"


def run_wrk(server: Server, load: Load, duration: float, max_requests: int) -> Result:
    result = Result(load.workload, server.workers, load.clients, client="wrk", expected=load.expected)
    get_head, _, get_tail = load.get_template.partition("{}")
    env = {
        **os.environ, "WRK_MODE": load.mode, "WRK_TOKEN": load.bearer(server), "WRK_AUTHORIZATION": load.authorization,
        "WRK_PREFIX": load.prefix,
        "WRK_COUNT": str(load.name_count), "WRK_THREADS": "1", "WRK_MAX": str(max_requests),
        "WRK_POST_PATH": load.post_path, "WRK_GET_HEAD": get_head, "WRK_GET_TAIL": get_tail,
        "WRK_BODY": load.body, "WRK_CONTENT_TYPE": load.content_type, "WRK_METHOD": load.method,
        "WRK_DEPTH": load.depth, "WRK_SPREAD": str(load.spread),
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
    names_used_up = load.mode in ("create", "put") and posts >= load.name_count
    result.cap_hit = result.requests >= max_requests or names_used_up
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
                      timeout: float = 10.0, content_type: str = "application/json") -> tuple[int, bytes]:
        try:
            return await asyncio.wait_for(self._request(method, path, body, content_type), timeout)
        except BaseException:
            await self.close()
            raise

    async def _request(self, method: str, path: str, body: bytes | None,
                       content_type: str = "application/json") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        extra = f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n" if body is not None else ""
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


CLIENT_ERRORS = (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, asyncio.TimeoutError)


def connection(server: Server, headers: dict[str, str] | None = None) -> RawConnection:
    return RawConnection("127.0.0.1", server.port, server.headers() if headers is None else headers)


def error_kind(exc: BaseException) -> str:
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
        conn = connection(server, load.headers(server))
        try:
            while time.perf_counter() < deadline and len(latencies) + sum(errors.values()) < max_requests:
                body = None
                if load.mode == "create":
                    if counter >= load.name_count:
                        result.cap_hit = True
                        return
                    method, path, counter = "POST", load.post_path, counter + 1
                    body = json.dumps({"Name": f"{load.prefix}{counter - 1}"}).encode()
                elif load.mode == "put":
                    if counter >= load.name_count:
                        result.cap_hit = True
                        return
                    method, path, body, counter = "PUT", load.put_path(counter), load.body.encode(), counter + 1
                elif load.mode == "retrieve":
                    method = "GET"
                    path = load.get_template.replace("{}", f"{load.prefix}{rng.randrange(load.name_count)}")
                elif load.mode == "post":
                    method, path, body = "POST", load.path, load.body.encode()
                else:
                    method, path = load.method, load.path
                t0 = time.perf_counter()
                try:
                    status, _ = await conn.request(method, path, body, content_type=load.content_type)
                except CLIENT_ERRORS as exc:
                    errors[error_kind(exc)] += 1
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
    if not server.wait_idle():
        log(f"{server.tag}: still busy after 20 s (the previous phase's requests?); measuring anyway")
    log(f"{server.tag}: {load.workload}, {load.clients} client(s), {duration:g}s ...")
    pids = [server.proc.pid, *server.descendants()] if server.proc else []
    before, t0 = cpu_seconds(pids), time.monotonic()
    if use_wrk:
        result = run_wrk(server, load, duration, max_requests)
    else:
        result = asyncio.run(_run_python(server, load, duration, max_requests))
    after, wall = cpu_seconds(pids), time.monotonic() - t0
    busy, srv, client = (a - b for a, b in zip(after, before, strict=True))
    result.server_cpu = srv / wall
    result.other_cpu = max(0.0, busy - srv - client) / wall
    note = f" ERRORS: {result.error_detail()}" if result.errors else ""
    log(f"    {result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms, "
        f"{result.requests} requests{note}{' ' + result.failed if result.failed else ''}")
    return result


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Request:
    """One fixture request for ``bulk_send``."""

    method: str
    path: str
    body: bytes | None = None
    content_type: str = "application/json"


async def bulk_send(server: Server, requests: Iterable[Request], concurrency: int, deadline: float,
                    expected: int = 201, progress_every: float = 30.0,
                    headers: dict[str, str] | None = None) -> dict[int | str, int]:
    """Send every request (``concurrency`` keep-alive connections, master token unless ``headers``)
    until done or ``deadline``; returns a status histogram (``"timeout"``/``"read"``/``"connect"``
    for socket errors, ``"deadline"`` for requests not sent). Requests are sent in order, so a run
    cut off by the deadline leaves a contiguous prefix done. At most 20 non-``expected`` answers are
    logged, and the progress every ``progress_every`` seconds."""
    outcome: dict[int | str, int] = {}
    pending = iter(requests)
    logged = 0
    done = 0
    started = last_time = time.monotonic()
    last_done = 0

    async def worker() -> None:
        nonlocal logged, done, last_time, last_done
        conn = connection(server, headers)
        try:
            for req in pending:
                if time.monotonic() > deadline:
                    outcome["deadline"] = outcome.get("deadline", 0) + 1 + sum(1 for _ in pending)
                    return
                try:
                    status, data = await conn.request(req.method, req.path, req.body, 30.0, req.content_type)
                    key: int | str = status
                    if status != expected and logged < 20:
                        logged += 1
                        log(f"{server.tag}: {req.method} {req.path} -> {status} {data[:200]!r}")
                except CLIENT_ERRORS as exc:
                    key = error_kind(exc)
                outcome[key] = outcome.get(key, 0) + 1
                done += 1
                now = time.monotonic()
                if now - last_time >= progress_every:
                    log(f"{server.tag}:   {done} {req.method}s in {now - started:.0f}s, "
                        f"{(done - last_done) / (now - last_time):.0f}/s over the last {now - last_time:.0f}s")
                    last_time, last_done = now, done
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return outcome


async def bulk_post(server: Server, path: str, names: Iterable[str], concurrency: int,
                    deadline: float, expected: int = 201, progress_every: float = 30.0) -> dict[int | str, int]:
    """``bulk_send`` of ``POST path {"Name": name}`` for every name (409 = already there)."""
    requests = (Request("POST", path, json.dumps({"Name": name}).encode()) for name in names)
    return await bulk_send(server, requests, concurrency, deadline, expected, progress_every)


def collection_names(server: Server, collection: str, deadline: float, timeout: float = 60) -> set[str]:
    """Names of all entries of ``collection`` (e.g. ``/__ctl/Cell``), by pages of 1000 ordered by
    name; TimeoutError once ``deadline`` (time.monotonic()) has passed."""
    names: set[str] = set()
    skip = 0
    while True:
        if time.monotonic() > deadline:
            raise TimeoutError(f"listing {collection} stopped at the deadline after {len(names)} names")
        query = urlencode({"$top": "1000", "$skip": str(skip), "$orderby": "Name"}, quote_via=quote)
        response = httpx.get(f"{server.base}{collection}?{query}", headers=server.headers(), timeout=timeout)
        response.raise_for_status()
        page = [entry["Name"] for entry in response.json()["d"]["results"]]
        names.update(page)
        if len(page) < 1000:
            return names
        skip += len(page)


def count_entities(server: Server, collection: str, timeout: float = 60) -> int:
    """``d.__count`` of ``collection?$top=0&$inlinecount=allpages``."""
    response = httpx.get(server.base + collection + "?%24top=0&%24inlinecount=allpages",
                         headers=server.headers(), timeout=timeout)
    response.raise_for_status()
    return int(response.json()["d"]["__count"])


def _merge(into: dict[int | str, int], more: dict[int | str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def _create_missing(server: Server, collection: str, prefix: str, upto: int, deadline: float,
                    outcome: dict[int | str, int], notes: list[str]) -> None:
    """Create those of ``<prefix>0`` .. ``<prefix>(upto-1)`` that a listing does not show."""
    try:
        existing = collection_names(server, collection, deadline)
    except TimeoutError as exc:
        notes.append(f"{server.tag}: {exc}")
        return
    missing = [f"{prefix}{i}" for i in range(upto) if f"{prefix}{i}" not in existing]
    log(f"{server.tag}: {len(missing)} names missing, creating them")
    _merge(outcome, asyncio.run(bulk_post(server, collection, missing, CONCURRENCY, deadline)))


def populate(server: Server, collection: str, prefix: str, total: int, first_new: int, timeout: float,
             notes: list[str], noun: str) -> int:
    """Make ``<prefix>0`` .. ``<prefix>(total-1)`` exist in ``collection`` (which holds nothing
    else); ``first_new`` = names a measured create phase already sent. Bounded by ``timeout``
    seconds: if cut off, what exists is ``<prefix>0`` .. ``<prefix>(count-1)`` (barring errors,
    which are noted). Returns the count afterwards."""
    started = time.monotonic()
    deadline = started + timeout
    have = count_entities(server, collection)
    log(f"{server.tag}: {have} {noun} exist; creating {prefix}{first_new} .. "
        f"{prefix}{total - 1} with {CONCURRENCY} concurrent clients (bounded {timeout:g}s)")
    outcome: dict[int | str, int] = {}
    if have < first_new:
        # names the measured phase sent without a 201 (errors, or cut off when wrk stopped); the
        # listing is short now, and fixing them first keeps the names contiguous if cut off later
        _create_missing(server, collection, prefix, first_new, deadline, outcome, notes)
    _merge(outcome, asyncio.run(bulk_post(server, collection, (f"{prefix}{i}" for i in range(first_new, total)),
                                          CONCURRENCY, deadline)))
    have = count_entities(server, collection)
    if have < total and time.monotonic() < deadline:  # errors during the bulk pass
        _create_missing(server, collection, prefix, total, deadline, outcome, notes)
        have = count_entities(server, collection)
    elapsed = time.monotonic() - started
    created = outcome.get(201, 0)
    log(f"{server.tag}: bulk-created {created} {noun} in {elapsed:.1f}s ({created / elapsed:.0f}/s); "
        f"statuses {outcome}; {have} {noun} now")
    odd = {k: v for k, v in outcome.items() if k not in (201, "deadline")}
    if odd:
        notes.append(f"{server.tag}: bulk creation of {noun} saw {odd}")
    if have < total:
        notes.append(f"{server.tag}: only {have} of {total} {noun} exist (bulk creation bounded by "
                     f"--populate-timeout {timeout:g}s); read figures are for {have} {noun}")
    return have


def check_list(server: Server, path: str, want: int, notes: list[str], warmup: int = 50,
               names: set[str] | None = None) -> None:
    """One request to show that the listing returns ``want`` entries (all in ``names`` if given);
    ``warmup`` more requests afterwards."""
    response = httpx.get(server.base + path, headers=server.headers(), timeout=30)
    results = response.json().get("d", {}).get("results", []) if response.status_code == 200 else None
    got = len(results) if results is not None else -1
    wrong = sorted(e.get("Name") for e in results or [] if names is not None and e.get("Name") not in names)
    if response.status_code != 200 or got != want or wrong:
        notes.append(f"{server.tag}: GET {path} -> {response.status_code}, {got} results (expected 200, {want})"
                     f"{f', unexpected names {wrong[:5]}' if wrong else ''}: {response.text[:200]}")
    with httpx.Client(base_url=server.base, headers=server.headers(), timeout=30) as client:
        for _ in range(warmup):
            client.get(path)


# --------------------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"


def print_table(results: list[Result],
                extra: Sequence[tuple[str, Callable[[Result], str]]] = ()) -> list[str]:
    """The results table (plus ``extra`` (title, cell) columns); returns one line per row with
    errors (for ``print_footer``)."""
    header = ("workload", "workers", "clients", "req/s", "p50 ms", "p99 ms", "requests", "errors",
              "srv cpu", "other cpu", *(title for title, _ in extra))
    rows = [header]
    flagged: list[str] = []
    for r in results:
        rps = f"{r.rps:.0f}" + (" (cap)" if r.cap_hit else "")
        errs = str(r.errors) if not r.failed else "FAILED"
        rows.append((r.workload, str(r.workers), str(r.clients), rps, fmt_ms(r.p50_ms), fmt_ms(r.p99_ms),
                     str(r.requests), errs, f"{r.server_cpu:.2f}", f"{r.other_cpu:.2f}",
                     *(cell(r) for _, cell in extra)))
        if r.errors or r.failed:
            flagged.append(f"w{r.workers} {r.workload} c{r.clients}: {r.failed or r.error_detail()}")
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        print("  ".join(cells).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    return flagged


def rss_line(workers: int, label: str, peak: list[tuple[int, str, int, int]], limit_mb: float = 150) -> str | None:
    if not peak:
        return None
    parts = [f"{role} pid {pid}: peak {hwm / 1024:.1f} MB (now {rss / 1024:.1f} MB)" for pid, role, hwm, rss in peak]
    serving = [hwm for _, role, hwm, _ in peak if role != "supervisor" and "resource_tracker" not in role]
    verdict = ""
    if serving:
        worst = max(serving) / 1024
        verdict = (f" -> max per serving process {worst:.1f} MB "
                   f"({'OK' if worst < limit_mb else 'OVER'} < {limit_mb:g} MB)")
    return f"RSS workers={workers} {label}: " + "; ".join(parts) + verdict


def ratio_line(label: str, big: Result, big_label: str, small: Result, small_label: str,
               target: float = 2.0) -> str | None:
    """``label: <big> <p50> / <small> <p50> = <ratio>x (OK|OVER target <= 2x)``, or None without data."""
    if not small.p50_ms or small.p50_ms != small.p50_ms or big.p50_ms != big.p50_ms:
        return None
    ratio = big.p50_ms / small.p50_ms
    return (f"{label}: {big_label} {big.p50_ms:.2f} ms / {small_label} {small.p50_ms:.2f} ms = {ratio:.2f}x "
            f"({'OK' if ratio <= target else 'OVER'} target <= {target:g}x)")


def print_footer(results: list[Result], flagged: list[str], notes: list[str]) -> None:
    """Errors and notes (or 'no errors'), the CPU columns' meaning and a warning if disturbed."""
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
    busy = [r for r in results if r.other_cpu > 0.2]
    if busy:
        print(f"WARNING: {len(busy)} of {len(results)} phases ran while other "
              f"processes used > 0.2 cores (up to {max(r.other_cpu for r in busy):.2f}); rerun on a quiet machine")
    if any(r.cap_hit for r in results):
        print("(cap): the phase stopped on its request cap before the duration ended; wrk divides by the "
              "whole duration, so req/s is understated")


def abort_notes(exc: BaseException, servers: list[Server]) -> list[str]:
    """Notes for a benchmark that stopped on ``exc``: the error and the live servers' log tails."""
    notes = [f"benchmark aborted: {type(exc).__name__}: {exc}"]
    for server in servers:
        if server.proc is not None:
            notes.append(f"{server.tag} server log tail:\n{server.log_tail()}")
    return notes


# --------------------------------------------------------------------------- the scripts' common frame


def add_common_arguments(parser: argparse.ArgumentParser, *, workers: str) -> None:
    """``--duration --workers --database-url --max-requests --client``, the same in every script."""
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per load phase (default 5)")
    parser.add_argument("--workers", default=workers,
                        help=f"comma-separated CELLAR_WORKERS values (default {workers})")
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL (postgresql://user@127.0.0.1:port/db); a fresh database is "
                             "created next to it for each server (needs CREATEDB) and dropped afterwards")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="request cap per phase")
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto",
                        help="load generator (auto: wrk if available/installable, else python)")


def worker_counts(args: argparse.Namespace) -> list[int]:
    return [int(w) for w in args.workers.split(",") if w.strip()]


def run_phases(phases: Callable[[list[str], list[Server]], None]) -> tuple[list[str], int]:
    """Run ``phases(notes, servers)``; whatever happens, stop every server it started. Returns the
    notes and the exit code (1 when it stopped on an error, which the notes then explain)."""
    raise_on_sigterm()
    notes: list[str] = []
    servers: list[Server] = []
    code = 0
    try:
        phases(notes, servers)
    except Exception as exc:  # noqa: BLE001 - report what we have, then fail
        code = 1
        notes += abort_notes(exc, servers)
        log(f"aborted: {type(exc).__name__}: {exc}")
    finally:
        for server in servers:
            server.stop()
    return notes, code

