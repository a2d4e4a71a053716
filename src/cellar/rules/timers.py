"""Timer rules (TimerRuleManager): ``timer.periodic`` fires every ``EventObject`` minutes, the first time
one interval after it was written; ``timer.oneshot`` once at ``EventObject`` (epoch ms), unless that is
already past. Both on whole minutes. Each firing is an internal event of the rule's cell, judged like
any other, with the rule's subject (if it is one of the cell's) and its box's schema.

A rule's next firing is a column of it. Whichever process finds it due moves it on with a
compare-and-set in the transaction that records the event, so each firing happens once on one node.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from cellar import clock
from cellar.events.bus import Cause, Event
from cellar.events.catalog import TIMER_ONESHOT as ONESHOT
from cellar.events.catalog import TIMER_PERIODIC as PERIODIC
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

MINUTE_MS = 60_000
DUE_BATCH = 100


def _minute(ms: int) -> int:
    return ms - ms % MINUTE_MS


def interval_ms(event_type: str | None, event_object: str | None) -> int:
    return int(event_object or "0") * MINUTE_MS if event_type == PERIODIC else 0


def first_fire(event_type: str | None, event_object: str | None, now_ms: int) -> int | None:
    """When a rule just written first fires; None for a rule that is no timer, or a one-shot past."""
    if event_type == PERIODIC:
        return _minute(now_ms) + interval_ms(event_type, event_object)
    if event_type == ONESHOT:
        at = _minute(int(event_object or "0"))
        return at if at >= _minute(now_ms) else None
    return None


def due(tx: Transaction, now_ms: int) -> list[str]:
    r = tables.rules
    return [row.id for row in tx.conn.execute(select(r.c.id).where(r.c.next_fire <= now_ms)
                                              .order_by(r.c.next_fire).limit(DUE_BATCH))]


def fire(tx: Transaction, rule_id: str, urls: UnitUrls) -> bool:
    """Fire the rule if it is still due and no other process fired it meanwhile."""
    r, b, c = tables.rules, tables.boxes, tables.cells
    row = tx.conn.execute(select(r, b.c.schema.label("box_schema"), c.c.name.label("cell_name"))
                          .select_from(r.join(c, c.c.id == r.c.cell_id).outerjoin(b, b.c.id == r.c.box_id))
                          .where(r.c.id == rule_id)).mappings().first()
    now = clock.now_ms()
    if row is None or row["next_fire"] is None or row["next_fire"] > now:
        return False
    if tx.conn.execute(update(r).where(r.c.id == rule_id, r.c.next_fire == row["next_fire"])
                       .values(next_fire=_following(row, now))).rowcount != 1:
        return False
    cell_url = urls.cell_url(row["cell_name"])
    subject = urls.canonical(row["event_subject"]) if row["event_subject"] else None
    tx.cause = Cause(subject=subject if subject and subject.startswith(cell_url) else None,
                     schema=urls.canonical(row["box_schema"]) if row["box_schema"] else None)
    tx.emit(Event(row["event_type"], row["event_object"], row["event_info"], cell_id=row["cell_id"]))
    return True


def _following(row: Any, now: int) -> int | None:
    step = interval_ms(row["event_type"], row["event_object"])
    if not step:
        return None
    following = row["next_fire"] + step
    while following <= now:  # missed while no process ran: fire once, then keep the rhythm
        following += step
    return int(following)


def listing(rows: list[Any]) -> list[dict[str, Any]]:
    """``__rule``'s ``timers``: identical timers (type, object, info, box, subject) counted as one."""
    timers: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if row["event_type"] not in (PERIODIC, ONESHOT) or row["next_fire"] is None:
            continue
        key = (row["event_type"], row["event_object"], row["event_info"], row["box_id"], row["event_subject"])
        entry = timers.setdefault(key, {
            "EventSubject": row["event_subject"], "EventObject": row["event_object"], "EventInfo": row["event_info"],
            "boxId": row["box_id"], "count": 0, "interval": interval_ms(row["event_type"], row["event_object"]),
            "nextTime": row["next_fire"]})
        entry["count"] += 1
    return list(timers.values())
