"""Delivery of a message to each recipient's ``__message/port``, all at once, each within a timeout.

The sender signs a trans-cell token per recipient whose issuer and subject are the sending cell (the
cell speaks for itself, not for the account that called), as ODataSentMessageResource does. Unlike
the real server, which stops at the first unreachable recipient and answers 500, a recipient that
cannot be reached is recorded as failed and the others still get the message.
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import orjson

from cellar import clock
from cellar.auth.authn import saml
from cellar.auth.authn.keyring import Keyring
from cellar.messaging.send import Outgoing
from cellar.outbound import Outbound

CREATED_REASON = "Created."
#: What a recipient that did not answer is recorded with (the text of PR500-SM-0001).
UNREACHABLE = ("500", "Sent Message connection error.")


async def deliver(outbound: Outbound, keyring: Keyring, outgoing: Outgoing,
                  api_version: str | None) -> list[dict[str, str]]:
    """One result per recipient, in recipient order: ``{To, Code, Reason}``."""
    results: list[dict[str, str]] = [{} for _ in outgoing.recipients]

    async def one(index: int, recipient: str) -> None:
        code, reason = await _deliver_one(outbound, keyring, outgoing, recipient, api_version)
        results[index] = {"To": recipient, "Code": code, "Reason": reason}

    async with anyio.create_task_group() as tasks:
        for index, recipient in enumerate(outgoing.recipients):
            tasks.start_soon(one, index, recipient)
    return results


async def _deliver_one(outbound: Outbound, keyring: Keyring, outgoing: Outgoing, recipient: str,
                       api_version: str | None) -> tuple[str, str]:
    target = outbound.urls.canonical(recipient)
    token = saml.TransCellToken.new(outgoing.sender, outgoing.sender, target, now_ms=clock.now_ms(),
                                    schema=outgoing.schema)
    headers = {"Content-Type": "application/json; charset=UTF-8", "Accept": "application/json",
               "Authorization": f"Bearer {saml.issue(token, keyring.unit.key, keyring.unit.cert)}"}
    if api_version:
        headers["X-Personium-Version"] = api_version
    body = orjson.dumps(outgoing.port_body(recipient))
    with anyio.move_on_after(outbound.timeout):
        try:
            response = await outbound.post(f"{target}__message/port", body, headers)
        except (httpx.HTTPError, OSError, ValueError):
            return UNREACHABLE
        return str(response.status_code), _reason(response)
    return UNREACHABLE


def _reason(response: httpx.Response) -> str:
    """``Created.``, or the text of the recipient's Personium error, or nothing."""
    if response.status_code == 201:
        return CREATED_REASON
    try:
        body: Any = orjson.loads(response.content)
        value = body["message"]["value"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return ""
    return value if isinstance(value, str) else ""
