"""Cell-local tokens (``AR~ AV~ AU~ AP~ RR~ RV~ GC~``): authenticated encryption under a unit secret.

The secret lives in the database (see :mod:`cellar.auth.authn.secrets`), so every ``cellar serve`` process
sharing it accepts every token. The issuer URL is bound as associated data: a token issued by one
cell does not even decrypt at another (Personium: "Token parse error"). Java's byte format is not
reproduced; the semantics (kinds, fields, lifetimes, expiry rule) are.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field, replace
from enum import Enum

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cellar import clock
from cellar.auth.cache import BoundedCache

GRANT_CODE_LIFETIME_MS = 600 * 1000
_NONCE = 12
#: Opened tokens remembered per process (a token is some 300 bytes; its parsed form a little more).
OPENED_TOKENS = 8192


class TokenKind(Enum):
    """Prefix and Personium's type code for each local token kind (notes §3.1)."""

    RESIDENT_ACCESS = ("AR~", 0)
    VISITOR_ACCESS = ("AV~", 1)
    RESIDENT_REFRESH = ("RR~", 3)
    VISITOR_REFRESH = ("RV~", 4)
    GRANT_CODE = ("GC~", 5)
    UNIT_LOCAL_UNIT_USER = ("AU~", 6)
    PASSWORD_CHANGE = ("AP~", 7)

    @property
    def prefix(self) -> str:
        return self.value[0]

    @property
    def is_refresh(self) -> bool:
        return self in (TokenKind.RESIDENT_REFRESH, TokenKind.VISITOR_REFRESH)

    @classmethod
    def of(cls, token: str) -> TokenKind | None:
        return next((kind for kind in cls if token.startswith(kind.prefix)), None)


class TokenError(Exception):
    """``reason`` is "parse" or "expired"; the caller picks the PR code for its context."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class LocalToken:
    kind: TokenKind
    issuer: str  # the cell URL (the unit URL for AU~)
    subject: str  # account name, or a visitor's "{cellUrl}#{account}", or the unit user
    issued_at_ms: int
    lifespan_ms: int
    schema: str = ""
    scopes: tuple[str, ...] = ()
    #: AV~: role instance URLs granted here; RV~: the original token's role class URLs.
    roles: tuple[str, ...] = ()
    #: RV~: the original trans-cell token's id and issuer.
    original_id: str = ""
    original_issuer: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def expires_at_ms(self) -> int:
        return self.issued_at_ms + self.lifespan_ms

    def expired(self, now_ms: int | None = None) -> bool:
        return (now_ms if now_ms is not None else clock.now_ms()) > self.expires_at_ms

    def renewed(self, issued_at_ms: int) -> LocalToken:
        return replace(self, issued_at_ms=issued_at_ms)




class TokenCodec:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("the token secret must be 32 bytes")
        self._aead = AESGCM(secret)
        self._opened: BoundedCache[tuple[str, str], LocalToken] = BoundedCache(OPENED_TOKENS)

    def encode(self, token: LocalToken) -> str:
        payload = {"k": token.kind.value[1], "sub": token.subject, "iat": token.issued_at_ms,
                   "ttl": token.lifespan_ms, "sch": token.schema, "scp": list(token.scopes),
                   "rol": list(token.roles), "oid": token.original_id, "ois": token.original_issuer,
                   "x": token.extra}
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, orjson.dumps(payload), _aad(token.kind, token.issuer))
        return token.kind.prefix + base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def decode(self, text: str, issuer: str, now_ms: int | None = None, *, check_expiry: bool = True) -> LocalToken:
        """Open a token issued by ``issuer``; raise TokenError("parse"|"expired"). A token's content
        never changes, so opened ones are remembered (its expiry is judged on every use)."""
        token = self._opened.get_or_make((text, issuer), lambda: self._open(text, issuer))
        if check_expiry and token.expired(now_ms):
            raise TokenError("expired")
        return token

    def _open(self, text: str, issuer: str) -> LocalToken:
        kind = TokenKind.of(text)
        if kind is None:
            raise TokenError("parse")
        body = text[len(kind.prefix):]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _aad(kind, issuer))
            data = orjson.loads(plain)
            token = LocalToken(kind, issuer, data["sub"], data["iat"], data["ttl"], data["sch"],
                               tuple(data["scp"]), tuple(data["rol"]), data["oid"], data["ois"], data["x"])
        except (ValueError, InvalidTag, KeyError, TypeError, orjson.JSONDecodeError):
            raise TokenError("parse") from None
        if data["k"] != kind.value[1]:
            raise TokenError("parse")
        return token


class CookieCodec:
    """``p_cookie`` (notes §3.4): the access token sealed with its peer value, bound to the cell."""

    def __init__(self, codec: TokenCodec) -> None:
        self._aead = codec._aead

    def seal(self, peer: str, access_token: str, cell_url: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, f"{peer}\t{access_token}".encode(), f"cookie {cell_url}".encode())
        return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()

    def open(self, value: str, peer: str, cell_url: str) -> str | None:
        """The access token if the cookie is intact and was issued with this peer value."""
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            plain = self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], f"cookie {cell_url}".encode()).decode()
        except (ValueError, InvalidTag, UnicodeDecodeError):
            return None
        stored_peer, _, token = plain.partition("\t")
        return token if stored_peer == peer and token else None


def _aad(kind: TokenKind, issuer: str) -> bytes:
    return f"{kind.prefix}{issuer}".encode()
