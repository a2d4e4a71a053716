"""Trans-Cell Access Tokens: Personium's exact SAML shape, signature verification, trust, expiry, and the
attacks a SAML verifier must resist (tampering, wrapping, DTDs, oversize)."""

from __future__ import annotations

import base64
import copy
import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from cellar.auth.authn import certs, saml

NOW_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, inside the test certificates' validity
HOUR_MS = 3_600_000
ISSUER = "https://alice.unit-a.example/"
TARGET = "https://bob.unit-b.example/"
SCHEMA = "https://app.unit-a.example/"
ROLES = ("https://app.unit-a.example/__role/__/reader", "https://alice.unit-a.example/__role/__/friend")
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SA = "{urn:oasis:names:tc:SAML:2.0:assertion}"

#: A TCAT issued by a real Personium unit (portal.baas.jp.fujitsu.com, December 2016) and published in a
#: public shell script. It predates 1.8.3 (RSA-SHA1, no SubjectConfirmationData, empty Attribute), but its
#: serialisation and signature are Java's own: our canonicalisation must reproduce them.
PERSONIUM_2016_TCAT = (
    "PEFzc2VydGlvbiB4bWxucz0idXJuOm9hc2lzOm5hbWVzOnRjOlNBTUw6Mi4wOmFzc2VydGlvbiIgSUQ9ImQyMWE2MGEwLTM5MTItNGRl"
    "MC04MDJmLTc3ZjZmYzI3MGY3YiIgSXNzdWVJbnN0YW50PSIyMDE2LTEyLTEyVDE2OjUwOjAyLjQyNCswOTowMCIgVmVyc2lvbj0iMi4w"
    "Ij48SXNzdWVyPmh0dHBzOi8vcG9ydGFsLmJhYXMuanAuZnVqaXRzdS5jb20vPC9Jc3N1ZXI-PFN1YmplY3Q-PE5hbWVJRD5wZXJzb25p"
    "dW0tZGVtbzwvTmFtZUlEPjxTdWJqZWN0Q29uZmlybWF0aW9uLz48L1N1YmplY3Q-PENvbmRpdGlvbnM-PEF1ZGllbmNlUmVzdHJpY3Rp"
    "b24-PEF1ZGllbmNlPmh0dHBzOi8vZGVtby5wZXJzb25pdW0uaW8vPC9BdWRpZW5jZT48QXVkaWVuY2UvPjwvQXVkaWVuY2VSZXN0cmlj"
    "dGlvbj48L0NvbmRpdGlvbnM-PEF1dGhuU3RhdGVtZW50IEF1dGhuSW5zdGFudD0iMjAxNi0xMi0xMlQxNjo1MDowMi40MjQrMDk6MDAi"
    "PjxBdXRobkNvbnRleHQ-PEF1dGhuQ29udGV4dENsYXNzUmVmPnVybjpvYXNpczpuYW1lczp0YzpTQU1MOjIuMDphYzpjbGFzc2VzOlBh"
    "c3N3b3JkUHJvdGVjdGVkVHJhbnNwb3J0PC9BdXRobkNvbnRleHRDbGFzc1JlZj48L0F1dGhuQ29udGV4dD48L0F1dGhuU3RhdGVtZW50"
    "PjxBdHRyaWJ1dGVTdGF0ZW1lbnQ-PEF0dHJpYnV0ZS8-PC9BdHRyaWJ1dGVTdGF0ZW1lbnQ-PFNpZ25hdHVyZSB4bWxucz0iaHR0cDov"
    "L3d3dy53My5vcmcvMjAwMC8wOS94bWxkc2lnIyI-PFNpZ25lZEluZm8-PENhbm9uaWNhbGl6YXRpb25NZXRob2QgQWxnb3JpdGhtPSJo"
    "dHRwOi8vd3d3LnczLm9yZy9UUi8yMDAxL1JFQy14bWwtYzE0bi0yMDAxMDMxNSIvPjxTaWduYXR1cmVNZXRob2QgQWxnb3JpdGhtPSJo"
    "dHRwOi8vd3d3LnczLm9yZy8yMDAwLzA5L3htbGRzaWcjcnNhLXNoYTEiLz48UmVmZXJlbmNlIFVSST0iIj48VHJhbnNmb3Jtcz48VHJh"
    "bnNmb3JtIEFsZ29yaXRobT0iaHR0cDovL3d3dy53My5vcmcvMjAwMC8wOS94bWxkc2lnI2VudmVsb3BlZC1zaWduYXR1cmUiLz48L1Ry"
    "YW5zZm9ybXM-PERpZ2VzdE1ldGhvZCBBbGdvcml0aG09Imh0dHA6Ly93d3cudzMub3JnLzIwMDAvMDkveG1sZHNpZyNzaGExIi8-PERp"
    "Z2VzdFZhbHVlPmMxM0NIT1hrOWg5ZkVNY0Z5b21hUTJhdG9qQT08L0RpZ2VzdFZhbHVlPjwvUmVmZXJlbmNlPjwvU2lnbmVkSW5mbz48"
    "U2lnbmF0dXJlVmFsdWU-VU0yMmZVRWV4UzdXK1haSnlPZExISTd1d3lFQStIQjRFZ1BNT2JqWC9OZlk1MnBEZ2JrckxhclV3Q3l6aGJv"
    "RzdGNHJQUlQzQ0JRUApnRVdqZm5mRFduTzh0OTVPNDhjUTB5WFRwOC82WGZ0Y0g4NWJ2a2JXazNhTm5aakR4cTJodmROa0ZGeER3S21t"
    "YjVMd00zSXhJRzlKCk04Nnc2M1Nua2plc2s3eWtjdDQ9PC9TaWduYXR1cmVWYWx1ZT48S2V5SW5mbz48WDUwOURhdGE-PFg1MDlTdWJq"
    "ZWN0TmFtZT4xLjIuODQwLjExMzU0OS4xLjkuMT0jMTYxYTZlNzM3MzcwMmQ2NDYzNDA2ZDZjMmU2MzczNzMyZTY2NzU2YTY5NzQ3Mzc1"
    "MmU2MzZmNmQsQ049cG9ydGFsLmJhYXMuanAuZnVqaXRzdS5jb20sT1U9U29jaWFsIENsb3VkIE9mZmljZSxPPUZ1aml0c3UgTHRkLEw9"
    "T3RhLWt1LFNUPVRva3lvLEM9SlA8L1g1MDlTdWJqZWN0TmFtZT48WDUwOUNlcnRpZmljYXRlPk1JSURQRENDQWlRQ0FSa3dEUVlKS29a"
    "SWh2Y05BUUVGQlFBd2daWXhDekFKQmdOVkJBWVRBa3BRTVE0d0RBWURWUVFJREFWVWIydDUKYnpFVU1CSUdBMVVFQ2d3TFJuVnFhWFJ6"
    "ZFNCTWRHUXhIREFhQmdOVkJBc01FMU52WTJsaGJDQkRiRzkxWkNCUFptWnBZMlV4R0RBVwpCZ05WQkFNTUQxTnZZMmxoYkNCRGJHOTFa"
    "Q0JEUVRFcE1DY0dDU3FHU0liM0RRRUpBUllhYm5OemNDMWtZMEJ0YkM1amMzTXVablZxCmFYUnpkUzVqYjIwd0lCY05NVFF3TVRNd01E"
    "SXhOakV4V2hnUE1qRXhOREF4TURZd01qRTJNVEZhTUlHeU1Rc3dDUVlEVlFRR0V3SksKVURFT01Bd0dBMVVFQ0F3RlZHOXJlVzh4RHpB"
    "TkJnTlZCQWNNQms5MFlTMXJkVEVVTUJJR0ExVUVDZ3dMUm5WcWFYUnpkU0JNZEdReApIREFhQmdOVkJBc01FMU52WTJsaGJDQkRiRzkx"
    "WkNCUFptWnBZMlV4SXpBaEJnTlZCQU1NR25CdmNuUmhiQzVpWVdGekxtcHdMbVoxCmFtbDBjM1V1WTI5dE1Ta3dKd1lKS29aSWh2Y05B"
    "UWtCRmhwdWMzTndMV1JqUUcxc0xtTnpjeTVtZFdwcGRITjFMbU52YlRDQm56QU4KQmdrcWhraUc5dzBCQVFFRkFBT0JqUUF3Z1lrQ2dZ"
    "RUFuaHNhOXFHMEd5cW1ycTNHdmlDU09jOE5LRkhEZ3VIQkRkWEFWOUtYZUQ3ZgpNNE1Gb01rUFU2ZVNmVndublhka09xWjkyajNaaU90"
    "a25zVUs3OFNCelBRZHJnMmYwTmxwRUJ3c3hsMkRwaHdqTGpXRWhpY2J0d3YyClJxNXhDVmRETnZQaEE5dHBvdzRBVjVsSVNUM1VJcFRD"
    "VUpIMEVLTURRZU1Fdm4xbDFxY0NBd0VBQVRBTkJna3Foa2lHOXcwQkFRVUYKQUFPQ0FRRUFremR5LzZWUmQxTldWYzc4WXJhdnFucVl2"
    "WEFuMHl4UFJTZlBaWENLcnJFcTJ6SEZFWVB1dGlzTmwwRDRlVFBRNUkzSwpKUGlVZEtPVzJwTVZocE1qQjEweGY4Y1ZEWmc5NWpkNGtr"
    "RGUwK2t5cWFHRWFPVXpOYTNlSjkzQ3NJTzdRbTFuV2haQTErTlJXY0tGCjM5UHk5clBYakZUazNhc014YnFraHVhUFFjL1ZHSnZHYWJn"
    "Q3NVZjVqTnlxcHBGK0Z0Y0gyWXJmbmUzM0k3VWZNYThqOTFocFFoK0oKSitvalkzbTRXeHI3U2UxY1NXSHlPR3RFQmVsOVFOWENzaFNS"
    "cXhZMHVEVkJscHFYQWtjVmtzRjJSMnZ3NndqaXlYZ2I0WHdnWEFtNwpSSkxxQ1NTTThQRVI4OTU3bGl3S3pOZGdlU2xPaXk5alFSTGpP"
    "Qi9tV2JabTNRPT08L1g1MDlDZXJ0aWZpY2F0ZT48L1g1MDlEYXRhPjwvS2V5SW5mbz48L1NpZ25hdHVyZT48L0Fzc2VydGlvbj4"
)


