"""The HTTP actions of matched rules — ``exec``, ``relay``, ``relay.event`` (rule.action.*): queued in the
database by the write that matched them, claimed there by exactly one process, run after the commit.

Each request carries the event (relay, exec: ``{External, Schema, Subject, Type, Object, Info}``;
relay.event: ``{Type, Object, Info}`` with its Type prefixed ``relay.`` or ``relay.ext.``), the chain
headers (``X-Personium-RuleChain`` one more than the event's, ``X-Personium-Via``, ``-EventId``), and a
token the real server's TokenBuilder would make for the event's subject: none without one; for this
cell a resident token (the subject is one of its accounts) or a visitor token; for another cell a
trans-cell token. Once it ran, the event and its result (``Type`` the action, ``Object`` the target,
``Info`` the status) are written to the cell's event log, as ActionRunner does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urldefrag, urlsplit

import anyio
import httpx
import orjson
from sqlalchemy import and_, delete, insert, or_, select, update

from cellar import clock
from cellar.auth.authn import saml
from cellar.auth.authn.keyring import Keyring
from cellar.auth.authn.tokens import LocalToken, TokenKind
from cellar.events.bus import Cause, Event
from cellar.outbound import Outbound
from cellar.rules import eventlog
from cellar.rules.matching import LOCALBOX, LOCALCELL, CellRule
from cellar.storage.tables import rule_actions as queue
from cellar.storage.uow import Transaction
from cellar.urls import UnitUrls

HTTP_ACTIONS = ("exec", "relay", "relay.event")
#: Personium's ``event.hop.maxnum``: how many rules may hand an event on, one after another.
MAX_HOPS = 3
#: What a request that could not be made is recorded with (HttpAction: "404").
UNREACHABLE = "404"
#: Seconds a claimed action stays another process's before it may be claimed again.
LEASE_MS = 120_000
TOKEN_MS = 3_600_000
CLAIM_BATCH = 16


@dataclass(frozen=True)
class Job:
    cell_id: str
    cell_url: str
    action: str
    #: The target as the engine resolves it: http form, ``#`` marking the path below its cell.
    target: str
    external: bool
    type: str | None
    object: str | None
    info: str | None
    cause: Cause
    chain: int

    def dumps(self) -> str:
        return orjson.dumps({**asdict(self), "cause": asdict(self.cause)}).decode()

    @classmethod
    def loads(cls, text: str) -> Job:
        data = orjson.loads(text)
        cause = data.pop("cause")
        return cls(**data, cause=Cause(**{**cause, "roles": tuple(cause["roles"])}))


def next_chain(cause: Cause) -> int | None:
    """The chain an action of this event continues, or None when no rule may act on it any more."""
    try:
        chain = int(cause.rule_chain or "0") + 1
    except ValueError:
        return None
    return chain if chain <= MAX_HOPS else None


def resolve_target(rule: CellRule, cell_url: str, urls: UnitUrls) -> str | None:
    """``personium-localcell:/P`` → ``{cell}P#P``, ``personium-localbox:/P`` → ``{cell}{box}/P#{box}/P``
    (a rule without a box has no such target), ``personium-localunit:`` in http form marked the same way."""
    url = urldefrag(rule.target or "").url
    if url.startswith(LOCALCELL):
        path = url[len(LOCALCELL):]
        return f"{cell_url}{path}#{path}"
    if url.startswith(LOCALBOX):
        if rule.box is None:
            return None
        path = f"{rule.box}/{url[len(LOCALBOX):]}"
        return f"{cell_url}{path}#{path}"
    http = urls.canonical(url)
    cell = urls.cell_of(http) if http != url else None
    return f"{http}#{http[len(urls.cell_url(cell)):]}" if cell is not None else http


def enqueue(tx: Transaction, job: Job) -> None:
    tx.conn.execute(insert(queue).values(cell_id=job.cell_id, created=clock.now_ms(), job=job.dumps()))


def _free(now: int) -> Any:
    return or_(queue.c.claimed_by.is_(None), queue.c.claimed_at < now - LEASE_MS)


def pending(tx: Transaction) -> bool:
    """Whether an action waits for a process (a read, so that idle processes poll without writing)."""
    return tx.conn.execute(select(queue.c.id).where(_free(clock.now_ms())).limit(1)).first() is not None


def claim(tx: Transaction, origin: str) -> list[tuple[int, Job]]:
    """Up to a batch of actions no live process holds, now this one's (the UPDATE's condition is checked
    again against a concurrent claimer's, so each action is claimed once)."""
    now = clock.now_ms()
    free = _free(now)
    ids = [row.id for row in tx.conn.execute(select(queue.c.id).where(free).order_by(queue.c.id).limit(CLAIM_BATCH))]
    if not ids:
        return []
    tx.conn.execute(update(queue).where(queue.c.id.in_(ids), free).values(claimed_by=origin, claimed_at=now))
    rows = tx.conn.execute(select(queue.c.id, queue.c.job).where(
        queue.c.id.in_(ids), and_(queue.c.claimed_by == origin, queue.c.claimed_at == now)))
    return [(row.id, Job.loads(row.job)) for row in rows]


