"""``{CellURL}__role``, ``__role/{box}`` and ``__role/{box}/{role}``: the URLs that name roles in ACLs
and tokens (notes §1.3, §3.1). Personium answers them with placeholder text, which Cellar keeps:
the box names (the main box ``__`` first), each followed by ``<br/>``; the box name; the box name
and role name run together (``__`` alone in the main box). All need ``auth-read``.
"""

from __future__ import annotations

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.access.endpoint_privileges import CELL_ENDPOINTS
from cellar.dav.tree import MAIN_BOX
from cellar.errors import PersoniumError
from cellar.http.context import RequestContext
from cellar.http.ctl import load_cell_request
from cellar.storage.tables import boxes

PRIVILEGES = CELL_ENDPOINTS["__role"]


async def role_urls(request: Request, ctx: RequestContext, cell_name: str, names: list[str]) -> Response:
    if names and names[-1] == "":
        names = names[:-1]
    if len(names) > 2 or "" in names:
        raise PersoniumError("PR404-MC-0001")
    if request.method not in PRIVILEGES:
        raise PersoniumError("PR405-MC-0001")
    cell_request = await run_in_threadpool(load_cell_request, ctx, cell_name)
    cell_request.authorize(PRIVILEGES[request.method])
    if request.method == "OPTIONS":
        return Response(headers={"Allow": "OPTIONS, GET", "Access-Control-Allow-Methods": "OPTIONS, GET"})
    if not names:
        text = "".join(f"{name}<br/>" for name in [MAIN_BOX, *await run_in_threadpool(_box_names, ctx,
                                                                                          cell_request.cell["id"])])
    elif names[0] == MAIN_BOX or len(names) == 1:
        text = names[0]
    else:
        text = names[0] + names[1]
    return Response(text.encode(), media_type="text/plain;charset=utf-8")


def _box_names(ctx: RequestContext, cell_id: str) -> list[str]:
    with ctx.services.storage.transaction("cell.role_urls", write=False) as tx:
        return list(tx.conn.execute(select(boxes.c.name).where(boxes.c.cell_id == cell_id)
                                    .order_by(boxes.c.name)).scalars())
