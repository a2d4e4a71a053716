"""Unit key material: the RSA key and X.509 certificate that sign Trans-Cell Access Tokens, the trusted
root CAs that verify other units' tokens, and the per-cell keys published at ``__certs``.

Personium checks a TCAT certificate in three steps (lib-common ``X509KeySelector``): its issuer DN is the
subject of a configured root, the root's key verifies it, and it is within its validity period. A unit
that trusts our CA therefore accepts our tokens, and we accept theirs when their CA is in our roots.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

_T = TypeVar("_T")

RSA_BITS = 2048
CERT_VALIDITY = dt.timedelta(days=3650)
#: Backdating absorbs clock skew between units (a certificate "not yet valid" is rejected).
_BACKDATE = dt.timedelta(minutes=5)
_PEM_CERT_BEGIN = b"-----BEGIN CERTIFICATE-----"


class CertificateLoadError(ValueError):
    """A key or certificate file could not be read; the message names the file."""


@dataclass(frozen=True)
class UnitKeys:
    """Everything the unit needs to issue and verify TCATs."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    ca_cert: x509.Certificate
    trusted_roots: tuple[x509.Certificate, ...]


# ---------------------------------------------------------------------------------------------- keys


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def new_cell_keypair() -> rsa.RSAPrivateKey:
    """A cell's signing key (id_token, ``__certs``); the public half is ``key.public_key()``."""
    return new_rsa_key()


def cell_jwks(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, list[dict[str, str]]]:
    """The ``__certs`` body (JWK set, RFC 7517) so relying parties can verify our RS256 id_tokens."""
    numbers = public_key.public_numbers()
    return {
        "keys": [
            {
                "kty": "RSA",
                "alg": "RS256",
                "use": "sig",
                "kid": kid,
                "n": _b64url_uint(numbers.n),
                "e": _b64url_uint(numbers.e),
            }
        ]
    }


def _b64url_uint(value: int) -> str:
    """JWK "Base64urlUInt": big-endian, minimal length, no padding."""
    raw = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# ------------------------------------------------------------------------------------- certificates


def generate_unit_ca_and_cert(
    unit_host: str, *, now: dt.datetime | None = None
) -> tuple[rsa.RSAPrivateKey, x509.Certificate, rsa.RSAPrivateKey, x509.Certificate]:
    """A self-made CA and the unit certificate it signs: ``(ca_key, ca_cert, key, cert)``.

    The unit certificate's CN is the bare host, because Personium takes the unit FQDN from the CN and
    accepts a token only when that CN is a suffix of the issuer cell's host.
    """
    host = unit_host.lower().rstrip(".")
    if not host:
        raise ValueError("unit host must not be empty")
    start = (now or dt.datetime.now(dt.UTC)) - _BACKDATE
    ca_key, key = new_rsa_key(), new_rsa_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Cellar Unit CA {host}")])
    ca_cert = _ca_builder(ca_name, ca_key, start).sign(ca_key, hashes.SHA256())
    unit_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    cert = _leaf_builder(unit_name, host, key, ca_cert, ca_key, start).sign(ca_key, hashes.SHA256())
    return ca_key, ca_cert, key, cert


def _ca_builder(name: x509.Name, key: rsa.RSAPrivateKey, start: dt.datetime) -> x509.CertificateBuilder:
    public = key.public_key()
    return (
        _base_builder(name, name, public, start)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _leaf_builder(
    name: x509.Name,
    host: str,
    key: rsa.RSAPrivateKey,
    ca_cert: x509.Certificate,
    ca_key: rsa.RSAPrivateKey,
    start: dt.datetime,
) -> x509.CertificateBuilder:
    public = key.public_key()
    return (
        _base_builder(name, ca_cert.subject, public, start)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.SubjectAlternativeName([_san_entry(host)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )


def _base_builder(
    subject: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey, start: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + CERT_VALIDITY)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=not cert_sign,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _san_entry(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def common_name(cert: x509.Certificate) -> str:
    """The subject's first CN, or "" when it has none."""
    attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    value = attrs[0].value if attrs else ""
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def verify_chain(
    cert: x509.Certificate, roots: Iterable[x509.Certificate], *, now: dt.datetime | None = None
) -> bool:
    """Personium's trust rule: issued directly by one of ``roots`` (issuer DN = root subject and the
    root's key verifies the signature), and both certificates valid at ``now``."""
    at = now or dt.datetime.now(dt.UTC)
    if not _valid_at(cert, at):
        return False
    return any(_issued_by(cert, root) and _valid_at(root, at) for root in roots)


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    if cert.issuer != root.subject and cert.issuer.rfc4514_string() != root.subject.rfc4514_string():
        return False
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _valid_at(cert: x509.Certificate, at: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= at <= cert.not_valid_after_utc


# ------------------------------------------------------------------------------------------------ PEM


def key_to_pem(key: rsa.RSAPrivateKey) -> bytes:
    """PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form Personium's PEMReader reads for ``x509.key``."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def key_from_pem(data: bytes, *, self_made: bool = False) -> rsa.RSAPrivateKey:
    """Reads PKCS#1 or PKCS#8, unencrypted; anything but RSA is refused (TCATs are RSA-signed).

    ``self_made`` skips the costly RSA consistency check for keys this unit generated and stored.
    """
    key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=self_made)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the private key is not an RSA key")
    return key


def cert_to_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def certs_to_pem(certs: Iterable[x509.Certificate]) -> bytes:
    return b"".join(cert_to_pem(cert) for cert in certs)


def cert_from_pem(data: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(data)


def certs_from_pem(data: bytes) -> list[x509.Certificate]:
    """Every certificate in a PEM bundle; a bundle without one is an error, not an empty trust list."""
    if _PEM_CERT_BEGIN not in data:
        raise ValueError("no PEM certificate found")
    return x509.load_pem_x509_certificates(data)


def load_trusted_roots(paths: Iterable[Path]) -> list[x509.Certificate]:
    """All certificates of all files, in order; a missing or malformed file names itself."""
    roots: list[x509.Certificate] = []
    for path in paths:
        roots.extend(_load(Path(path), certs_from_pem))
    return roots


def _load(path: Path, parse: Callable[[bytes], _T]) -> _T:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CertificateLoadError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return parse(data)
    except (ValueError, TypeError) as exc:
        raise CertificateLoadError(f"{path}: not a valid PEM file ({exc})") from exc


def generate_unit_keys(unit_host: str) -> tuple[UnitKeys, rsa.RSAPrivateKey]:
    """Fresh unit keys trusting only their own CA, plus the CA key (keep it only to re-issue)."""
    ca_key, ca_cert, key, cert = generate_unit_ca_and_cert(unit_host)
    return UnitKeys(key, cert, ca_cert, (ca_cert,)), ca_key
