"""A request inside a cell as the access decision sees it: the cell, who calls, and its guard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cellar.auth.access.authorize import CellGuard, allowed, authorize
from cellar.auth.context import Caller


@dataclass(frozen=True)
class CellRequest:
    """A request inside a cell: the cell row, who calls, and what the access decision needs."""

    cell: dict[str, Any]
    caller: Caller
    guard: CellGuard

    @property
    def url(self) -> str:
        return self.guard.url

    def authorize(self, *privileges: str) -> None:
        authorize(self.caller.access, self.guard, *privileges)

    def may(self, privilege: str) -> bool:
        return allowed(self.caller.access, self.guard, privilege)