# ------------------------------------------------------------------------------------------ fixtures


class Unit:
    """A unit's CA and a signing certificate; ``cert_for`` makes certificates with other CNs."""

    def __init__(self, host: str) -> None:
        start = saml.ms_to_datetime(NOW_MS) - dt.timedelta(days=1)
        self.ca_key, self.ca_cert, self.key, self.cert = certs.generate_unit_ca_and_cert(host, now=start)

    def cert_for(self, cn: str, key: rsa.RSAPrivateKey) -> x509.Certificate:
        start = saml.ms_to_datetime(NOW_MS) - dt.timedelta(days=1)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self.ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=30))
            .sign(self.ca_key, hashes.SHA256())
        )


@pytest.fixture(scope="module")
def unit_a() -> Unit:
    return Unit("unit-a.example")


@pytest.fixture(scope="module")
def unit_b() -> Unit:
    return Unit("unit-b.example")


@pytest.fixture(scope="module")
def token() -> saml.TransCellToken:
    return saml.TransCellToken(
        id="5bd2c5e4-0d6f-4d4c-9d61-2f6f3b1b9a10",
        issuer=ISSUER,
        subject=ISSUER + "#alice",
        target=TARGET,
        schema=SCHEMA,
        roles=ROLES,
        scopes=("root", "https://app.unit-a.example/__role/__/x"),
        issued_at_ms=NOW_MS - 1000,
        lifespan_ms=HOUR_MS,
    )


