"""Helpers that make tests read like the API pages."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import MASTER

MASTER_AUTH = {"Authorization": f"Bearer {MASTER}", "Accept": "application/json"}


def as_unit_user(user: str) -> dict[str, str]:
    return {**MASTER_AUTH, "X-Personium-Unit-User": user}


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]["lang"] == "en"
    assert isinstance(body["message"]["value"], str) and body["message"]["value"]
    return body


def make_cell(client: Any, name: str, headers: dict[str, str] | None = None) -> httpx.Response:
    response = client.post("/__ctl/Cell", json={"Name": name}, headers=headers or MASTER_AUTH)
    assert response.status_code == 201, response.text
    return response
