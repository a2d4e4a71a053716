#!/usr/bin/env python3
"""Authentication and access-control benchmark for Cellar: prints figures, it is not a test.

For each worker count (``--workers``, default 1) it starts a real ``cellar serve`` on 127.0.0.1
and a free port (fresh temp data dir, or a fresh PostgreSQL database with ``--database-url``; own
master token; ``CELLAR_WORKERS``) and sets up, with the master token:

* cells ``bench`` and ``other``; in ``bench`` an account ``alice`` with a password
  (``X-Personium-Credential``), ``--roles`` (50) main-box roles ``r0..r49`` each linked to alice
  (``POST /bench/__ctl/Account('alice')/$links/_Role``), an account ``bob`` (password) linked to
  ``r0`` only, and the target object, the account ``target``;
* an AR~ token for alice and one for bob (``POST /bench/__token`` password grant); then it checks
  that ``GET /bench/__ctl/Account('target')`` with alice's token answers 403 while the cell has no
  ACL, sets the cell ACL (``ACL /bench/``) to one ACE per role granting ``<p:auth-read/>``, and
  checks that the same GET answers 200 with ``Name`` ``target``;
* in ``bench`` a box ``bbox`` (``POST /bench/__ctl/Box``), a collection ``col`` (``MKCOL``) and a
  file ``f.txt`` in it (``PUT``, a few hundred bytes of text/plain); then it checks that
  ``GET /bench/bbox/col/f.txt`` with alice's token answers 403 while the file has no ACL (the cell
  ACL grants only ``auth-read``, never ``root``), sets the file's ACL (``ACL``) to one ACE per role
  granting ``<D:read/>``, and checks that the GET answers 200 with the file's bytes for alice, bob
  and the master token. Collection and box root keep empty ACLs.

Measured with wrk (bench/lua/cellar.lua; 16 clients, and 1 client), every response code checked:

1. ``GET /bench/__ctl/Account('target')`` with the master token vs alice's AR~ token (token
   decryption + role lookup + ACL evaluation on every request), 50 roles / 50 ACEs; then the ACL
   is replaced by the single ACE for ``r0`` and the same GET is measured with the master token vs
   bob's token (1 role / 1 ACE): the token cost without the ACL size. Targets: token overhead
   < 20 % (1 role, 1 ACE: master req/s / token req/s - 1), and the ACL-checked GET with 50 roles
   and 50 ACEs >= 80 % of the master-token rate.
1b. Box level, the same way: ``GET /bench/bbox/col/f.txt`` with the master token vs alice's token
   (token decryption + role lookup + box tree walk + the file's ACL), 50 roles / 50 ACEs on the
   file; then the file's ACL is replaced by the ACE for ``r0`` and measured with the master token
   vs bob's token (1 role / 1 ACE). Target: 50 roles and 50 ACEs on a file >= 80 % of the
   master-token rate.
2. ``POST /bench/__token`` password grant (correct password: the 1-second interval lock applies
   only after a failure), and the in-process cost of one argon2 hash
   (``cellar.auth.authn.passwords.hash_password``) and of ``verify_password``.
3. Trans-cell: ``POST /bench/__token`` with ``p_target=<base>/other/`` (a SAML token, RSA-signed),
   once with the password grant and once with the refresh_token grant (no argon2), and the
   ``saml2-bearer`` exchange of such a token at ``/other/__token`` (signature verification); plus
   the in-process cost of ``cellar.auth.authn.saml.issue`` and ``cellar.auth.authn.saml.parse``.

Report, CPU columns, load generator and server handling are those of ``bench/unit.py`` and
``bench/ctl.py``, shared through ``bench/harness.py``.

    .venv/bin/python bench/auth.py [--duration 5] [--roles 50] [--workers 1]
                                   [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402 - after the sys.path line, so that it runs from anywhere
    CONCURRENCY,
    REPO,
    Load,
    Result,
    Server,
    add_common_arguments,
    backend_label,
    choose_client,
    client_label,
    cpu_seconds,
    log,
    print_footer,
    print_table,
    rss_line,
    run_load,
    run_phases,
    worker_counts,
)

CELL, OTHER = "bench", "other"
PASSWORD = "password1"
TARGET_PATH = f"/{CELL}/__ctl/Account('target')"
BOX = "bbox"
BOX_FILE = f"/{CELL}/{BOX}/col/f.txt"
FILE_BODY = b"".join(f"line {i:02d}: the box-level access check reads these bytes\n".encode() for i in range(6))
SAML2 = "urn:ietf:params:oauth:grant-type:saml2-bearer"
FORM = "application/x-www-form-urlencoded"


class SetupError(RuntimeError):
    pass


def expect(response: httpx.Response, code: int, what: str) -> httpx.Response:
    if response.status_code != code:
        raise SetupError(f"{what} -> {response.status_code} (expected {code}): {response.text[:300]}")
    return response


def acl_body(base: str, roles: list[str], privilege: str = "p:auth-read") -> str:
    """An ACL with one ACE per main-box role granting ``privilege`` (cell level: ``p:auth-read``;
    box level: ``D:read``)."""
    aces = "".join(
        f"  <D:ace><D:principal><D:href>{name}</D:href></D:principal>"
        f"<D:grant><D:privilege><{privilege}/></D:privilege></D:grant></D:ace>\n" for name in roles)
    return ('<?xml version="1.0" encoding="utf-8" ?>\n'
            f'<D:acl xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns" xml:base="{base}/{CELL}/__role/__/">\n'
            f"{aces}</D:acl>\n")


@dataclass
class Fixture:
    """What the setup made on one server."""

    alice: str = ""  # AR~ token, 50 roles
    bob: str = ""  # AR~ token, 1 role
    refresh: str = ""  # alice's RR~ token
    saml: str = ""  # a trans-cell token issued by bench for other
    password_form: str = ""
    trans_password_form: str = ""
    trans_refresh_form: str = ""
    saml2_form: str = ""


class Setup:
    """The fixtures, made through ``client`` (an ``httpx.Client``, or a Starlette ``TestClient`` for an
    in-process app as bench/auth_profile.py uses) at ``base`` (the unit URL without the slash)."""

    def __init__(self, base: str, master_token: str, roles: int, client: httpx.Client | None = None) -> None:
        self.base = base
        self.master_token = master_token
        self.roles = [f"r{i}" for i in range(roles)]
        self.client = client or httpx.Client(base_url=base, timeout=60)
        self.master = {"Authorization": f"Bearer {master_token}", "Accept": "application/json"}

    def close(self) -> None:
        self.client.close()

    def post(self, path: str, what: str, code: int = 201, **kwargs: object) -> httpx.Response:
        headers = {**self.master, **kwargs.pop("headers", {})}  # type: ignore[dict-item]
        return expect(self.client.post(path, headers=headers, **kwargs), code, what)  # type: ignore[arg-type]

    def token(self, form: dict[str, str], cell: str = CELL, prefix: str = "AR~") -> dict[str, str]:
        response = expect(self.client.post(f"/{cell}/__token", data=form), 200, f"POST /{cell}/__token {form}")
        body = response.json()
        if not str(body.get("access_token", "")).startswith(prefix):
            raise SetupError(f"POST /{cell}/__token: access_token {str(body.get('access_token'))[:20]!r}, "
                             f"expected {prefix}...")
        return body

    def get_target(self, token: str) -> httpx.Response:
        return self.client.get(TARGET_PATH, headers={"Authorization": f"Bearer {token}",
                                                     "Accept": "application/json"})

    def check_target(self, token: str, code: int, what: str) -> None:
        response = expect(self.get_target(token), code, f"GET {TARGET_PATH} with {what}")
        if code == 200 and response.json().get("d", {}).get("results", {}).get("Name") != "target":
            raise SetupError(f"GET {TARGET_PATH} with {what}: unexpected body {response.text[:200]}")

    def set_acl(self, roles: list[str]) -> None:
        response = self.client.request("ACL", f"/{CELL}/", content=acl_body(self.base, roles).encode(),
                                       headers={**self.master, "Content-Type": "application/xml"})
        expect(response, 200, f"ACL /{CELL}/ ({len(roles)} ACEs)")

    def get_file(self, token: str) -> httpx.Response:
        return self.client.get(BOX_FILE, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    def check_file(self, token: str, code: int, what: str) -> None:
        response = expect(self.get_file(token), code, f"GET {BOX_FILE} with {what}")
        if code == 200 and response.content != FILE_BODY:
            raise SetupError(f"GET {BOX_FILE} with {what}: unexpected body {response.content[:200]!r}")

    def set_file_acl(self, roles: list[str]) -> None:
        body = acl_body(self.base, roles, "D:read").encode()
        response = self.client.request("ACL", BOX_FILE, content=body,
                                       headers={**self.master, "Content-Type": "application/xml"})
        expect(response, 200, f"ACL {BOX_FILE} ({len(roles)} ACEs)")

    def run_box(self, fx: Fixture) -> None:
        """The box, collection and file of the box-level GET, the file's ACL with one ACE per role;
        after ``run`` (its tokens, and the cell ACL that grants the roles ``auth-read`` only)."""
        self.post(f"/{CELL}/__ctl/Box", f"POST Box {BOX}", json={"Name": BOX})
        expect(self.client.request("MKCOL", f"/{CELL}/{BOX}/col", headers=self.master), 201,
               f"MKCOL /{CELL}/{BOX}/col")
        expect(self.client.put(BOX_FILE, content=FILE_BODY, headers={**self.master, "Content-Type": "text/plain"}),
               201, f"PUT {BOX_FILE}")
        self.check_file(fx.alice, 403, "alice's AR~ token before the file has an ACL")
        self.set_file_acl(self.roles)
        n = len(self.roles)
        self.check_file(fx.alice, 200, f"alice's AR~ token ({n} roles, {n} ACEs on the file)")
        self.check_file(fx.bob, 200, f"bob's AR~ token (1 role, {n} ACEs on the file)")
        self.check_file(self.master_token, 200, "the master token")

    def run(self) -> Fixture:
        fx = Fixture()
        for cell in (CELL, OTHER):
            self.post("/__ctl/Cell", f"POST /__ctl/Cell {cell}", json={"Name": cell})
        ctl = f"/{CELL}/__ctl"
        for name in ("alice", "bob"):
            self.post(f"{ctl}/Account", f"POST Account {name}", json={"Name": name},
                      headers={"X-Personium-Credential": PASSWORD})
        self.post(f"{ctl}/Account", "POST Account target", json={"Name": "target"})
        for name in self.roles:
            self.post(f"{ctl}/Role", f"POST Role {name}", json={"Name": name})
        for account, names in (("alice", self.roles), ("bob", self.roles[:1])):
            for name in names:
                uri = f"{self.base}{ctl}/Role(Name='{name}',_Box.Name=null)"
                self.post(f"{ctl}/Account('{account}')/$links/_Role", f"link {account} -> {name}", code=204,
                          json={"uri": uri})
        linked = expect(self.client.get(f"{ctl}/Account('alice')/$links/_Role?$top=1000", headers=self.master),
                        200, "GET alice's role links").json()["d"]["results"]
        if len(linked) != len(self.roles):
            raise SetupError(f"alice has {len(linked)} role links, expected {len(self.roles)}")

        password = {"grant_type": "password", "username": "alice", "password": PASSWORD}
        alice = self.token(password)
        fx.alice, fx.refresh = alice["access_token"], alice["refresh_token"]
        fx.bob = self.token({**password, "username": "bob"})["access_token"]
        self.check_target(fx.alice, 403, "alice's AR~ token before the cell ACL exists")
        self.check_target(fx.bob, 403, "bob's AR~ token before the cell ACL exists")
        self.set_acl(self.roles)
        self.check_target(fx.alice, 200, f"alice's AR~ token ({len(self.roles)} roles, {len(self.roles)} ACEs)")
        self.check_target(fx.bob, 200, f"bob's AR~ token (1 role, {len(self.roles)} ACEs)")
        self.check_target(self.master_token, 200, "the master token")

        target = f"{self.base}/{OTHER}/"
        fx.password_form = urlencode(password)
        fx.trans_password_form = urlencode({**password, "p_target": target})
        fx.trans_refresh_form = urlencode({"grant_type": "refresh_token", "refresh_token": fx.refresh,
                                           "p_target": target})
        issued = self.token({**password, "p_target": target}, prefix="")
        fx.saml = issued["access_token"]
        if fx.saml.startswith(("AR~", "AV~")) or issued.get("p_target") != target:
            raise SetupError(f"p_target token: {str(issued)[:200]}")
        self.token({"grant_type": "refresh_token", "refresh_token": fx.refresh, "p_target": target}, prefix="")
        fx.saml2_form = urlencode({"grant_type": SAML2, "assertion": fx.saml})
        self.token({"grant_type": SAML2, "assertion": fx.saml}, cell=OTHER, prefix="AV~")
        return fx


# --------------------------------------------------------------------------- in-process costs


@dataclass
class Micro:
    label: str
    samples_ms: list[float]

    def line(self) -> str:
        s = sorted(self.samples_ms)
        med = statistics.median(s)
        return (f"{self.label}: median {med:.2f} ms, min {s[0]:.2f}, max {s[-1]:.2f} ms over {len(s)} runs "
                f"(one core: at most {1000 / med:.0f}/s)")


def timed(fn: object, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append((time.perf_counter() - t0) * 1000)
    return out


def micro_costs(runs: int) -> list[Micro]:
    """argon2 hash / verify, SAML issue / parse, AR~ encode / decode, in this process (server idle)."""
    sys.path.insert(0, str(REPO / "src"))
    from cellar import clock
    from cellar.auth.authn import saml
    from cellar.auth.authn.certs import generate_unit_keys
    from cellar.auth.authn.passwords import hash_password, verify_password
    from cellar.auth.authn.tokens import LocalToken, TokenCodec, TokenKind

    results = []
    hash_password(PASSWORD)  # warm-up
    results.append(Micro("argon2id hash_password (in-process)", timed(lambda: hash_password(PASSWORD), runs)))
    stored = hash_password(PASSWORD)
    results.append(Micro("argon2id verify_password (in-process)",
                         timed(lambda: verify_password(stored, PASSWORD), runs)))

    keys, _ = generate_unit_keys("127.0.0.1")
    cell_url, target = "http://127.0.0.1/bench/", "http://127.0.0.1/other/"
    roles = tuple(f"{cell_url}__role/__/r{i}" for i in range(50))
    token = saml.TransCellToken(uuid.uuid4().hex, cell_url, f"{cell_url}#alice", target, "", roles, ("root",),
                                clock.now_ms(), 3600 * 1000)
    saml.issue(token, keys.key, keys.cert)
    results.append(Micro("saml.issue, 50 roles, RSA sign (in-process)",
                         timed(lambda: saml.issue(token, keys.key, keys.cert), runs * 5)))
    text = saml.issue(token, keys.key, keys.cert)
    roots = keys.trusted_roots
    saml.parse(text, roots, clock.now_ms())
    results.append(Micro("saml.parse, 50 roles, verify signature + chain (in-process)",
                         timed(lambda: saml.parse(text, roots, clock.now_ms()), runs * 5)))

    codec = TokenCodec(os.urandom(32))
    local = LocalToken(TokenKind.RESIDENT_ACCESS, cell_url, "alice", clock.now_ms(), 3600 * 1000, "", ("root",))
    sealed = codec.encode(local)
    results.append(Micro("AR~ TokenCodec.decode (AES-GCM, in-process)",
                         timed(lambda: codec.decode(sealed, cell_url), runs * 50)))
    return results


# --------------------------------------------------------------------------- measuring


def settle(server: Server, limit: float = 20.0, idle: float = 0.05) -> float:
    """Wait until the server uses < ``idle`` cores over 0.25 s (bounded by ``limit`` seconds): when
    wrk stops, the server still works off the requests it had accepted (argon2 in the threadpool),
    which would otherwise be charged to the next phase. Returns the seconds waited."""
    pids = [server.proc.pid, *server.descendants()] if server.proc else []
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = cpu_seconds(pids)[1]
        time.sleep(0.25)
        if (cpu_seconds(pids)[1] - before) / 0.25 < idle:
            break
    return time.monotonic() - started


@dataclass
class WorkerRun:
    workers: int
    results: list[Result] = field(default_factory=list)
    named: dict[str, Result] = field(default_factory=dict)
    peak: list[tuple[int, str, int, int]] = field(default_factory=list)


def bench_workers(run: WorkerRun, args: argparse.Namespace, use_wrk: bool, notes: list[str],
                  servers: list[Server]) -> None:
    server = Server(run.workers, args.database_url, f"w{run.workers}-auth")
    servers.append(server)
    server.start()

    def measure(key: str, load: Load) -> Result:
        waited = settle(server)
        if waited > 1:
            log(f"{server.tag}: waited {waited:.1f}s for the server to finish the previous phase")
        result = run_load(server, load, args.duration, args.max_requests, use_wrk)
        run.results.append(result)
        run.named[key] = result
        return result

    def warm(token: str, path: str = TARGET_PATH) -> None:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for _ in range(50):
                client.get(path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})

    setup = Setup(server.base, server.token, args.roles)
    try:
        log(f"{server.tag}: setup (cells, accounts, {args.roles} roles and links, ACL, tokens)")
        fx = setup.run()
        log(f"{server.tag}: box setup (box, collection, file, {args.roles} ACEs on the file)")
        setup.run_box(fx)
        n = args.roles
        for token in (server.token, fx.alice):
            warm(token)
        for clients in (CONCURRENCY, 1):
            measure(f"master {n} c{clients}", Load(f"GET Account master ({n} ACEs)", "fixed", clients,
                                                   path=TARGET_PATH))
            measure(f"token {n} c{clients}", Load(f"GET Account AR~ ({n} roles, {n} ACEs)", "fixed", clients,
                                                  path=TARGET_PATH, token=fx.alice))

        setup.set_acl(setup.roles[:1])
        setup.check_target(fx.bob, 200, "bob's AR~ token (1 role, 1 ACE)")
        setup.check_target(fx.alice, 200, f"alice's AR~ token ({n} roles, 1 ACE)")
        warm(fx.bob)
        for clients in (CONCURRENCY, 1):
            measure(f"master 1 c{clients}", Load("GET Account master (1 ACE)", "fixed", clients, path=TARGET_PATH))
            measure(f"token 1 c{clients}", Load("GET Account AR~ (1 role, 1 ACE)", "fixed", clients,
                                                path=TARGET_PATH, token=fx.bob))

        for token in (server.token, fx.alice):
            warm(token, BOX_FILE)
        for clients in (CONCURRENCY, 1):
            measure(f"box master {n} c{clients}", Load(f"GET box file master ({n} ACEs)", "fixed", clients,
                                                       path=BOX_FILE))
            measure(f"box token {n} c{clients}", Load(f"GET box file AR~ ({n} roles, {n} ACEs)", "fixed",
                                                      clients, path=BOX_FILE, token=fx.alice))
        setup.set_file_acl(setup.roles[:1])
        setup.check_file(fx.bob, 200, "bob's AR~ token (1 role, 1 ACE on the file)")
        setup.check_file(fx.alice, 200, f"alice's AR~ token ({n} roles, 1 ACE on the file)")
        warm(fx.bob, BOX_FILE)
        for clients in (CONCURRENCY, 1):
            measure(f"box master 1 c{clients}", Load("GET box file master (1 ACE)", "fixed", clients,
                                                     path=BOX_FILE))
            measure(f"box token 1 c{clients}", Load("GET box file AR~ (1 role, 1 ACE)", "fixed", clients,
                                                    path=BOX_FILE, token=fx.bob))

        def post(key: str, workload: str, path: str, body: str, clients: int = CONCURRENCY) -> None:
            measure(key, Load(workload, "post", clients, path=path, body=body, content_type=FORM, token=""))

        for clients in (CONCURRENCY, 1):
            post(f"password c{clients}", "POST __token password (argon2)", f"/{CELL}/__token", fx.password_form,
                 clients)
        post("saml issue password", "POST __token password+p_target (argon2+RSA sign)", f"/{CELL}/__token",
             fx.trans_password_form)
        post("saml issue refresh", "POST __token refresh+p_target (RSA sign)", f"/{CELL}/__token",
             fx.trans_refresh_form)
        post("saml2 exchange", "POST other/__token saml2-bearer (verify)", f"/{OTHER}/__token", fx.saml2_form)
        # the refresh and saml2 grants leave no login history: the account must still log in
        expect(setup.client.post(f"/{CELL}/__token", data={"grant_type": "password", "username": "alice",
                                                            "password": PASSWORD}), 200, "password grant afterwards")
        server.sample_memory()
        run.peak = server.peak
    finally:
        setup.close()
    server.stop()  # on errors, main() stops it after reading its log tail


# --------------------------------------------------------------------------- report


def ratio(token: Result | None, master: Result | None) -> float:
    if not token or not master or not master.rps or token.failed or master.failed:
        return float("nan")
    return token.rps / master.rps


def cpu_ms(result: Result) -> float:
    """Server CPU milliseconds per request (less sensitive to other load than req/s)."""
    return 1000 * result.server_cpu / result.rps if result.rps else float("nan")


def print_report(runs: list[WorkerRun], micro: list[Micro], args: argparse.Namespace, use_wrk: bool,
                 notes: list[str], elapsed: float) -> None:
    print()
    print(f"# Cellar authentication and access control on 127.0.0.1; {backend_label(args.database_url)}; "
          f"{os.cpu_count()} CPUs; Python {platform.python_version()}; client {client_label(use_wrk)}; "
          f"{args.duration:g}s per phase, cap {args.max_requests} requests; total {elapsed:.0f}s")
    print(f"# GET {TARGET_PATH} (Accept: application/json); POST forms to /{CELL}/__token and /{OTHER}/__token")
    print(f"# box: GET {BOX_FILE} ({len(FILE_BODY)} bytes text/plain), the ACEs (<D:read/>) on the file; "
          f"collection, box root: no ACL; cell ACL: <p:auth-read/> only")
    results = [r for run in runs for r in run.results]
    flagged = print_table(results)
    n = args.roles
    for run in runs:
        print()
        w = run.workers
        for clients in (CONCURRENCY, 1):
            for size, label in ((n, f"{n} roles, {n} ACEs"), (1, "1 role, 1 ACE")):
                tok, mas = run.named.get(f"token {size} c{clients}"), run.named.get(f"master {size} c{clients}")
                r = ratio(tok, mas)
                if r != r or tok is None or mas is None:
                    continue
                print(f"token/master workers={w} c{clients} ({label}): {tok.rps:.0f} / {mas.rps:.0f} req/s = "
                      f"{r:.2f}; p50 {tok.p50_ms:.2f} / {mas.p50_ms:.2f} ms; p99 {tok.p99_ms:.2f} / "
                      f"{mas.p99_ms:.2f} ms; server CPU per request {cpu_ms(tok):.2f} / {cpu_ms(mas):.2f} ms")
        for clients in (CONCURRENCY, 1):
            for size, label in ((n, f"{n} roles, {n} ACEs"), (1, "1 role, 1 ACE")):
                tok = run.named.get(f"box token {size} c{clients}")
                mas = run.named.get(f"box master {size} c{clients}")
                r = ratio(tok, mas)
                if r != r or tok is None or mas is None:
                    continue
                print(f"box file token/master workers={w} c{clients} ({label} on the file): {tok.rps:.0f} / "
                      f"{mas.rps:.0f} req/s = {r:.2f}; p50 {tok.p50_ms:.2f} / {mas.p50_ms:.2f} ms; p99 "
                      f"{tok.p99_ms:.2f} / {mas.p99_ms:.2f} ms; server CPU per request {cpu_ms(tok):.2f} / "
                      f"{cpu_ms(mas):.2f} ms")
        for clients in (CONCURRENCY, 1):
            one = ratio(run.named.get(f"token 1 c{clients}"), run.named.get(f"master 1 c{clients}"))
            big = ratio(run.named.get(f"token {n} c{clients}"), run.named.get(f"master {n} c{clients}"))
            if one == one:
                overhead = 1 / one - 1
                print(f"target 'authentication' workers={w} c{clients}: token verification overhead "
                      f"(1 role, 1 ACE) = master/token - 1 = {overhead * 100:.0f}% "
                      f"({'OK' if overhead < 0.20 else 'MISSED'} target < 20%)")
            if big == big:
                print(f"target 'access control' workers={w} c{clients}: {n} roles + {n} ACEs at "
                      f"{big * 100:.0f}% of the master-token rate ({'OK' if big >= 0.80 else 'MISSED'} target >= 80%)")
            box = ratio(run.named.get(f"box token {n} c{clients}"), run.named.get(f"box master {n} c{clients}"))
            if box == box:
                print(f"target 'access control (box)' workers={w} c{clients}: {n} roles + {n} ACEs on a file at "
                      f"{box * 100:.0f}% of the master-token rate ({'OK' if box >= 0.80 else 'MISSED'} target >= 80%)")
        for key, what in (("password c16", "password grant"), ("saml issue password", "SAML issue (password grant)"),
                          ("saml issue refresh", "SAML issue (refresh grant)"),
                          ("saml2 exchange", "saml2-bearer exchange")):
            r = run.named.get(key)
            if r:
                print(f"{what} workers={w} c16: {r.rps:.1f} req/s, p50 {r.p50_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
                      f"server {r.server_cpu:.2f} cores -> {cpu_ms(r):.1f} ms server CPU per request")
        line = rss_line(w, "auth server", run.peak)
        if line:
            print(line)
    if micro:
        print()
        for m in micro:
            print(m.line())
    print_footer(results, flagged, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_common_arguments(parser, workers="1")
    parser.add_argument("--roles", type=int, default=50, help="roles linked to alice and ACEs (default 50)")
    parser.add_argument("--hash-runs", type=int, default=20, help="in-process argon2 timings (default 20)")
    args = parser.parse_args(argv)
    if args.roles < 1:
        parser.error("--roles must be at least 1")

    use_wrk = choose_client(args.client, parser)
    started = time.monotonic()
    runs: list[WorkerRun] = []
    micro: list[Micro] = []

    def phases(notes: list[str], servers: list[Server]) -> None:
        for count in worker_counts(args):
            runs.append(WorkerRun(count))
            bench_workers(runs[-1], args, use_wrk, notes, servers)
        log("in-process costs (argon2, SAML, AR~)")
        micro.extend(micro_costs(args.hash_runs))

    notes, code = run_phases(phases)
    print_report(runs, micro, args, use_wrk, notes, time.monotonic() - started)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
