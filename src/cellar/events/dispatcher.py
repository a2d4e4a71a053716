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

from cellar import clock
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


class Signal(Protocol):
    def wait(self, timeout: float) -> bool: ...  # True: another process committed events
    def wake(self) -> None: ...
    def close(self) -> None: ...


class Outbox(Protocol):
    origin: str

    def listen(self) -> Signal: ...
    def latest_id(self) -> int: ...
    def read(self, after: int, also: Collection[int], limit: int) -> list[tuple[Event, str]]: ...
    def prune(self, before_ms: int) -> None: ...


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
        self._lock = threading.Lock()
        self._users = 0
        self._run: _Run | None = None

    def committed(self, events: list[Event]) -> None:
        """Called by storage after a commit, outside the writer lock. Without a running dispatcher
        (the CLI, some tests) the events are delivered at once on the caller's thread."""
        if not events:
            return
        with self._lock:
            run = self._run
            if run is not None:
                run.local.append(events)
        if run is not None:
            run.signal.wake()
        else:
            self.bus.publish_all(events)

    def start(self, timing: Timing) -> None:
        """Counted: several apps may share one storage (tests); the last stop ends delivery."""
        with self._lock:
            self._users += 1
            if self._run is None:
                # Listening before reading the newest id: nothing committed after this call is missed.
                signal = self._outbox.listen()
                self._run = _Run(self.bus, self._outbox, signal, self._outbox.latest_id(), timing)

    def stop(self) -> None:
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users > 0 or self._run is None:
                return
            run, self._run = self._run, None
        run.stop()


class _Run:
    """One dispatcher thread, from start to stop, with its cursor and gaps."""

    def __init__(self, bus: EventBus, outbox: Outbox, signal: Signal, cursor: int, timing: Timing) -> None:
        self.bus, self.outbox, self.signal, self.timing = bus, outbox, signal, timing
        self.local: deque[list[Event]] = deque()
        self.cursor = cursor
        self.gaps: dict[int, float] = {}  # id -> when it was skipped (monotonic)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cellar-events", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self.signal.wake()
        self._thread.join()

    def _loop(self) -> None:
        try:
            self._dispatch()
        finally:
            self.signal.close()
            self._deliver_local()  # what was committed while stopping

    def _dispatch(self) -> None:
        next_read = next_prune = time.monotonic()
        while not self._stopping.is_set():
            try:
                notified = self.signal.wait(max(0.0, min(next_read, next_prune) - time.monotonic()))
                self._deliver_local()
                moment = time.monotonic()
                if notified or moment >= next_read:
                    self._poll()
                    next_read = moment + self.timing.read_interval
                if moment >= next_prune:
                    self.outbox.prune(clock.now_ms() - self.timing.retention_ms)
                    next_prune = moment + PRUNE_EVERY
            except Exception:  # the database may be briefly unreachable: keep going
                log.exception("event dispatch failed; retrying")
                self._stopping.wait(self.timing.poll_interval)

    def _deliver_local(self) -> None:
        while self.local:
            self.bus.publish_all(self.local.popleft())

    def _poll(self) -> None:
        """Read what other processes committed since the last read, and the gaps; deliver it."""
        while True:
            rows = self.outbox.read(self.cursor, self.gaps.keys(), BATCH)
            self.bus.publish_all([event for event, origin in rows
                                  if self._advance(event.id or 0) and origin != self.outbox.origin])
            if len(rows) < BATCH:
                break
        self._expire_gaps()

    def _advance(self, event_id: int) -> bool:
        """Note a row read; False if it was seen before."""
        if self.gaps.pop(event_id, None) is not None:
            return True
        if event_id <= self.cursor:
            return False
        moment = time.monotonic()
        for skipped in range(max(self.cursor + 1, event_id - MAX_GAPS), event_id):
            self.gaps[skipped] = moment
        self.cursor = event_id
        return True

    def _expire_gaps(self) -> None:
        horizon = time.monotonic() - GAP_WINDOW
        self.gaps = {gap: seen for gap, seen in self.gaps.items() if seen > horizon}
        while len(self.gaps) > MAX_GAPS:
            del self.gaps[min(self.gaps)]