@pytest.fixture(scope="module")
def signed(token: saml.TransCellToken, unit_a: Unit) -> str:
    return saml.issue(token, unit_a.key, unit_a.cert)


def decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(xml: bytes) -> str:
    return base64.urlsafe_b64encode(xml).rstrip(b"=").decode("ascii")


def reason(text: str, roots: list[x509.Certificate], now_ms: int = NOW_MS) -> str:
    with pytest.raises(saml.TokenError) as info:
        saml.parse(text, roots, now_ms)
    return info.value.reason


def to_ms(moment: dt.datetime) -> int:
    return (moment - saml.ms_to_datetime(0)) // dt.timedelta(milliseconds=1)


def edit(text: str, old: bytes, new: bytes) -> str:
    xml = decode(text)
    assert old in xml, old
    return encode(xml.replace(old, new, 1))


def resign(root: etree._Element, key: rsa.RSAPrivateKey, *, digest: bool = True) -> str:
    """Re-signs a modified tree's SignedInfo with a trusted key, to test policy rather than crypto."""
    signature = root.find(DS + "Signature")
    if digest:
        value = hashlib.sha256(saml._c14n_without(root, signature)).digest()
        root.find(f".//{DS}DigestValue").text = base64.b64encode(value).decode()
    signed_info = signature.find(DS + "SignedInfo")
    value = key.sign(saml._c14n_subtree(signed_info), padding.PKCS1v15(), hashes.SHA256())
    signature.find(DS + "SignatureValue").text = base64.b64encode(value).decode()
    return encode(etree.tostring(root))


# ------------------------------------------------------------------------------------------ round trip


