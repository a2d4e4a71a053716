"""Unit key material: the self-made CA, Personium's chain rule, PEM files and the ``__certs`` JWK set."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cellar.auth.authn import certs

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def unit() -> tuple[rsa.RSAPrivateKey, x509.Certificate, rsa.RSAPrivateKey, x509.Certificate]:
    return certs.generate_unit_ca_and_cert("Unit.Example", now=NOW)  # NOW is taken at import: pin it


@pytest.fixture(scope="module")
def other() -> tuple[rsa.RSAPrivateKey, x509.Certificate, rsa.RSAPrivateKey, x509.Certificate]:
    return certs.generate_unit_ca_and_cert("other.example", now=NOW)


def test_unit_certificate_names_the_host_and_is_signed_by_the_ca(unit) -> None:
    ca_key, ca_cert, key, cert = unit
    assert certs.common_name(cert) == "unit.example"
    assert certs.common_name(ca_cert) == "Cellar Unit CA unit.example"
    assert cert.issuer == ca_cert.subject
    assert key.key_size == 2048 and ca_key.key_size == 2048
    assert cert.public_key().public_numbers() == key.public_key().public_numbers()
    cert.verify_directly_issued_by(ca_cert)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["unit.example"]


def test_certificates_are_ca_and_leaf_with_ten_years_validity(unit) -> None:
    _, ca_cert, _, cert = unit
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    for c in (ca_cert, cert):
        span = c.not_valid_after_utc - c.not_valid_before_utc
        assert span == certs.CERT_VALIDITY
        assert c.not_valid_before_utc < NOW < c.not_valid_after_utc
        assert isinstance(c.signature_hash_algorithm, hashes.SHA256)


def test_ip_host_gets_an_ip_san() -> None:
    _, _, _, cert = certs.generate_unit_ca_and_cert("127.0.0.1")
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert certs.common_name(cert) == "127.0.0.1"


def test_empty_host_is_refused() -> None:
    with pytest.raises(ValueError):
        certs.generate_unit_ca_and_cert("")


def test_verify_chain_accepts_its_own_ca_only(unit, other) -> None:
    _, ca_cert, _, cert = unit
    _, other_ca, _, other_cert = other
    assert certs.verify_chain(cert, [ca_cert], now=NOW)
    assert certs.verify_chain(cert, [other_ca, ca_cert], now=NOW)
    assert not certs.verify_chain(cert, [other_ca], now=NOW)
    assert not certs.verify_chain(other_cert, [ca_cert], now=NOW)
    assert not certs.verify_chain(cert, [], now=NOW)


def test_verify_chain_needs_the_roots_key_not_just_its_name(unit) -> None:
    """A CA with the same subject DN but another key (an impostor) must not vouch for the cert."""
    _, ca_cert, _, cert = unit
    impostor_key = certs.new_rsa_key()
    impostor = (
        x509.CertificateBuilder()
        .subject_name(ca_cert.subject)
        .issuer_name(ca_cert.subject)
        .public_key(impostor_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - dt.timedelta(days=1))
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(impostor_key, hashes.SHA256())
    )
    assert not certs.verify_chain(cert, [impostor], now=NOW)


def test_verify_chain_checks_validity_periods(unit) -> None:
    _, ca_cert, _, cert = unit
    assert not certs.verify_chain(cert, [ca_cert], now=cert.not_valid_after_utc + dt.timedelta(seconds=1))
    assert not certs.verify_chain(cert, [ca_cert], now=cert.not_valid_before_utc - dt.timedelta(seconds=1))
    assert certs.verify_chain(cert, [ca_cert])  # default: now


def test_verify_chain_refuses_an_expired_root() -> None:
    past = NOW - certs.CERT_VALIDITY - dt.timedelta(days=1)
    old_ca_key, old_ca, _, _ = certs.generate_unit_ca_and_cert("unit.example", now=past)
    _, ca_cert, _, _ = certs.generate_unit_ca_and_cert("unit.example")
    leaf_key = certs.new_rsa_key()
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unit.example")]))
        .issuer_name(old_ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(2)
        .not_valid_before(past)
        .not_valid_after(NOW + dt.timedelta(days=1))
        .sign(old_ca_key, hashes.SHA256())
    )
    assert certs.verify_chain(leaf, [old_ca], now=old_ca.not_valid_after_utc - dt.timedelta(hours=1))
    assert not certs.verify_chain(leaf, [old_ca], now=NOW)
    assert not certs.verify_chain(leaf, [ca_cert], now=NOW)  # same DN as the new CA, but not its key


def test_key_pem_round_trip_is_pkcs1(unit) -> None:
    _, _, key, _ = unit
    pem = certs.key_to_pem(key)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert certs.key_from_pem(pem).private_numbers() == key.private_numbers()


def test_key_from_pem_refuses_non_rsa() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="RSA"):
        certs.key_from_pem(pem)


def test_cert_pem_round_trip_and_bundles(unit, other) -> None:
    _, ca_cert, _, cert = unit
    assert certs.cert_from_pem(certs.cert_to_pem(cert)) == cert
    bundle = certs.certs_to_pem([ca_cert, other[1]])
    assert certs.certs_from_pem(bundle) == [ca_cert, other[1]]
    with pytest.raises(ValueError):
        certs.certs_from_pem(b"nothing here")


def test_load_trusted_roots_reads_every_certificate_of_every_file(tmp_path: Path, unit, other) -> None:
    one = tmp_path / "one.pem"
    two = tmp_path / "two.pem"
    one.write_bytes(b"comment line\n" + certs.cert_to_pem(unit[1]))
    two.write_bytes(certs.certs_to_pem([other[1], unit[3]]))
    assert certs.load_trusted_roots([one, two]) == [unit[1], other[1], unit[3]]
    assert certs.load_trusted_roots([]) == []


@pytest.mark.parametrize(
    "content",
    [b"not a certificate", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b""],
)
def test_load_trusted_roots_names_the_bad_file(tmp_path: Path, unit, content: bytes) -> None:
    good = tmp_path / "good.pem"
    good.write_bytes(certs.cert_to_pem(unit[1]))
    bad = tmp_path / "bad-root.pem"
    bad.write_bytes(content)
    with pytest.raises(certs.CertificateLoadError, match="bad-root.pem"):
        certs.load_trusted_roots([good, bad])


def test_load_trusted_roots_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(certs.CertificateLoadError, match="missing.pem"):
        certs.load_trusted_roots([tmp_path / "missing.pem"])


def test_generated_unit_keys_trust_their_own_ca() -> None:
    keys, ca_key = certs.generate_unit_keys("cellar.example")
    assert keys.trusted_roots == (keys.ca_cert,)
    assert certs.common_name(keys.cert) == "cellar.example"
    assert certs.verify_chain(keys.cert, keys.trusted_roots)
    assert keys.ca_cert.public_key().public_numbers() == ca_key.public_key().public_numbers()


def test_unit_keys_is_frozen() -> None:
    keys, _ = certs.generate_unit_keys("cellar.example")
    with pytest.raises(AttributeError):
        keys.cert = None  # type: ignore[misc]


def _b64url_int(text: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")


def test_cell_jwks_shape() -> None:
    key = certs.new_cell_keypair()
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
    jwks = certs.cell_jwks(key.public_key(), "fdef9343-68e7-4104-b817-81fe933ae2a0")
    assert list(jwks) == ["keys"] and len(jwks["keys"]) == 1
    jwk = jwks["keys"][0]
    assert set(jwk) == {"kty", "alg", "use", "kid", "n", "e"}
    assert (jwk["kty"], jwk["alg"], jwk["use"]) == ("RSA", "RS256", "sig")
    assert jwk["kid"] == "fdef9343-68e7-4104-b817-81fe933ae2a0"
    assert jwk["e"] == "AQAB"
    for value in (jwk["n"], jwk["e"]):
        assert "=" not in value and "+" not in value and "/" not in value
    numbers = key.public_key().public_numbers()
    assert _b64url_int(jwk["n"]) == numbers.n
    assert len(base64.urlsafe_b64decode(jwk["n"] + "==")) == 256  # minimal: no leading zero byte
