"""Errors become responses here, and only here, in Personium's two body shapes."""

from __future__ import annotations

import logging
import secrets

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from cellar.errors import PersoniumError

log = logging.getLogger("cellar")


def error_response(exc: PersoniumError, *, oauth: bool = False) -> Response:
    if oauth and exc.spec.oauth_error:
        body = {"error": exc.spec.oauth_error, "error_description": f"[{exc.code}] - {exc.message}", **exc.extra}
    else:
        body = exc.document()
    single = {name: value for name, value in exc.headers.items() if isinstance(value, str)}
    response = Response(orjson.dumps(body), exc.status, headers=single, media_type="application/json")
    for name, values in exc.headers.items():
        if not isinstance(values, str):  # a header sent several times (two WWW-Authenticate challenges)
            for value in values:
                response.headers.append(name, value)
    return response


def answer_error(scope: Scope, exc: PersoniumError) -> Response:
    """The response to a Personium error raised while handling the request of ``scope``."""
    return error_response(exc, oauth=scope.get("cellar.error_style") == "oauth")


async def handle_internal_error(request: Request, exc: Exception) -> Response:
    """Never a stack trace on the wire: a PR500 with an id that finds the trace in the log."""
    incident = secrets.token_hex(4)
    log.error("unhandled error [%s] on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return error_response(PersoniumError("PR500-SV-9999", incident, ""))