def test_round_trip_keeps_every_field(signed: str, token: saml.TransCellToken, unit_a: Unit) -> None:
    parsed = saml.parse(signed, [unit_a.ca_cert], NOW_MS)
    assert parsed == token
    assert parsed.id == token.id
    assert parsed.issuer == ISSUER
    assert parsed.subject == ISSUER + "#alice"
    assert parsed.target == TARGET
    assert parsed.schema == SCHEMA
    assert parsed.roles == ROLES
    assert parsed.scopes == ("root", "https://app.unit-a.example/__role/__/x")
    assert parsed.issued_at_ms == NOW_MS - 1000
    assert parsed.lifespan_ms == HOUR_MS
    assert parsed.expires_at_ms == NOW_MS - 1000 + HOUR_MS


def test_round_trip_with_empty_schema_roles_scopes_and_unicode(unit_a: Unit) -> None:
    plain = saml.TransCellToken("id-1", ISSUER, ISSUER + "#名前 & <x>", TARGET, "", (), (), NOW_MS, 5000)
    assert saml.parse(saml.issue(plain, unit_a.key, unit_a.cert), [unit_a.ca_cert], NOW_MS) == plain


def test_new_assigns_a_uuid_and_coerces_collections() -> None:
    made = saml.TransCellToken.new(ISSUER, "s", TARGET, now_ms=NOW_MS, roles=["r"], scopes=["root"])
    assert len(made.id) == 36 and made.id.count("-") == 4
    assert made.roles == ("r",) and made.scopes == ("root",) and made.schema == ""
    assert made.lifespan_ms == saml.DEFAULT_LIFESPAN_MS == HOUR_MS
    assert saml.TransCellToken("i", "a", "b", "c", None, ["x"], ["y"]).roles == ("x",)  # type: ignore[arg-type]
    hash(made)


def test_expired_is_strictly_after_issue_plus_lifespan() -> None:
    t = saml.TransCellToken("i", ISSUER, "s", TARGET, issued_at_ms=1000, lifespan_ms=500)
    assert t.expires_at_ms == 1500
    assert not t.expired(1500)
    assert t.expired(1501)


# ------------------------------------------------------------------------------- Personium's format


