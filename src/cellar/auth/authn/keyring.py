"""Key material at run time: the unit certificate and CA, trusted roots, the local-token codec and
per-cell signing keys. All of it lives in the database, so every process of a unit shares it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import orjson
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from cellar import clock
from cellar.auth.authn.certs import (
    UnitKeys,
    cell_jwks,
    cert_from_pem,
    cert_to_pem,
    generate_unit_ca_and_cert,
    key_from_pem,
    key_to_pem,
    load_trusted_roots,
    new_cell_keypair,
)
from cellar.auth.authn.secrets import token_secret, unit_value
from cellar.auth.authn.tokens import TokenCodec
from cellar.storage import Storage
from cellar.storage.tables import cell_keys
from cellar.storage.uow import Transaction


@dataclass(frozen=True)
class Keyring:
    unit: UnitKeys
    codec: TokenCodec


def load_keyring(storage: Storage, unit_url: str, trusted_ca_files: tuple[Path, ...],
                 data_dir: Path | None = None) -> Keyring:
    host = urlsplit(unit_url).hostname or "localhost"
    stored = orjson.loads(unit_value(storage, "unit_keys", lambda: _new_unit_keys(host)))
    ca_cert = cert_from_pem(stored["ca_cert"].encode())
    roots = (ca_cert, *load_trusted_roots(trusted_ca_files))
    keys = UnitKeys(key_from_pem(stored["key"].encode(), self_made=True), cert_from_pem(stored["cert"].encode()),
                    ca_cert, roots)
    if data_dir is not None:
        _publish_ca(data_dir, stored["ca_cert"])
    return Keyring(keys, TokenCodec(token_secret(storage)))


def _new_unit_keys(host: str) -> str:
    ca_key, ca_cert, key, cert = generate_unit_ca_and_cert(host)
    return orjson.dumps({"ca_key": key_to_pem(ca_key).decode(), "ca_cert": cert_to_pem(ca_cert).decode(),
                         "key": key_to_pem(key).decode(), "cert": cert_to_pem(cert).decode()}).decode()


def _publish_ca(data_dir: Path, pem: str) -> None:
    """Other units trust ours by adding this file to their CELLAR_TRUSTED_CA_FILES."""
    path = data_dir / "unit-ca.pem"
    try:
        if not path.exists() or path.read_text() != pem:
            data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(pem)
    except OSError:
        pass


def cell_key(tx: Transaction, cell_id: str) -> tuple[str, rsa.RSAPrivateKey]:
    """The cell's signing key (kid, key), made on first use."""
    row = tx.conn.execute(select(cell_keys).where(cell_keys.c.cell_id == cell_id)).first()
    if row is None:
        key = new_cell_keypair()
        kid = uuid.uuid4().hex
        try:
            with tx.conn.begin_nested():
                tx.conn.execute(insert(cell_keys).values(cell_id=cell_id, kid=kid, private_key=key_to_pem(key).decode(),
                                                         created=clock.now_ms()))
            return kid, key
        except IntegrityError:
            row = tx.conn.execute(select(cell_keys).where(cell_keys.c.cell_id == cell_id)).one()
    return row.kid, key_from_pem(row.private_key.encode(), self_made=True)


def cell_public_jwks(tx: Transaction, cell_id: str) -> dict[str, list[dict[str, str]]]:
    """The ``__certs`` body: the cell's public signing key as a JWK set (the key is made on first use)."""
    kid, key = cell_key(tx, cell_id)
    return cell_jwks(key.public_key(), kid)