def finish(tx: Transaction, action_id: int, job: Job, status: str, log_limit: int) -> None:
    """The action leaves the queue; the event and what became of it go to the cell's event log."""
    tx.conn.execute(delete(queue).where(queue.c.id == action_id))
    now = clock.now_ms()
    event = Event(job.type, job.object, job.info, job.cell_id, external=job.external)
    result = Event(job.action, job.target, status, job.cell_id, external=job.external)
    eventlog.append(tx, job.cell_id, [eventlog.line(event, job.cause, eventlog.LEVELS["log"], now, job.object),
                                      eventlog.line(result, job.cause, eventlog.LEVELS["log"], now, job.target)],
                    log_limit)


async def run(job: Job, outbound: Outbound, keyring: Keyring) -> str:
    """The action's request; its status, or "404" when it could not be made."""
    url, body, via = _request(job)
    headers = {"Content-Type": "application/json; charset=UTF-8", "X-Personium-RuleChain": str(job.chain)}
    for name, value in (("X-Personium-RequestKey", job.cause.request_key), ("X-Personium-EventId",
                                                                              job.cause.event_id),
                        ("X-Personium-Via", via)):
        if value is not None:
            headers[name] = value
    token = _token(job, _cell_of(job.target), keyring)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    with anyio.move_on_after(outbound.timeout):
        try:
            response = await outbound.post(url, orjson.dumps(body), headers)
        except (httpx.HTTPError, OSError, ValueError):
            return UNREACHABLE
        return str(response.status_code)
    return UNREACHABLE


def _request(job: Job) -> tuple[str, dict[str, Any], str | None]:
    """URL, body and Via of the action's request."""
    url = urldefrag(job.target).url
    if job.action == "relay.event":
        prefix = "" if (job.type or "").startswith("relay.") else ("relay.ext." if job.external else "relay.")
        relayed = {"Type": f"{prefix}{job.type or ''}", "Object": job.object, "Info": job.info}
        via = f"{job.cause.via},{job.cell_url}" if job.cause.via else job.cell_url
        return f"{_cell_of(job.target)}__event", {k: v for k, v in relayed.items() if v is not None}, via
    body: dict[str, Any] = {"External": job.external, "Schema": job.cause.schema, "Subject": job.cause.subject,
                            "Type": job.type, "Object": job.object, "Info": job.info}
    return url, {k: v for k, v in body.items() if v is not None or k == "External"}, job.cause.via


def _cell_of(target: str) -> str:
    """The cell a target is in: its URL less the path the fragment names (ActionUtils.getCellUrl); without
    a fragment, the first segment of its path."""
    url, fragment = urldefrag(target)
    url = url.split("?", 1)[0]
    if "#" in target and url.endswith(fragment):
        return url[: len(url) - len(fragment)]
    parts = urlsplit(url)
    first = parts.path.lstrip("/").split("/", 1)[0]
    return f"{parts.scheme}://{parts.netloc}/{first}/" if first else f"{parts.scheme}://{parts.netloc}/"


def _token(job: Job, target_cell: str, keyring: Keyring) -> str | None:
    subject, cell_url = job.cause.subject, job.cell_url
    if subject is None:
        return None
    now = clock.now_ms()
    schema = job.cause.schema or ""
    if target_cell.rstrip("/") != cell_url.rstrip("/"):
        tcat = saml.TransCellToken.new(cell_url, subject, target_cell, now_ms=now, schema=schema,
                                       roles=job.cause.roles, scopes=("root",))
        return saml.issue(tcat, keyring.unit.key, keyring.unit.cert)
    account = subject[len(cell_url) + 1:] if subject.startswith(f"{cell_url}#") else None
    if account is not None and "#" not in account:
        token = LocalToken(TokenKind.RESIDENT_ACCESS, cell_url, account, now, TOKEN_MS, schema=schema,
                           scopes=("root",))
    else:
        token = LocalToken(TokenKind.VISITOR_ACCESS, cell_url, subject, now, TOKEN_MS, schema=schema,
                           scopes=("root",), roles=job.cause.roles)
    return keyring.codec.encode(token)


def job_for(action: str, event: Event, cause: Cause, cell_id: str, cell_url: str, target: str,
            chain: int, object_url: str | None) -> Job:
    return Job(cell_id, cell_url, action, target, event.external, event.type, object_url, event.info, cause, chain)
