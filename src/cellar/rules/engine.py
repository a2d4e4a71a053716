"""Judging a write's events against the rules of their cells, inside the write's own transaction:
what a rule logs is committed with the change that caused it, exactly once whichever node wrote it.

Rules come from the database at every judged write (one indexed read per cell written to), so a
rule written by any node applies to the next event everywhere.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import bindparam, select, update

from cellar import clock
from cellar.events.bus import Event
from cellar.rules import actions, eventlog
from cellar.rules.matching import CellRule, http_object, matches
from cellar.storage import tables
from cellar.storage.prepared import Prepared
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

r, b, c = tables.rules, tables.boxes, tables.cells
_RULES = Prepared(
    select(r.c.id, r.c.name, b.c.name.label("box"), b.c.schema, r.c.event_external, r.c.event_subject, r.c.event_type,
           r.c.event_object, r.c.event_info, r.c.action, r.c.target_url, c.c.name.label("cell"))
    .select_from(r.join(c, c.c.id == r.c.cell_id).outerjoin(b, b.c.id == r.c.box_id))
    .where(r.c.cell_id == bindparam("cell")).order_by(r.c.id))  # in the order they were made
_HIT = Prepared(update(r).where(r.c.id == bindparam("id")).values(hit_count=r.c.hit_count + bindparam("count")))


class RuleEngine:
    def __init__(self, urls: UnitUrls, log_limit: int) -> None:
        self.urls = urls
        self.log_limit = log_limit

    def judge(self, tx: Transaction) -> None:
        by_cell: dict[str, list[Event]] = defaultdict(list)
        for event in tx.events:
            if event.cell_id is not None:
                by_cell[event.cell_id].append(event)
        for cell_id, events in by_cell.items():
            rows = _RULES.rows(tx, cell=cell_id)
            if rows:
                self._judge_cell(tx, cell_id, self.urls.cell_url(rows[0]["cell"]), [self._rule(row) for row in rows],
                                 events)

    def _judge_cell(self, tx: Transaction, cell_id: str, cell_url: str, rules: list[CellRule],
                    events: list[Event]) -> None:
        """Past the hop limit no rule acts, not even one that logs (RuleManager.judge)."""
        chain = actions.next_chain(tx.cause)
        if chain is None:
            return
        now = clock.now_ms()
        hits: Counter[str] = Counter()
        lines = []
        for event in events:
            object_url = http_object(event.object, cell_url) if event.object else event.object
            for rule in rules:
                if not matches(rule, event, tx.cause, cell_url):
                    continue
                hits[rule.id] += 1
                if rule.action in eventlog.LEVELS:
                    lines.append(eventlog.line(event, tx.cause, eventlog.LEVELS[rule.action], now, object_url))
                elif rule.action in actions.HTTP_ACTIONS:
                    target = actions.resolve_target(rule, cell_url, self.urls)
                    if target is not None:  # a box target of a rule without a box: nothing to call
                        actions.enqueue(tx, actions.job_for(rule.action, event, tx.cause, cell_id, cell_url, target,
                                                            chain, object_url))
        if lines:
            eventlog.append(tx, cell_id, lines, self.log_limit)
        for rule_id, count in hits.items():
            _HIT.execute(tx, id=rule_id, count=count)

    def _rule(self, row: dict[str, Any]) -> CellRule:
        canonical = self.urls.canonical
        return CellRule(row["id"], row["name"], row["box"], canonical(row["schema"]) if row["schema"] else None,
                        bool(row["event_external"]), canonical(row["event_subject"]) if row["event_subject"] else None,
                        row["event_type"], row["event_object"], row["event_info"], row["action"], row["target_url"])