def test_token_is_unpadded_base64url_of_utf8_xml_without_declaration(signed: str) -> None:
    assert set(signed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    xml = decode(signed)
    assert xml.startswith(b'<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" ID="')
    assert b"<?xml" not in xml


def test_assertion_has_lib_commons_shape(signed: str, token: saml.TransCellToken, unit_a: Unit) -> None:
    xml = decode(signed)
    root = etree.fromstring(xml)
    assert root.nsmap == {None: saml.SAML_NS}
    assert b"saml:" not in xml and b"ds:" not in xml  # Java finds AttributeValue by its unprefixed tag
    assert dict(root.attrib) == {"ID": token.id, "IssueInstant": "2025-12-31T23:59:59.000Z", "Version": "2.0"}
    assert [child.tag for child in root] == [
        SA + name for name in ("Issuer", "Subject", "Conditions", "AuthnStatement", "AttributeStatement")
    ] + [DS + "Signature"]
    assert root.findtext(SA + "Issuer") == ISSUER
    assert root.findtext(f"{SA}Subject/{SA}NameID") == ISSUER + "#alice"
    confirmation = root.find(f"{SA}Subject/{SA}SubjectConfirmation")
    assert confirmation.get("Method") == "urn:oasis:names:tc:SAML:2.0:cm:bearer"
    data = confirmation.find(SA + "SubjectConfirmationData")
    assert dict(data.attrib) == {"NotOnOrAfter": "2026-01-01T00:59:59.000Z", "Recipient": TARGET + "__token"}
    audiences = [a.text for a in root.iterfind(f"{SA}Conditions/{SA}AudienceRestriction/{SA}Audience")]
    assert audiences == [TARGET, SCHEMA]
    authn = root.find(SA + "AuthnStatement")
    assert authn.get("AuthnInstant") == "2025-12-31T23:59:59.000Z"
    assert authn.findtext(f"{SA}AuthnContext/{SA}AuthnContextClassRef") == saml.PASSWORD_PROTECTED
    roles, scopes = root.findall(f"{SA}AttributeStatement/{SA}Attribute")
    assert dict(roles.attrib) == {"Name": "Roles", "NameFormat": "urn:x-personium:xmlns"}
    assert dict(scopes.attrib) == {"Name": "Scopes"}
    assert tuple(v.text for v in roles) == ROLES
    assert [v.text for v in scopes] == list(token.scopes)


def test_signature_has_lib_commons_algorithms(signed: str, unit_a: Unit) -> None:
    signature = etree.fromstring(decode(signed)).find(DS + "Signature")
    assert signature.nsmap[None] == saml.DSIG_NS
    info = signature.find(DS + "SignedInfo")
    assert info.find(DS + "CanonicalizationMethod").get("Algorithm") == (
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    )
    assert info.find(DS + "SignatureMethod").get("Algorithm") == (
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    )
    reference = info.find(DS + "Reference")
    assert reference.get("URI") == ""
    assert [t.get("Algorithm") for t in reference.iter(DS + "Transform")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
    ]
    assert reference.find(DS + "DigestMethod").get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    data = signature.find(f"{DS}KeyInfo/{DS}X509Data")
    assert data.findtext(DS + "X509SubjectName") == "CN=unit-a.example"
    der = base64.b64decode("".join(data.findtext(DS + "X509Certificate").split()))
    assert x509.load_der_x509_certificate(der) == unit_a.cert


def test_instants_are_joda_style_and_any_offset_is_read() -> None:
    assert saml.format_instant(1_481_529_002_424) == "2016-12-12T07:50:02.424Z"
    assert saml.parse_instant("2016-12-12T16:50:02.424+09:00") == 1_481_529_002_424
    assert saml.parse_instant("2016-12-12T07:50:02.424Z") == 1_481_529_002_424
    assert saml.parse_instant("2016-12-12T07:50:02.424") == 1_481_529_002_424
    assert saml.parse_instant("2016-12-12T07:50:02Z") == 1_481_529_002_000
    with pytest.raises(saml.TokenParseError):
        saml.parse_instant("yesterday")


def test_decoding_tolerates_padding_standard_alphabet_and_line_breaks(signed: str, unit_a: Unit) -> None:
    standard = base64.b64encode(decode(signed)).decode()
    wrapped = "\n".join(standard[i : i + 76] for i in range(0, len(standard), 76))
    for variant in (standard, wrapped, signed + "=" * (-len(signed) % 4)):
        assert saml.parse(variant, [unit_a.ca_cert], NOW_MS).subject == ISSUER + "#alice"


def test_signed_by_real_personium_canonicalises_like_java() -> None:
    """Java's signature over Java's XML verifies with our C14N (SHA-1 allowed for this test only)."""
    root = saml.parse_xml(decode(PERSONIUM_2016_TCAT))
    legacy_sig = {"http://www.w3.org/2000/09/xmldsig#rsa-sha1": hashes.SHA1}
    legacy_digest = {"http://www.w3.org/2000/09/xmldsig#sha1": lambda data: hashlib.sha1(data).digest()}
    cert = saml._verify_signature(root, legacy_sig, legacy_digest)
    assert certs.common_name(cert) == "portal.baas.jp.fujitsu.com"
    assert saml.cn_matches_issuer(cert, "https://portal.baas.jp.fujitsu.com/")
    read = saml._read_token(root)
    assert (read.id, read.issuer, read.subject) == (
        "d21a60a0-3912-4de0-802f-77f6fc270f7b",
        "https://portal.baas.jp.fujitsu.com/",
        "personium-demo",
    )
    assert (read.target, read.schema, read.roles, read.scopes) == ("https://demo.personium.io/", "", (), ())
    assert read.issued_at_ms == saml.parse_instant("2016-12-12T16:50:02.424+09:00")
    assert read.lifespan_ms == saml.DEFAULT_LIFESPAN_MS  # no NotOnOrAfter: lib-common's default
    tampered = saml.parse_xml(decode(PERSONIUM_2016_TCAT).replace(b"personium-demo", b"personium-derp"))
    with pytest.raises(saml.TokenSignatureError):
        saml._verify_signature(tampered, legacy_sig, legacy_digest)


def test_pre_1_8_3_sha1_tokens_are_refused() -> None:
    assert reason(PERSONIUM_2016_TCAT, []) == "signature"


def test_an_independent_xmldsig_implementation_verifies_our_tokens(
    signed: str, unit_a: Unit, tmp_path: Path
) -> None:
    (tmp_path / "t.xml").write_bytes(decode(signed))
    (tmp_path / "c.pem").write_bytes(certs.cert_to_pem(unit_a.cert))
    result = subprocess.run(
        ["xmlsec1", "--verify", "--pubkey-cert-pem", str(tmp_path / "c.pem"), str(tmp_path / "t.xml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------ tampering


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"#alice</NameID>", b"#alicf</NameID>"),
        (b"__role/__/reader<", b"__role/__/writer<"),
        (b"<Audience>https://bob.", b"<Audience>https://bov."),
        (b'Recipient="https://bob.', b'Recipient="https://bov.'),
        (b"<Issuer>https://alice.", b"<Issuer>https://alicf."),
        (b'Version="2.0"', b'Version="2.1"'),
        (b"<Audience>", b"<Audience>https://evil.example/</Audience><Audience>"),
    ],
    ids=["subject", "role", "target", "recipient", "issuer", "attribute", "added-audience"],
)
def test_changing_signed_content_breaks_the_signature(
    signed: str, unit_a: Unit, old: bytes, new: bytes
) -> None:
    assert reason(edit(signed, old, new), [unit_a.ca_cert]) == "signature"


def test_changing_the_signature_value_breaks_it(signed: str, unit_a: Unit) -> None:
    xml = decode(signed)
    start = xml.index(b"<SignatureValue>") + len(b"<SignatureValue>") + 10
    flipped = xml[:start] + (b"A" if xml[start : start + 1] != b"A" else b"B") + xml[start + 1 :]
    assert reason(encode(flipped), [unit_a.ca_cert]) == "signature"


def test_swapping_in_a_certificate_from_another_ca_fails(signed: str, unit_a: Unit, unit_b: Unit) -> None:
    root = etree.fromstring(decode(signed))
    element = root.find(f".//{DS}X509Certificate")
    element.text = base64.b64encode(unit_b.cert.public_bytes(Encoding.DER)).decode()
    tampered = encode(etree.tostring(root))
    assert reason(tampered, [unit_a.ca_cert]) == "signature"
    assert reason(tampered, [unit_a.ca_cert, unit_b.ca_cert]) == "signature"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: "A" + t[1:] if t[0] != "A" else "B" + t[1:],
        lambda t: t[:-5],
        lambda t: t[: len(t) // 2] + "!" + t[len(t) // 2 + 1 :],
        lambda t: t[:100],
        lambda t: "",
        lambda t: "   ",
    ],
    ids=["first-char", "truncated-tail", "invalid-char", "prefix-only", "empty", "blank"],
)
def test_mangled_base64_is_a_parse_error(signed: str, unit_a: Unit, mangle) -> None:
    assert reason(mangle(signed), [unit_a.ca_cert]) == "parse"


