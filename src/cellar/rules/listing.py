"""``GET {CellURL}__rule`` (apiref/2AA): the cell's rules as the engine holds them (RuleManager.getRules):
subjects and targets in http form, bound rules with their box's name and schema, how often each matched,
the boxes they are bound to, and the timers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag

from sqlalchemy import select

from cellar.rules import timers
from cellar.storage import tables
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

LOCALUNIT = "personium-localunit:"


def rule_list(tx: Transaction, cell: dict[str, Any], urls: UnitUrls) -> dict[str, list[dict[str, Any]]]:
    r, b = tables.rules, tables.boxes
    rows = tx.conn.execute(select(r, b.c.name.label("box_name"), b.c.schema.label("box_schema"))
                           .select_from(r.outerjoin(b, b.c.id == r.c.box_id))
                           .where(r.c.cell_id == cell["id"], r.c.action.is_not(None)).order_by(r.c.id)).mappings()
    rules, boxes, all_rows = [], {}, []
    for row in rows:
        all_rows.append(row)
        entry: dict[str, Any] = {
            "Name": row["name"], "EventExternal": row["event_external"],
            "EventSubject": urls.canonical(row["event_subject"]) if row["event_subject"] else None,
            "EventType": row["event_type"], "EventObject": row["event_object"], "EventInfo": row["event_info"],
            "Action": row["action"], "TargetUrl": _target(row["target_url"], urls), "HitCount": row["hit_count"]}
        if row["box_id"] is not None:
            schema = urls.canonical(row["box_schema"]) if row["box_schema"] else None
            entry.update({"_Box.Name": row["box_name"], "Schema": schema})
            boxes[row["box_id"]] = {"Name": row["box_name"], "Schema": schema, "id": row["box_id"]}
        rules.append(entry)
    return {"rules": rules, "boxes": list(boxes.values()), "timers": timers.listing(all_rows)}


def _target(url: str | None, urls: UnitUrls) -> str | None:
    """Without its fragment; a ``personium-localunit:`` one in http form, marking with ``#`` the path
    below its cell (where the engine takes the cell URL from)."""
    if url is None:
        return None
    url = urldefrag(url).url
    if not url.startswith(LOCALUNIT):
        return url
    http = urls.canonical(url)
    cell = urls.cell_of(http)
    return f"{http}#{http[len(urls.cell_url(cell)):]}" if cell is not None else http
