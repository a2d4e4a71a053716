"""The ``Authorization`` header → an :class:`AccessContext`.

Tokens issued by cells (``AR~``, trans-cell SAML, unit user tokens) arrive with the authentication
issue; until then any Bearer value other than the master token is a token parse failure.
"""

from __future__ import annotations

import hmac

from cellar.auth.context import ANONYMOUS, AccessContext, AccessKind
from cellar.errors import PersoniumError


def access_from_headers(authorization: str | None, unit_user: str | None, master_token: str | None) -> AccessContext:
    if authorization is None:
        return ANONYMOUS
    scheme, _, credentials = authorization.partition(" ")
    if scheme == "Bearer":
        return _bearer(credentials.strip(), unit_user, master_token)
    if scheme == "Basic":
        return AccessContext(AccessKind.INVALID, error_code="PR401-AU-0011", basic=True)
    return AccessContext(AccessKind.INVALID, error_code="PR401-AU-0003")


def _bearer(token: str, unit_user: str | None, master_token: str | None) -> AccessContext:
    # An empty master token means "no master token", never "matches an empty Bearer".
    if master_token and hmac.compare_digest(token.encode(), master_token.encode()):
        if unit_user:
            return AccessContext(AccessKind.UNIT_USER, subject=unit_user)
        return AccessContext(AccessKind.UNIT_MASTER)
    return AccessContext(AccessKind.INVALID, error_code="PR401-AU-0006")


def require_unit_access(access: AccessContext, realm: str) -> None:
    """Unit-level APIs accept only unit-level access (notes §2.1)."""
    if access.is_unit_level:
        return
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    if access.kind is AccessKind.ANONYMOUS:
        raise PersoniumError("PR401-AU-0001", headers=challenge)
    if access.kind is AccessKind.INVALID:
        raise PersoniumError(access.error_code or "PR401-AU-0006", headers=challenge)
    raise PersoniumError("PR403-AU-0001")