def test_flipped_bytes_inside_the_signed_text_are_a_signature_error(signed: str, unit_a: Unit) -> None:
    xml = bytearray(decode(signed))
    at = xml.index(b"#alice") + 1
    xml[at] ^= 0x01  # 'a' -> '`': still well-formed, no longer what was signed
    assert reason(encode(bytes(xml)), [unit_a.ca_cert]) == "signature"


# ---------------------------------------------------------------------------------- trust and expiry


def test_untrusted_ca(signed: str, unit_b: Unit) -> None:
    assert reason(signed, [unit_b.ca_cert]) == "untrusted"
    assert reason(signed, []) == "untrusted"


def test_validly_signed_by_another_ca_is_untrusted(
    token: saml.TransCellToken, unit_a: Unit, unit_b: Unit
) -> None:
    rogue_cert = unit_b.cert_for("unit-a.example", unit_b.key)
    text = saml.issue(token, unit_b.key, rogue_cert)
    assert reason(text, [unit_a.ca_cert]) == "untrusted"
    assert saml.parse(text, [unit_a.ca_cert, unit_b.ca_cert], NOW_MS) == token


def test_certificate_outside_its_validity_is_untrusted(signed: str, unit_a: Unit) -> None:
    after = unit_a.cert.not_valid_after_utc + dt.timedelta(days=1)
    assert reason(signed, [unit_a.ca_cert], to_ms(after)) == "untrusted"
    before = unit_a.cert.not_valid_before_utc - dt.timedelta(days=1)
    assert reason(signed, [unit_a.ca_cert], to_ms(before)) == "untrusted"


@pytest.mark.parametrize(
    ("cn", "accepted"),
    [
        ("unit-a.example", True),
        ("alice.unit-a.example", True),
        ("example", True),
        ("UNIT-A.example", True),
        ("other.example", False),
        ("nit-a.example", False),  # a plain string suffix, but not a whole DNS label
        ("bob.unit-a.example", False),
    ],
)
def test_certificate_cn_must_be_a_suffix_of_the_issuer_host(
    token: saml.TransCellToken, unit_a: Unit, cn: str, accepted: bool
) -> None:
    text = saml.issue(token, unit_a.key, unit_a.cert_for(cn, unit_a.key))
    if accepted:
        assert saml.parse(text, [unit_a.ca_cert], NOW_MS) == token
    else:
        assert reason(text, [unit_a.ca_cert]) == "signature"


