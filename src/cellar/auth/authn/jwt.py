"""OpenID Connect ``id_token``: an RS256 JWT signed with the cell's key (kid = the key's id)."""

from __future__ import annotations

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

ID_TOKEN_LIFETIME_S = 3600


def id_token(key: rsa.RSAPrivateKey, kid: str, issuer: str, subject: str, audience: str, now_ms: int) -> str:
    issued = now_ms // 1000
    claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": issued, "exp": issued + ID_TOKEN_LIFETIME_S}
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})
