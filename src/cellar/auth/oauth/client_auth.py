"""Client (app) authentication at ``__token`` (notes §3.3): the secret is a trans-cell token the
app's cell issued for this cell; a ``confidentialClient`` role makes the schema ``{client_id}#c``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from cryptography import x509

from cellar import clock
from cellar.auth.authn import saml
from cellar.errors import PersoniumError
from cellar.urls import UnitUrls

ASSERTION_TYPE = "urn:ietf:params:oauth:grant-type:saml2-bearer"


def wants_client_auth(params: Mapping[str, str], authorization: str | None) -> bool:
    return any(k in params for k in ("client_id", "client_assertion", "client_assertion_type")) or bool(authorization)


def parse_basic(authorization: str) -> tuple[str, str] | None:
    """``Basic base64(urlencode(id):urlencode(secret))``, standard or URL-safe base64 (notes §3.2)."""
    scheme, _, value = authorization.partition(" ")
    if scheme != "Basic" or not value.strip():
        return None
    value = value.strip()
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_" if "-" in value or "_" in value
                               else None, validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, secret = text.partition(":")
    return (unquote(user), unquote(secret)) if sep else None


def authenticate_client(params: Mapping[str, str], authorization: str | None, cell_url: str, urls: UnitUrls,
                        roots: Iterable[x509.Certificate]) -> str:
    """The schema the request is authenticated for (``""`` when no client authentication applies)."""
    if not wants_client_auth(params, authorization):
        return ""
    client_id = params.get("client_id")
    if "client_assertion" in params or "client_assertion_type" in params:
        if params.get("client_assertion_type") != ASSERTION_TYPE:
            raise PersoniumError("PR400-AN-0022", ASSERTION_TYPE)
        secret = params.get("client_assertion", "")
    elif authorization:
        basic = parse_basic(authorization)
        if basic is None:
            raise PersoniumError("PR400-AN-0018")
        client_id, secret = basic
    else:
        secret = params.get("client_secret", "")
    return _schema(secret, client_id, cell_url, urls, roots)


def _schema(secret: str, client_id: str | None, cell_url: str, urls: UnitUrls,
            roots: Iterable[x509.Certificate]) -> str:
    try:
        token = saml.parse(secret, roots, clock.now_ms())
    except saml.TokenError as exc:
        code = {"parse": "PR400-AN-0003", "expired": "PR400-AN-0004"}.get(exc.reason, "PR400-AN-0011")
        raise PersoniumError(code) from None
    issuer = urls.canonical(token.issuer)
    if client_id is not None and _slash(urls.canonical(client_id)) != _slash(issuer):
        raise PersoniumError("PR400-AN-0006")
    if _slash(urls.canonical(token.target)) != _slash(cell_url):
        raise PersoniumError("PR400-AN-0007")
    schema = client_id if client_id is not None else token.issuer
    confidential = f"{_slash(issuer)}__role/__/confidentialClient"
    return f"{schema}#c" if confidential in token.roles else schema


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def schema_without_confidential(schema: str) -> str:
    return schema[:-2] if schema.endswith("#c") else schema
