#!/usr/bin/env python3
"""User OData at scale: load entities of a 10-property type with ``$batch``, then query them at a small
and at a large size, beside a bare Starlette app started in the same run (the framework's limit).

It starts, on 127.0.0.1 and free ports (stopped at the end, temp dirs removed), a bare Starlette app
answering 1 KB (bench/bare_app.py) and one ``cellar serve`` (1 worker, SQLite unless
``--database-url``). Fixtures (master token): cell ``bench``, box ``app``, OData collection ``data``,
entity type ``Item`` with ten declared properties (``bucket`` Int32: each bucket holds 100 entities;
``flag`` Boolean; ``score`` Double; ``label`` String; ``day`` DateTime; ``p1``-``p5`` String).

Printed, at ``--small`` (1,000) and at ``--large`` (1,000,000) entities:

* insert rate: ``$batch`` (changesets of 1,000 POSTs, two clients) and single POST (wrk, 16 conns);
* retrieve by key (wrk, 16 connections) and its share of the bare Starlette 1 KB rate;
* latency (median and p90 of ``--repeat`` sequential requests) of ``$filter`` on an indexed property
  selecting 100 rows, a two-property ``and``/``or`` filter, ``$orderby`` + ``$top=50``,
  ``$inlinecount`` with a filter, and ``q=``; then each large/small ratio (target: within 2x);
* the server's peak RSS (target: under 300 MB).

    .venv/bin/python bench/odata.py [--large 1000000] [--small 1000] [--repeat 30]
                                    [--database-url postgresql://user@127.0.0.1:5432/db]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import Load, Server, ensure_wrk, log, run_wrk  # noqa: E402
from references import BareStarlette  # noqa: E402

COLLECTION = "/bench/app/data"
BATCH_SIZE = 1000
PROPERTIES = [("bucket", "Edm.Int32"), ("flag", "Edm.Boolean"), ("score", "Edm.Double"), ("label", "Edm.String"),
              ("day", "Edm.DateTime"), *((f"p{i}", "Edm.String") for i in range(1, 6))]
WORDS = ["apple", "river", "stone", "cloud", "maple", "tiger", "amber", "delta"]
QUERIES = {
    "$filter indexed, 100 rows": {"$filter": "bucket eq 7", "$top": "100"},
    "$filter and/or": {"$filter": "(bucket eq 7 or bucket eq 8) and flag eq true", "$top": "100"},
    "$orderby + $top=50": {"$orderby": "score desc", "$top": "50"},
    "$inlinecount + $filter": {"$filter": "bucket eq 7", "$inlinecount": "allpages", "$top": "10"},
    "q= common word, $top=50": {"q": "maple", "$top": "50"},
    "q= rare words": {"q": "river 777"},
    "q= $inlinecount, $top=10": {"q": "777", "$inlinecount": "allpages", "$top": "10"},
}


def entity(n: int) -> str:
    return (f'{{"__id":"e{n}","bucket":{n // 100},"flag":{"true" if n % 2 else "false"},"score":{(n * 7919) % 10007},'
            f'"label":"{WORDS[n % 8]} {n}","day":"/Date({1_600_000_000_000 + n * 1000})/",'
            + ",".join(f'"p{i}":"v{(n + i) % 997}"' for i in range(1, 6)) + "}")


def batch_body(first: int, count: int) -> bytes:
    changes = "".join(f"--cs\nContent-Type: application/http\nContent-Transfer-Encoding: binary\n\n"
                      f"POST Item HTTP/1.1\nContent-Type: application/json\n\n{entity(n)}\n\n"
                      for n in range(first, first + count))
    return f"--b\nContent-Type: multipart/mixed; boundary=cs\n\n{changes}--cs--\n--b--".encode()


def setup(server: Server) -> None:
    auth = server.headers()
    steps = [("POST", "/__ctl/Cell", {"Name": "bench"}), ("POST", "/bench/__ctl/Box", {"Name": "app"})]
    for method, path, body in steps:
        assert httpx.request(method, server.base + path, json=body, headers=auth).status_code == 201
    mkcol = ('<D:mkcol xmlns:D="DAV:" xmlns:p="urn:x-personium:xmlns"><D:set><D:prop><D:resourcetype>'
             '<D:collection/><p:odata/></D:resourcetype></D:prop></D:set></D:mkcol>')
    assert httpx.request("MKCOL", server.base + COLLECTION, content=mkcol, headers=auth).status_code == 201
    meta = server.base + COLLECTION + "/$metadata/"
    assert httpx.post(meta + "EntityType", json={"Name": "Item"}, headers=auth).status_code == 201
    for name, edm in PROPERTIES:
        body = {"Name": name, "_EntityType.Name": "Item", "Type": edm}
        assert httpx.post(meta + "Property", json=body, headers=auth).status_code == 201


def load(server: Server, first: int, last: int, clients: int = 2) -> float:
    """Entities ``first`` .. ``last - 1`` in ``$batch`` requests; returns entities per second."""
    headers = {**server.headers(), "Content-Type": "multipart/mixed; boundary=b"}

    def send(start: int) -> None:
        count = min(BATCH_SIZE, last - start)
        with httpx.Client(timeout=600) as client:
            response = client.post(server.base + COLLECTION + "/$batch", content=batch_body(start, count),
                                   headers=headers)
        if response.status_code != 202 or response.text.count("201 Created") != count:
            raise RuntimeError(f"$batch at {start}: {response.status_code} {response.text[:300]}")

    began = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(first, last, BATCH_SIZE)))
    return (last - first) / (time.monotonic() - began)


def latency(server: Server, params: dict[str, str], repeat: int) -> tuple[float, float, int]:
    """Median and p90 milliseconds, and the number of results of the last answer."""
    url = server.base + COLLECTION + "/Item?" + "&".join(f"{k}={quote(v)}" for k, v in params.items())
    times, results = [], 0
    with httpx.Client(headers=server.headers(), timeout=120) as client:
        for _ in range(repeat):
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
            results = len(response.json()["d"]["results"])
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], results


def rates(server: Server, bare: float, size: int, duration: float) -> list[str]:
    get = run_wrk(server, Load("retrieve by key", "retrieve", 16, path=COLLECTION, name_count=size, prefix="e",
                               get_template=f"{COLLECTION}/Item('{{}}')"), duration, 1_000_000)
    post = run_wrk(server, Load("single POST", "post", 16, path=COLLECTION + "/Item", body=entity(0).replace(
        '"__id":"e0",', ""), method="POST", expected=(201,)), duration, 1_000_000)
    return [f"  retrieve by key, 16 conns: {get.rps:,.0f} req/s ({get.errors} errors), "
            f"{100 * get.rps / bare:.1f} % of bare Starlette ({bare:,.0f} req/s) (target >= 25 %)",
            f"  single POST, 16 conns: {post.rps:,.0f} entities/s ({post.errors} errors)"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    if not ensure_wrk():
        parser.error("wrk is needed (make test-tools installs it)")
    bare_server, server = BareStarlette(), Server(1, args.database_url, "odata")
    lines: list[str] = []
    try:
        bare_server.start()
        bare = run_wrk(bare_server, Load("bare 1 KB", "fixed", 16), args.duration, 1_000_000).rps
        bare_server.stop()
        server.start()
        setup(server)
        small: dict[str, float] = {}
        for size, first in ((args.small, 0), (args.large, args.small)):
            log(f"loading entities {first:,} .. {size:,}")
            rate = load(server, first, size)
            lines.append(f"at {size:,} entities: $batch load {rate:,.0f} entities/s (target >= 5,000)")
            lines += rates(server, bare, size, args.duration)
            for name, params in QUERIES.items():
                median, p90, count = latency(server, params, args.repeat)
                ratio = "" if size == args.small else f", {median / small[name]:.2f}x of {args.small:,} (target <= 2x)"
                lines.append(f"  {name}: median {median:.1f} ms, p90 {p90:.1f} ms, {count} rows{ratio}")
                small.setdefault(name, median)
            server.sample_memory()
            peak = max((hwm for _, _, hwm, _ in server.peak), default=0) / 1024
            lines.append(f"  server peak RSS so far: {peak:.0f} MB (target < 300 MB)")
            log("\n".join(lines[-9:]))
    finally:
        bare_server.stop()
        server.stop()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