def test_path_mode_issuer_whose_host_is_the_cn(unit_a: Unit) -> None:
    t = saml.TransCellToken("i", "https://unit-a.example:8443/alice/", "s", TARGET, issued_at_ms=NOW_MS)
    assert saml.parse(saml.issue(t, unit_a.key, unit_a.cert), [unit_a.ca_cert], NOW_MS) == t


def test_expired_token(signed: str, token: saml.TransCellToken, unit_a: Unit) -> None:
    assert saml.parse(signed, [unit_a.ca_cert], token.expires_at_ms).id == token.id
    assert reason(signed, [unit_a.ca_cert], token.expires_at_ms + 1) == "expired"


def test_expiry_is_reported_only_for_a_valid_signature(
    signed: str, token: saml.TransCellToken, unit_a: Unit
) -> None:
    later = token.expires_at_ms + HOUR_MS
    assert reason(edit(signed, b"#alice<", b"#alicf<"), [unit_a.ca_cert], later) == "signature"
    assert reason(signed, [], later) == "untrusted"


def test_error_classes_carry_their_reason() -> None:
    assert [
        c.reason
        for c in (
            saml.TokenParseError,
            saml.TokenSignatureError,
            saml.TokenUntrustedError,
            saml.TokenExpiredError,
        )
    ] == ["parse", "signature", "untrusted", "expired"]
    assert all(issubclass(c, saml.TokenError) for c in (saml.TokenParseError, saml.TokenExpiredError))


# -------------------------------------------------------------------------------- hostile documents


def test_doctype_and_entities_are_refused(unit_a: Unit) -> None:
    entities = "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    laughs = (
        f'<?xml version="1.0"?><!DOCTYPE Assertion [<!ENTITY a0 "lol">{entities}]>'
        '<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion">&a9;</Assertion>'
    ).encode()
    external = (
        b'<!DOCTYPE Assertion [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>&x;</Issuer></Assertion>'
    )
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'.encode("utf-16")
    for xml in (laughs, external, utf16):
        assert reason(encode(xml), [unit_a.ca_cert]) == "parse"


def test_doctype_injected_into_a_signed_token_is_refused(signed: str, unit_a: Unit) -> None:
    xml = b"<!DOCTYPE Assertion>" + decode(signed)
    assert reason(encode(xml), [unit_a.ca_cert]) == "parse"


def test_processing_instructions_are_refused(signed: str, unit_a: Unit) -> None:
    assert reason(encode(b"<?evil x?>" + decode(signed)), [unit_a.ca_cert]) == "parse"
    assert reason(edit(signed, b"<Issuer>", b"<Issuer><?evil x?>"), [unit_a.ca_cert]) == "parse"


def test_oversized_tokens_are_refused_before_parsing(unit_a: Unit) -> None:
    assert reason("A" * (saml._MAX_TEXT_CHARS + 1), [unit_a.ca_cert]) == "parse"
    big = saml.TransCellToken(
        "i", ISSUER, "s", TARGET, scopes=tuple(f"scope{i}" for i in range(5000)), issued_at_ms=NOW_MS
    )
    text = saml.issue(big, unit_a.key, unit_a.cert)
    assert len(decode(text)) > saml.MAX_XML_BYTES
    assert reason(text, [unit_a.ca_cert]) == "parse"


@pytest.mark.parametrize(
    "xml",
    [
        b"not xml at all",
        b"<Assertion xmlns='urn:oasis:names:tc:SAML:2.0:assertion'>",
        b"<Response><Assertion xmlns='urn:oasis:names:tc:SAML:2.0:assertion'/></Response>",
        b"<Assertion/>",
        b"<Assertion xmlns='urn:oasis:names:tc:SAML:2.0:assertion' ID='x'/>",
    ],
    ids=["garbage", "unclosed", "wrong-root", "no-namespace", "unsigned"],
)
def test_malformed_documents_are_parse_errors(unit_a: Unit, xml: bytes) -> None:
    assert reason(encode(xml), [unit_a.ca_cert]) == "parse"


def test_a_signed_document_that_is_not_an_assertion_is_refused(signed: str, unit_a: Unit) -> None:
    wrapped = b"<Response>" + decode(signed) + b"</Response>"
    assert reason(encode(wrapped), [unit_a.ca_cert]) == "parse"


# ------------------------------------------------------------------------------- signature wrapping


