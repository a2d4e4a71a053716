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
    ACCOUNT = "account"  # AR~: an account of this cell
    VISITOR = "visitor"  # AV~: a visitor whose roles were mapped here at __token
    TRANS = "trans"  # a trans-cell token used directly
    PASSWORD_CHANGE = "password-change"  # AP~: only __mypassword accepts it
    INVALID = "invalid"  # credentials given but unusable; ``error_code`` says why


#: Unit-level roles a unit user token may carry (notes §2.2).
UNIT_ADMIN, READER, ADMIN = "UnitAdmin", "CellContentsReader", "CellContentsAdmin"

UNIT_KINDS = frozenset({AccessKind.UNIT_MASTER, AccessKind.UNIT_ADMIN, AccessKind.UNIT_USER, AccessKind.UNIT_LOCAL})
#: Kinds whose ``subject`` is an account name of the issuing cell.
_ACCOUNT_KINDS = frozenset({AccessKind.ACCOUNT, AccessKind.PASSWORD_CHANGE})


@dataclass(frozen=True)
class AccessContext:
    kind: AccessKind
    #: The unit user's name (a URL), the account name, or a visitor's ``{cellUrl}#{account}``.
    subject: str | None = None
    #: Why the credentials were rejected, for INVALID (a PR401-AU-… code).
    error_code: str | None = None
    #: Role instance URLs (``{cellUrl}__role/{box}/{name}``) this caller holds in the cell.
    roles: tuple[str, ...] = field(default=())
    #: The ids of those roles, which is how ACLs name them.
    role_ids: tuple[str, ...] = field(default=())
    #: Basic credentials were given (valid only on some box-level resources).
    basic: bool = False
    issuer: str | None = None
    #: The app (client) the token was issued for; ``#c`` marks a confidential client.
    schema: str = ""
    scopes: tuple[str, ...] = ()
    #: Unit user roles from a unit user token: "CellContentsReader", "CellContentsAdmin".
    unit_roles: frozenset[str] = frozenset()
    #: The presented token, for endpoints that need more of it (__mypassword, __introspect).
    token: object | None = None

    @property
    def subject_url(self) -> str | None:
        """The subject as a URL, as events carry it: an account of this cell is ``{cellUrl}#{name}``."""
        if self.kind in _ACCOUNT_KINDS and self.subject and self.issuer and "#" not in self.subject:
            return f"{self.issuer}#{self.subject}"
        return self.subject

    @property
    def is_unit_level(self) -> bool:
        return self.kind in UNIT_KINDS

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
