"""Who is calling: the access context every authorization decision is made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class AccessKind(Enum):
    ANONYMOUS = "anonymous"
    UNIT_MASTER = "unit-master"  # master token without X-Personium-Unit-User
    UNIT_ADMIN = "unit-admin"  # unit user token with the UnitAdmin role
    UNIT_USER = "unit-user"  # master token + X-Personium-Unit-User, or a unit user token
    UNIT_LOCAL = "unit-local"  # AU~ token issued by a cell with p_owner=true
    INVALID = "invalid"  # credentials given but unusable; ``error_code`` says why


@dataclass(frozen=True)
class AccessContext:
    kind: AccessKind
    #: The unit user's name (a URL) for unit-user and unit-local access.
    subject: str | None = None
    #: Why the credentials were rejected, for INVALID (a PR401-AU-… code).
    error_code: str | None = None
    roles: tuple[str, ...] = field(default=())
    #: Basic credentials were given (valid only on some box-level resources).
    basic: bool = False

    @property
    def is_unit_level(self) -> bool:
        return self.kind in (AccessKind.UNIT_MASTER, AccessKind.UNIT_ADMIN, AccessKind.UNIT_USER,
                             AccessKind.UNIT_LOCAL)

    @property
    def sees_all_cells(self) -> bool:
        return self.kind in (AccessKind.UNIT_MASTER, AccessKind.UNIT_ADMIN)


ANONYMOUS = AccessContext(AccessKind.ANONYMOUS)


@dataclass(frozen=True)
class Caller:
    """What domain code may know about the request: the access context and a few headers."""

    access: AccessContext
    headers: dict[str, str] = field(default_factory=dict)
    unit_url: str = ""
