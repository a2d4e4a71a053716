"""Unit level: ``GET {UnitURL}`` (apiref 107) and ``{UnitURL}__ctl/Cell`` (apiref 100–104)."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from cellar.auth.authn.credentials import require_unit_access
from cellar.errors import PersoniumError
from cellar.events.catalog import UNITCTL_EVENTS
from cellar.http.context import RequestContext
from cellar.http.odata import serve_odata
from cellar.odata.model import EntityModel, EntityType
from cellar.odata.service import ServiceRoot
from cellar.odata.table_stores import TABLE_STORES
from cellar.storage import Transaction
from cellar.unit.cells import CELL, CellHooks

UNIT_CTL = EntityModel("UnitCtl", (CELL,), TABLE_STORES)


def unit_metadata(ctx: RequestContext) -> dict[str, object]:
    urls = ctx.services.urls
    return {"url": urls.unit_url, "path_based_cellurl_enabled": urls.path_based}


async def unit_root(request: Request, ctx: RequestContext) -> Response:
    """Get Unit Metadata — apiref/107. No authentication."""
    if request.method not in ("GET", "HEAD"):
        raise PersoniumError("PR405-MC-0001")
    return Response(orjson.dumps({"unit": unit_metadata(ctx)}), media_type="application/json")


async def unit_ctl(request: Request, ctx: RequestContext, segments: list[str]) -> Response:
    """Unit control objects — apiref/100–104. Unit-level access only (notes §2.1)."""
    unit_url = ctx.services.urls.unit_url
    caller = ctx.unit_caller()

    def authorize(etype: EntityType | None, kind: str) -> None:
        require_unit_access(caller.access, unit_url)

    root = ServiceRoot(UNIT_CTL, {}, f"{unit_url}__ctl/", caller, authorize, hooks={"Cell": CellHooks()},
                       events=UNITCTL_EVENTS)

    def open_root(tx: Transaction) -> ServiceRoot:
        tx.cause = ctx.cause(caller)
        return root

    return await serve_odata(request, ctx.services.storage, segments, open_root)


async def health(request: Request, ctx: RequestContext) -> Response:
    """Liveness and database reachability; unlike Java's ``/__status`` it reveals no configuration."""
    from starlette.concurrency import run_in_threadpool

    def probe() -> None:
        with ctx.services.storage.transaction("health", write=False) as tx:
            tx.conn.exec_driver_sql("SELECT 1")

    await run_in_threadpool(probe)
    return Response(orjson.dumps({"status": "ok"}), media_type="application/json")
