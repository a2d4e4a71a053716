#!/usr/bin/env python3
"""Messages between cells: delivery rate on one unit and between two units, and the send latency
when one recipient is down.

It starts, on 127.0.0.1 and free ports (stopped at the end, temp dirs removed), two ``cellar serve``
units (1 worker each, SQLite unless ``--database-url``), each restarted once so that it trusts the
other's CA. Unit 1 has cells ``a`` and ``b``, unit 2 cell ``r``. Printed:

* messages per second delivered ``a`` → ``b`` (same unit: answered in-process) and ``a`` → ``r``
  (over HTTP, a trans-cell token verified at the other unit), each with ``--clients`` concurrent
  senders for ``--duration`` seconds; every one must be recorded ``201`` on its SentMessage;
* the latency (p50 and p99 of ``--repeat`` sequential sends) of a message to ``b`` and to a unit that
  is down (connection refused), and to ``b`` and a unit that accepts connections but never answers
  (bounded by ``CELLAR_MESSAGE_TIMEOUT``, here ``--timeout`` seconds).

    .venv/bin/python bench/messaging.py [--duration 10] [--clients 8] [--repeat 100] [--timeout 2]
                                        [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import socket
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Server, free_port, log, percentile  # noqa: E402


def created(response: httpx.Response) -> None:
    if response.status_code not in (201, 204):
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.status_code} {response.text}")


def trusting_units(args: argparse.Namespace) -> tuple[Server, Server]:
    """Two units that trust each other's CA (each made its own at first start)."""
    one = Server(1, args.database_url, "msg-unit1")
    two = Server(1, args.database_url, "msg-unit2")
    one.start()
    two.start()
    settings = {"CELLAR_MESSAGE_TIMEOUT": str(args.timeout)}
    one.restart({**settings, "CELLAR_TRUSTED_CA_FILES": str(two.data_dir / "unit-ca.pem")})
    two.restart({**settings, "CELLAR_TRUSTED_CA_FILES": str(one.data_dir / "unit-ca.pem")})
    for server, names in ((one, ("a", "b")), (two, ("r",))):
        for name in names:
            created(httpx.post(f"{server.base}/__ctl/Cell", json={"Name": name}, headers=server.headers()))
    return one, two


def send(client: httpx.Client, server: Server, to: str) -> tuple[float, list[dict[str, str]]]:
    started = time.perf_counter()
    response = client.post(f"{server.base}/a/__message/send", json={"To": to, "Title": "bench", "Body": "x" * 200},
                           headers=server.headers())
    elapsed = time.perf_counter() - started
    created(response)
    return elapsed, response.json()["d"]["results"]["Result"]


def rate(server: Server, to: str, clients: int, duration: float) -> float:
    """Messages per second with ``clients`` senders; each must have reached its recipient."""
    deadline = time.monotonic() + duration

    def sender() -> int:
        count = 0
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < deadline:
                _, results = send(client, server, to)
                if [r["Code"] for r in results] != ["201"]:
                    raise RuntimeError(f"not delivered: {results}")
                count += 1
        return count

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(lambda _: sender(), range(clients)))
    return total / (time.monotonic() - started)


def latency(server: Server, to: str, repeat: int) -> tuple[float, float]:
    with httpx.Client(timeout=60) as client:
        times = sorted(send(client, server, to)[0] * 1000 for _ in range(repeat))
    return percentile(times, 50), percentile(times, 99)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--timeout", type=int, default=2)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    lines: list[str] = []
    one = two = None
    try:
        one, two = trusting_units(args)
        local, remote = f"{one.base}/b/", f"{two.base}/r/"
        down = f"http://127.0.0.1:{free_port()}/gone/"
        with socket.create_server(("127.0.0.1", 0), backlog=1024) as silent:
            hanging = f"http://127.0.0.1:{silent.getsockname()[1]}/slow/"
            log("delivering on one unit")
            lines.append(f"a -> b, one unit:   {rate(one, local, args.clients, args.duration):,.0f} messages/s "
                         f"({args.clients} senders)")
            log("delivering to the other unit")
            lines.append(f"a -> r, two units:  {rate(one, remote, args.clients, args.duration):,.0f} messages/s "
                         f"({args.clients} senders)")
            for label, to, repeat in (("to b alone", local, args.repeat),
                                      ("to b and a unit that is down", f"{local},{down}", args.repeat),
                                      ("to b and a unit that never answers", f"{local},{hanging}",
                                       max(args.repeat // 20, 3))):
                p50, p99 = latency(one, to, repeat)
                lines.append(f"send latency {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms ({repeat} sends)")
                log(lines[-1])
        lines.append(f"(delivery timeout CELLAR_MESSAGE_TIMEOUT={args.timeout} s)")
    finally:
        for server in (one, two):
            if server is not None:
                server.stop()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
