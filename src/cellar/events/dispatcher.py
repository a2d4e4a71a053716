"""Delivery of committed events to this process's subscribers, once each, whichever process wrote
them: one thread per process, never one per event.

* Events this process commits are handed over right after commit (outside any writer lock) and
  delivered without being read back.
* Events of other processes and nodes are read from the outbox: on PostgreSQL when a NOTIFY says
  there are some, and every few seconds as a safety net; on SQLite every poll interval.
* PostgreSQL sequence values commit out of order: a row with a smaller id may become visible after
  a larger one. Ids skipped over are remembered as gaps and looked for again for
  :data:`GAP_WINDOW` seconds (rolled-back transactions leave gaps that never fill).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from cellar.events.bus import Event, EventBus

log = logging.getLogger(__name__)
#: Seconds a skipped id is looked for again. The outbox row is inserted just before commit, so a
#: row becomes visible within its commit's duration of getting its id.
GAP_WINDOW = 60.0
#: Gaps remembered at most (the oldest are dropped first).
MAX_GAPS = 1000
#: Rows read per query.
BATCH = 500
#: PostgreSQL: seconds between reads without a notification.
SAFETY_NET = 5.0
#: Seconds between prunes of old rows.
PRUNE_EVERY = 60.0


class Outbox(Protocol):
    origin: str

    def open(self) -> None: ...
    def latest_id(self) -> int: ...
    def read(self, after: int, also: Collection[int], limit: int) -> list[tuple[Event, str]]: ...
    def prune(self, before_ms: int) -> None: ...
    def wait(self, timeout: float) -> bool: ...
    def wake(self) -> None: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Timing:
    poll_interval: float  # seconds between reads when nothing notifies (SQLite)
    retention_ms: int  # rows older than this are pruned
    notified: bool  # the outbox notifies of other processes' commits (PostgreSQL)

    @property
    def read_interval(self) -> float:
        return max(self.poll_interval, SAFETY_NET) if self.notified else self.poll_interval


class Dispatcher:
    def __init__(self, bus: EventBus, outbox: Outbox) -> None:
        self.bus = bus
        self._outbox = outbox
        self._local: deque[list[Event]] = deque()
        self._lock = threading.Lock()
        self._users = 0
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._cursor = 0
        self._gaps: dict[int, float] = {}  # id -> when it was skipped (monotonic)

    def committed(self, events: list[Event]) -> None:
        """Called by storage after a commit, outside the writer lock. Without a running dispatcher
        (the CLI, some tests) the events are delivered at once on the caller's thread."""
        if not events:
            return
        with self._lock:
            running = self._thread is not None
            if running:
                self._local.append(events)
        if running:
            self._outbox.wake()
        else:
            self.bus.publish_all(events)

    def start(self, timing: Timing) -> None:
        """Idempotent per user: several apps may share one storage (tests); the last stop ends it."""
        with self._lock:
            self._users += 1
            if self._thread is not None:
                return
            self._outbox.open()
            self._cursor, self._gaps, self._stopping = self._outbox.latest_id(), {}, False
            self._thread = threading.Thread(target=self._run, args=(timing,), name="cellar-events", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0 or self._thread is None:
                return
            thread, self._thread = self._thread, None
            self._stopping = True
            self._outbox.wake()
        thread.join()
        self._outbox.close()
        self._deliver_local()  # what was committed while stopping

    def _run(self, timing: Timing) -> None:
        next_read = next_prune = time.monotonic()
        while not self._stopping:
            try:
                notified = self._outbox.wait(max(0.0, min(next_read, next_prune) - time.monotonic()))
                self._deliver_local()
                moment = time.monotonic()
                if notified or moment >= next_read:
                    self.poll()
                    next_read = moment + timing.read_interval
                if moment >= next_prune:
                    self._outbox.prune(int(time.time() * 1000) - timing.retention_ms)
                    next_prune = moment + PRUNE_EVERY
            except Exception:  # the database may be briefly unreachable: keep going
                log.exception("event dispatch failed; retrying")
                time.sleep(timing.poll_interval)

    def _deliver_local(self) -> None:
        while self._local:
            self.bus.publish_all(self._local.popleft())

    def poll(self) -> None:
        """Read what other processes committed since the last read, and the gaps; deliver it."""
        while True:
            rows = self._outbox.read(self._cursor, self._gaps.keys(), BATCH)
            fresh = [event for event, origin in rows if self._advance(event.id or 0) and origin != self._outbox.origin]
            self.bus.publish_all(fresh)
            if len(rows) < BATCH:
                break
        self._expire_gaps()

    def _advance(self, event_id: int) -> bool:
        """Note a row read; False if it was seen before."""
        if self._gaps.pop(event_id, None) is not None:
            return True
        if event_id <= self._cursor:
            return False
        moment = time.monotonic()
        for skipped in range(max(self._cursor + 1, event_id - MAX_GAPS), event_id):
            self._gaps[skipped] = moment
        self._cursor = event_id
        return True

    def _expire_gaps(self) -> None:
        horizon = time.monotonic() - GAP_WINDOW
        self._gaps = {gap: seen for gap, seen in self._gaps.items() if seen > horizon}
        while len(self._gaps) > MAX_GAPS:
            del self._gaps[min(self._gaps)]