def _evil_assertion() -> etree._Element:
    evil = etree.Element(
        SA + "Assertion",
        nsmap={None: saml.SAML_NS},
        ID="evil",
        Version="2.0",
        IssueInstant="2026-01-01T00:00:00.000Z",
    )
    etree.SubElement(evil, SA + "Issuer").text = ISSUER
    subject = etree.SubElement(evil, SA + "Subject")
    etree.SubElement(subject, SA + "NameID").text = ISSUER + "#admin"
    restriction = etree.SubElement(etree.SubElement(evil, SA + "Conditions"), SA + "AudienceRestriction")
    etree.SubElement(restriction, SA + "Audience").text = TARGET
    return evil


def test_wrapping_a_second_unsigned_assertion_inside(signed: str, unit_a: Unit) -> None:
    root = etree.fromstring(decode(signed))
    root.insert(0, _evil_assertion())
    assert reason(encode(etree.tostring(root)), [unit_a.ca_cert]) == "signature"


def test_wrapping_the_signed_assertion_in_an_evil_one_moving_the_signature(signed: str, unit_a: Unit) -> None:
    original = etree.fromstring(decode(signed))
    evil = _evil_assertion()
    signature = original.find(DS + "Signature")
    original.remove(signature)
    evil.append(original)  # the genuine assertion, now without its signature, hidden inside
    evil.append(signature)  # ...whose signature now sits where a verifier looks for it
    assert reason(encode(etree.tostring(evil)), [unit_a.ca_cert]) == "signature"


def test_wrapping_the_signed_assertion_with_its_signature(signed: str, unit_a: Unit) -> None:
    evil = _evil_assertion()
    evil.append(etree.fromstring(decode(signed)))
    assert reason(encode(etree.tostring(evil)), [unit_a.ca_cert]) == "signature"


def test_a_second_signature_is_refused(signed: str, unit_a: Unit) -> None:
    root = etree.fromstring(decode(signed))
    root.append(copy.deepcopy(root.find(DS + "Signature")))
    assert reason(encode(etree.tostring(root)), [unit_a.ca_cert]) == "signature"


def test_comments_cannot_truncate_a_signed_value(signed: str, unit_a: Unit) -> None:
    """XML comments are outside the signature; a comment inside NameID must not shorten the value."""
    text = edit(signed, b"#alice</NameID>", b"#ali<!-- -->ce</NameID>")
    assert saml.parse(text, [unit_a.ca_cert], NOW_MS).subject == ISSUER + "#alice"


def test_duplicated_signed_elements_are_refused(unit_a: Unit, signed: str) -> None:
    root = etree.fromstring(decode(signed))
    root.insert(1, copy.deepcopy(root.find(SA + "Issuer")))
    assert reason(resign(root, unit_a.key), [unit_a.ca_cert]) == "parse"


def test_resigning_helper_is_faithful(signed: str, unit_a: Unit) -> None:
    """Guards the policy tests below: an unmodified tree re-signed by the trusted key still parses."""
    assert saml.parse(resign(etree.fromstring(decode(signed)), unit_a.key), [unit_a.ca_cert], NOW_MS)


@pytest.mark.parametrize(
    ("xpath", "attribute", "value"),
    [
        (f"{DS}SignedInfo/{DS}Reference", "URI", "#other"),
        (
            f"{DS}SignedInfo/{DS}CanonicalizationMethod",
            "Algorithm",
            "http://www.w3.org/2001/10/xml-exc-c14n#",
        ),
        (
            f"{DS}SignedInfo/{DS}Reference/{DS}Transforms/{DS}Transform",
            "Algorithm",
            "http://www.w3.org/TR/1999/REC-xpath-19991116",
        ),
        (
            f"{DS}SignedInfo/{DS}Reference/{DS}DigestMethod",
            "Algorithm",
            "http://www.w3.org/2000/09/xmldsig#sha1",
        ),
        (f"{DS}SignedInfo/{DS}SignatureMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"),
    ],
    ids=["reference-uri", "c14n", "transform", "sha1-digest", "sha1-signature"],
)
def test_signed_info_policy_is_enforced(
    signed: str, unit_a: Unit, xpath: str, attribute: str, value: str
) -> None:
    root = etree.fromstring(decode(signed))
    root.find(f"{DS}Signature/{xpath}").set(attribute, value)
    assert reason(resign(root, unit_a.key, digest=False), [unit_a.ca_cert]) == "signature"


def test_reference_to_the_root_id_is_accepted(signed: str, token: saml.TransCellToken, unit_a: Unit) -> None:
    root = etree.fromstring(decode(signed))
    root.find(f"{DS}Signature/{DS}SignedInfo/{DS}Reference").set("URI", "#" + token.id)
    assert saml.parse(resign(root, unit_a.key, digest=False), [unit_a.ca_cert], NOW_MS) == token
