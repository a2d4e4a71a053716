"""Trans-Cell Access Tokens (TCAT): SAML 2.0 assertions with an enveloped XML signature, byte-for-byte in
the shape personium-lib-common (``TransCellAccessToken``, 1.8.3+) makes them, so that a Personium unit
and Cellar accept each other's tokens when each trusts the other's CA.

The shape, as lib-common builds it: the ``Assertion`` carries the SAML namespace as the *default*
namespace and every child is unprefixed (Java's parser finds ``AttributeValue`` by its plain tag name,
so a ``saml:`` prefix would break it). The ``Signature`` declares the XML-DSig namespace as its own
default. The signature references ``URI=""`` (the whole document) with the enveloped-signature transform
only, inclusive C14N 1.0, RSA-SHA256 and SHA-256; KeyInfo holds ``X509SubjectName`` and
``X509Certificate``. The token is the UTF-8 XML without declaration, base64url without padding.

Verification reads values only from the document whose every byte the reference covered: the reference
must be the whole document, whose root must be the Assertion, so wrapping an unsigned Assertion around
or beside a signed one breaks the digest instead of fooling the reader.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from cellar import xml
from cellar.auth.authn.certs import common_name, verify_chain

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
C14N_INCLUSIVE = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
PASSWORD_PROTECTED = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"

#: lib-common ``ACCESS_TOKEN_EXPIRES_MILLISECS``; also the lifespan of a token without NotOnOrAfter.
DEFAULT_LIFESPAN_MS = 3_600_000
#: A TCAT is ~3 KiB; anything this large is an attack or an accident.
MAX_XML_BYTES = 64 * 1024
_MAX_TEXT_CHARS = (MAX_XML_BYTES + 2) // 3 * 4 + 4
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MS = dt.timedelta(milliseconds=1)
_B64_LINE = 76  # Java's XML-DSig wraps base64 at 76 characters

SignatureMethods = Mapping[str, Callable[[], hashes.HashAlgorithm]]
DigestMethods = Mapping[str, Callable[[bytes], bytes]]
#: Only what 1.8.3+ emits; SHA-1 tokens of older units are refused as Personium itself does.
_SIGNATURE_METHODS: SignatureMethods = {RSA_SHA256: hashes.SHA256}
_DIGEST_METHODS: DigestMethods = {SHA256: lambda data: hashlib.sha256(data).digest()}
_TRANSFORM_CHAINS = ((ENVELOPED,), (ENVELOPED, C14N_INCLUSIVE))


class TokenError(Exception):
    """A TCAT was refused; ``reason`` tells the caller which Personium error to answer with."""

    reason = "parse"


class TokenParseError(TokenError):
    reason = "parse"


class TokenSignatureError(TokenError):
    reason = "signature"


class TokenUntrustedError(TokenError):
    reason = "untrusted"


class TokenExpiredError(TokenError):
    reason = "expired"


@dataclass(frozen=True)
class TransCellToken:
    """What a TCAT says. ``roles`` are role class URLs; ``schema`` is "" for no client."""

    id: str
    issuer: str
    subject: str
    target: str
    schema: str = ""
    roles: tuple[str, ...] = field(default=())
    scopes: tuple[str, ...] = field(default=())
    issued_at_ms: int = 0
    lifespan_ms: int = DEFAULT_LIFESPAN_MS

    def __post_init__(self) -> None:
        # Accept lists and None from callers but keep the value immutable and hashable.
        object.__setattr__(self, "schema", self.schema or "")
        object.__setattr__(self, "roles", tuple(self.roles))
        object.__setattr__(self, "scopes", tuple(self.scopes))

    @classmethod
    def new(
        cls,
        issuer: str,
        subject: str,
        target: str,
        *,
        now_ms: int,
        schema: str = "",
        roles: Iterable[str] = (),
        scopes: Iterable[str] = (),
        lifespan_ms: int = DEFAULT_LIFESPAN_MS,
    ) -> TransCellToken:
        """A fresh token with a random UUID as its ID, as lib-common assigns."""
        return cls(
            str(uuid.uuid4()),
            issuer,
            subject,
            target,
            schema,
            tuple(roles),
            tuple(scopes),
            now_ms,
            lifespan_ms,
        )

    @property
    def expires_at_ms(self) -> int:
        return self.issued_at_ms + self.lifespan_ms

    def expired(self, now_ms: int) -> bool:
        """Personium's rule: expired only once ``now`` is strictly after issue + lifespan."""
        return now_ms > self.expires_at_ms


# ------------------------------------------------------------------------------------------- issuing


def issue(token: TransCellToken, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> str:
    """The signed assertion as lib-common's ``toTokenString``: base64url, no padding, of UTF-8 XML."""
    root = _build_assertion(token)
    _sign(root, key, cert)
    xml = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    return base64.urlsafe_b64encode(xml).rstrip(b"=").decode("ascii")


def _build_assertion(token: TransCellToken) -> etree._Element:
    issued = format_instant(token.issued_at_ms)
    root = etree.Element(_saml("Assertion"), nsmap={None: SAML_NS})
    for name, value in (("ID", token.id), ("IssueInstant", issued), ("Version", "2.0")):
        root.set(name, value)
    _sub(root, "Issuer", token.issuer)
    subject = _sub(root, "Subject")
    _sub(subject, "NameID", token.subject)
    confirmation = _sub(subject, "SubjectConfirmation", Method=BEARER)
    _sub(
        confirmation,
        "SubjectConfirmationData",
        NotOnOrAfter=format_instant(token.expires_at_ms),
        Recipient=token.target + "__token",
    )
    restriction = _sub(_sub(root, "Conditions"), "AudienceRestriction")
    _sub(restriction, "Audience", token.target)
    _sub(restriction, "Audience", token.schema)
    authn = _sub(root, "AuthnStatement", AuthnInstant=issued)
    _sub(_sub(authn, "AuthnContext"), "AuthnContextClassRef", PASSWORD_PROTECTED)
    statement = _sub(root, "AttributeStatement")
    # lib-common sets NameFormat twice on "Roles" and never on "Scopes"; we mirror its output.
    _attribute(statement, token.roles, Name="Roles", NameFormat=xml.PERSONIUM)
    _attribute(statement, token.scopes, Name="Scopes")
    return root


def _attribute(parent: etree._Element, values: Iterable[str], **attrs: str) -> None:
    attribute = _sub(parent, "Attribute", **attrs)
    for value in values:
        _sub(attribute, "AttributeValue", value)


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    child = etree.SubElement(parent, _saml(name), attrs)
    if text:
        child.text = text
    return child


def _sign(root: etree._Element, key: rsa.RSAPrivateKey, cert: x509.Certificate) -> None:
    """Appends the enveloped signature; the digest is over the Assertion before the Signature exists,
    which is exactly what the enveloped-signature transform gives back to a verifier."""
    digest = base64.b64encode(hashlib.sha256(_c14n_document(root)).digest()).decode("ascii")
    signature = etree.SubElement(root, _ds("Signature"), nsmap={None: DSIG_NS})
    signed_info = etree.SubElement(signature, _ds("SignedInfo"))
    etree.SubElement(signed_info, _ds("CanonicalizationMethod"), Algorithm=C14N_INCLUSIVE)
    etree.SubElement(signed_info, _ds("SignatureMethod"), Algorithm=RSA_SHA256)
    reference = etree.SubElement(signed_info, _ds("Reference"), URI="")
    transforms = etree.SubElement(reference, _ds("Transforms"))
    etree.SubElement(transforms, _ds("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(reference, _ds("DigestMethod"), Algorithm=SHA256)
    etree.SubElement(reference, _ds("DigestValue")).text = digest
    value = key.sign(_c14n_subtree(signed_info), padding.PKCS1v15(), hashes.SHA256())
    etree.SubElement(signature, _ds("SignatureValue")).text = _b64_wrapped(value)
    x509_data = etree.SubElement(etree.SubElement(signature, _ds("KeyInfo")), _ds("X509Data"))
    etree.SubElement(x509_data, _ds("X509SubjectName")).text = cert.subject.rfc4514_string()
    etree.SubElement(x509_data, _ds("X509Certificate")).text = _b64_wrapped(cert.public_bytes(Encoding.DER))


# ------------------------------------------------------------------------------------------- parsing


def parse(text: str, roots: Iterable[x509.Certificate], now_ms: int) -> TransCellToken:
    """Decodes and verifies a TCAT. Raises a ``TokenError`` whose ``reason`` is, in order of checking:
    "parse" (not a well-formed, DTD-free, signed Assertion of sane size), "signature" (digest, signature
    or signature policy wrong), "untrusted" (the certificate does not chain to ``roots`` or is outside
    its validity), "signature" again when the certificate CN is not a suffix of the issuer host, and
    "expired" only for a token that passed everything else. Java reports the middle three alike as a
    dsig error; they stay distinct here so that logs can tell a forgery from a missing CA."""
    root = parse_xml(decode_token(text))
    cert = _verify_signature(root)
    if not verify_chain(cert, roots, now=ms_to_datetime(now_ms)):
        raise TokenUntrustedError("the signing certificate is not issued by a trusted root CA")
    token = _read_token(root)
    if not cn_matches_issuer(cert, token.issuer):
        raise TokenSignatureError("the certificate CN does not match the issuer host")
    if token.expired(now_ms):
        raise TokenExpiredError("the token has expired")
    return token


def decode_token(text: str) -> bytes:
    """base64url as Java's commons-codec reads it: padding and the standard alphabet are tolerated."""
    compact = "".join(text.split())
    if not compact or len(compact) > _MAX_TEXT_CHARS:
        raise TokenParseError("token empty or too large")
    compact = compact.rstrip("=").replace("+", "-").replace("/", "_")
    if len(compact) % 4 == 1:
        raise TokenParseError("truncated base64")
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenParseError("invalid base64") from exc
    if len(raw) > MAX_XML_BYTES:
        raise TokenParseError("token too large")
    return raw


def parse_xml(raw: bytes) -> etree._Element:
    """Parses without DTDs, entities, network or comments; a DOCTYPE or PI is refused outright."""
    try:
        root = xml.parse(raw, keep_pis=True)
    except xml.XMLError as exc:
        raise TokenParseError(str(exc)) from exc
    if _has_processing_instructions(root):
        raise TokenParseError("processing instructions are not allowed")
    if root.tag != _saml("Assertion"):
        raise TokenParseError("the document is not a SAML 2.0 Assertion")
    return root


def _has_processing_instructions(root: etree._Element) -> bool:
    """PIs are signed content we never read; refusing them keeps verifier and reader in agreement."""
    outside = root.getprevious() is not None or root.getnext() is not None
    return outside or next(root.iter(etree.PI), None) is not None


def _verify_signature(
    root: etree._Element,
    signature_methods: SignatureMethods = _SIGNATURE_METHODS,
    digest_methods: DigestMethods = _DIGEST_METHODS,
) -> x509.Certificate:
    """Checks the enveloped signature over the whole document; returns the KeyInfo certificate."""
    signature = _the_signature(root)
    signed_info = _child(signature, _ds("SignedInfo"), TokenSignatureError)
    hash_factory = _signed_info_algorithm(signed_info, signature_methods)
    reference = _child(signed_info, _ds("Reference"), TokenSignatureError)
    _check_reference(root, signature, reference, digest_methods)
    cert = _keyinfo_certificate(signature)
    try:
        public_key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise TokenSignatureError("unusable key in the certificate") from exc
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise TokenSignatureError("the certificate key is not RSA")
    value = _b64_value(_child(signature, _ds("SignatureValue"), TokenSignatureError))
    try:
        public_key.verify(value, _c14n_subtree(signed_info), padding.PKCS1v15(), hash_factory())
    except InvalidSignature as exc:
        raise TokenSignatureError("signature value does not verify") from exc
    return cert


def _the_signature(root: etree._Element) -> etree._Element:
    """Exactly one Signature, a child of the root: any other placement is a wrapping attempt."""
    signatures = list(root.iter(_ds("Signature")))
    if not signatures:
        raise TokenParseError("the assertion is not signed")
    if len(signatures) != 1 or signatures[0].getparent() is not root:
        raise TokenSignatureError("unexpected Signature placement")
    return signatures[0]


def _signed_info_algorithm(
    signed_info: etree._Element, signature_methods: SignatureMethods
) -> Callable[[], hashes.HashAlgorithm]:
    c14n = _child(signed_info, _ds("CanonicalizationMethod"), TokenSignatureError).get("Algorithm")
    if c14n != C14N_INCLUSIVE:
        raise TokenSignatureError(f"unsupported canonicalization {c14n!r}")
    method = _child(signed_info, _ds("SignatureMethod"), TokenSignatureError).get("Algorithm")
    if method not in signature_methods:
        raise TokenSignatureError(f"unsupported signature method {method!r}")
    return signature_methods[method]


def _check_reference(
    root: etree._Element, signature: etree._Element, reference: etree._Element, digest_methods: DigestMethods
) -> None:
    whole = {"", f"#{root.get('ID')}"} if root.get("ID") else {""}
    if reference.get("URI") not in whole:
        raise TokenSignatureError("the reference does not cover the whole assertion")
    chain = reference.iterfind(f"{_ds('Transforms')}/{_ds('Transform')}")
    transforms = tuple(transform.get("Algorithm") for transform in chain)
    if transforms not in _TRANSFORM_CHAINS:
        raise TokenSignatureError(f"unsupported transforms {transforms!r}")
    method = _child(reference, _ds("DigestMethod"), TokenSignatureError).get("Algorithm")
    if method not in digest_methods:
        raise TokenSignatureError(f"unsupported digest method {method!r}")
    expected = _b64_value(_child(reference, _ds("DigestValue"), TokenSignatureError))
    actual = digest_methods[method](_c14n_without(root, signature))
    if not hmac.compare_digest(expected, actual):
        raise TokenSignatureError("digest mismatch: the signed content was altered")


def _keyinfo_certificate(signature: etree._Element) -> x509.Certificate:
    """The first X509Certificate, as lib-common's ``X509KeySelector`` picks it."""
    element = signature.find(f"{_ds('KeyInfo')}/{_ds('X509Data')}/{_ds('X509Certificate')}")
    if element is None:
        raise TokenSignatureError("no X509Certificate in KeyInfo")
    try:
        return x509.load_der_x509_certificate(_b64_value(element))
    except ValueError as exc:
        raise TokenSignatureError("unreadable certificate in KeyInfo") from exc


def _read_token(root: etree._Element) -> TransCellToken:
    """The token fields, from the verified root only, by exact paths (duplicates are refused)."""
    issued_at = parse_instant(root.get("IssueInstant"))
    subject = _child(root, _saml("Subject"), TokenParseError)
    data = subject.find(f"{_saml('SubjectConfirmation')}/{_saml('SubjectConfirmationData')}")
    not_on_or_after = data.get("NotOnOrAfter") if data is not None else None
    lifespan = parse_instant(not_on_or_after) - issued_at if not_on_or_after else DEFAULT_LIFESPAN_MS
    audiences = [_text(a) for a in root.iterfind(_path("Conditions", "AudienceRestriction", "Audience"))]
    if not audiences or not root.get("ID"):
        raise TokenParseError("missing ID or Audience")
    attributes = _attributes(root)
    return TransCellToken(
        id=root.get("ID", ""),
        issuer=_text(_child(root, _saml("Issuer"), TokenParseError)),
        subject=_text(_child(subject, _saml("NameID"), TokenParseError)),
        target=audiences[0],
        schema=audiences[1] if len(audiences) > 1 else "",
        roles=tuple(attributes.get("Roles", ())),
        scopes=tuple(attributes.get("Scopes", ())),
        issued_at_ms=issued_at,
        lifespan_ms=lifespan,
    )


def _attributes(root: etree._Element) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for attribute in root.iterfind(_path("AttributeStatement", "Attribute")):
        values = [_text(v) for v in attribute.iterfind(_saml("AttributeValue"))]
        found.setdefault(attribute.get("Name", ""), []).extend(values)
    return found


def cn_matches_issuer(cert: x509.Certificate, issuer: str) -> bool:
    """Personium: the certificate CN must be a suffix of the issuer cell's host. We require a whole-label
    suffix, so CN ``unit.example`` covers ``cell.unit.example`` but not ``evilunit.example``."""
    try:
        host = (urlsplit(issuer).hostname or "").rstrip(".")
    except ValueError:
        return False
    cn = common_name(cert).lower().rstrip(".")
    return bool(cn and host) and (host == cn or host.endswith("." + cn))


# ------------------------------------------------------------------------------------------- helpers


def format_instant(ms: int) -> str:
    """Joda ``DateTime.toString()`` in UTC: ``2016-12-12T07:50:02.424Z``."""
    moment = ms_to_datetime(ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{ms % 1000:03d}Z"


def parse_instant(value: str | None) -> int:
    """ISO 8601 with any offset (Java writes the unit's local one); without an offset, UTC."""
    if not value:
        raise TokenParseError("missing timestamp")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise TokenParseError(f"bad timestamp {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return (moment - _EPOCH) // _MS


def ms_to_datetime(ms: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(milliseconds=ms)


def _c14n_document(root: etree._Element) -> bytes:
    return etree.tostring(root, method="c14n", exclusive=False, with_comments=False)


def _c14n_without(root: etree._Element, signature: etree._Element) -> bytes:
    """The enveloped-signature transform: the document minus the Signature element (not its tail)."""
    clone = copy.deepcopy(root)
    clone_signature = clone[root.index(signature)]
    _remove_keeping_tail(clone_signature)
    return _c14n_document(clone)


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    tail, previous = element.tail or "", element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def _c14n_subtree(element: etree._Element) -> bytes:
    """Inclusive C14N of a non-root element, carrying every in-scope namespace onto the apex.

    libxml2's subtree C14N wrongly emits ``xmlns=""`` on descendants when the apex inherits its default
    namespace, so the subtree is first rebuilt as a document of its own with the same namespace context.
    """
    apex = etree.Element(element.tag, nsmap=element.nsmap)
    for name, value in element.attrib.items():
        apex.set(name, value)
    apex.text = element.text
    for child in element:
        apex.append(copy.deepcopy(child))
    return _c14n_document(apex)


def _child(parent: etree._Element, tag: str, error: type[TokenError]) -> etree._Element:
    children = parent.findall(tag)
    if len(children) != 1:
        raise error(f"expected exactly one {tag} in {parent.tag}")
    return children[0]


def _text(element: etree._Element) -> str:
    """Text of a leaf; child nodes inside a value are refused, not skipped (comment-truncation attacks)."""
    if len(element):
        raise TokenParseError(f"unexpected markup inside {element.tag}")
    return element.text or ""


def _b64_value(element: etree._Element) -> bytes:
    try:
        return base64.b64decode("".join((element.text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TokenSignatureError(f"invalid base64 in {element.tag}") from exc


def _b64_wrapped(data: bytes) -> str:
    text = base64.b64encode(data).decode("ascii")
    return "\n".join(text[i : i + _B64_LINE] for i in range(0, len(text), _B64_LINE))


def _path(*names: str) -> str:
    return "/".join(_saml(name) for name in names)


def _saml(name: str) -> str:
    return f"{{{SAML_NS}}}{name}"


def _ds(name: str) -> str:
    return f"{{{DSIG_NS}}}{name}"
