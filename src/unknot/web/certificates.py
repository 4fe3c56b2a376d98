"""HTTPS on the local network (`unknot serve --lan --https`): a certificate authority of this
machine's own, which a phone is told to trust once, and a server certificate it signs for the
address served, both kept in the data folder and reused across restarts.

Why an authority, and not one self-signed certificate: a browser lets a person click past a
certificate it does not trust, but the page is then not a "secure context" (no service worker,
no wake lock, no install). Trusting an authority installed on the phone makes it one. The
server's certificate is made again, signed by the same authority, when its address changes or
it nears its end, so the phone trusts it with nothing to do."""

from __future__ import annotations

import ipaddress
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import unknot

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
    from cryptography.x509 import Certificate

AUTHORITY_YEARS = 10
SERVER_DAYS = 397  # what browsers accept of a certificate; made again before its end
RENEW_DAYS = 30


class Tls(NamedTuple):
    authority: Path  # the certificate a phone installs (PEM; served as /unknot-ca.crt)
    certificate: Path  # the server's, signed by it, for the address served
    key: Path  # the server's private key


def folder() -> Path:
    return unknot.data_dir() / "tls"


def tls_for(host: str, where: Path | None = None) -> Tls:
    """The authority (made once) and a server certificate for `host` (an IP address or a
    name), made when missing, for another address, or near its end."""
    place = where or folder()
    files = Tls(place / "unknot-ca.pem", place / "server.pem", place / "server-key.pem")
    try:
        place.mkdir(parents=True, exist_ok=True)
        authority_key_file = place / "unknot-ca-key.pem"
        if not (files.authority.exists() and authority_key_file.exists()):
            key = _new_key()
            _write(authority_key_file, _key_pem(key))
            _write(files.authority, _authority(key))
        if _needs_new(files.certificate, host):
            authority_key = _read_key(authority_key_file)
            authority = _read_certificate(files.authority)
            key = _new_key()
            _write(files.key, _key_pem(key))
            _write(files.certificate, _server(host, key, authority, authority_key))
    except OSError as err:
        raise unknot.UnknotError(
            f"cannot keep the certificates ({err.strerror})", where=str(place), field="https",
            expected="a data folder unknot may write to, with room on the disk",
        ) from None  # fmt: skip
    except ValueError as err:  # a file there that is not what unknot wrote
        raise unknot.UnknotError(
            f"holds a certificate that cannot be read ({err})", where=str(place), field="https",
            expected="the files unknot made; delete the folder to make new ones (and trust "
            "the new authority on each phone again)",
        ) from None  # fmt: skip
    return files


def authority_der(files: Tls) -> bytes:
    """The authority's certificate as phones install it (DER, `.crt`)."""
    from cryptography.hazmat.primitives.serialization import Encoding

    return _read_certificate(files.authority).public_bytes(Encoding.DER)


def _needs_new(path: Path, host: str) -> bool:
    from cryptography import x509

    if not path.exists():
        return True
    certificate = _read_certificate(path)
    if certificate.not_valid_after_utc - datetime.now(UTC) < timedelta(days=RENEW_DAYS):
        return True
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return _name(host) not in list(names)


def _name(host: str) -> object:
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _new_key() -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: EllipticCurvePrivateKey) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip


def _read_key(path: Path) -> EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path.name} is not an elliptic-curve key")
    return key


def _read_certificate(path: Path) -> Certificate:
    from cryptography import x509

    return x509.load_pem_x509_certificate(path.read_bytes())


def _subject(common_name: str) -> object:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "unknot"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _authority(key: EllipticCurvePrivateKey) -> bytes:
    import socket

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    now = datetime.now(UTC)
    name = _subject(f"unknot on {socket.gethostname()}"[:64])
    public = key.public_key()
    usage = x509.KeyUsage(
        digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
        key_encipherment=False, data_encipherment=False, key_agreement=False,
        encipher_only=False, decipher_only=False,
    )  # fmt: skip
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)  # type: ignore[arg-type]
        .issuer_name(name)  # type: ignore[arg-type]
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * AUTHORITY_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM)


def _server(
    host: str, key: EllipticCurvePrivateKey, authority: Certificate,
    authority_key: EllipticCurvePrivateKey,
) -> bytes:  # fmt: skip
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import ExtendedKeyUsageOID

    now = datetime.now(UTC)
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    names = [_name(host), loopback, x509.DNSName("localhost")]
    unique = list(dict.fromkeys(names))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_subject(host))  # type: ignore[arg-type]
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(unique), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(authority_key.public_key()),
            critical=False,
        )
        .sign(authority_key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.PEM)


def _write(path: Path, data: bytes) -> None:
    """Written whole beside it, then moved over it; readable by the user alone."""
    partial = path.with_name(f".{path.name}.part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
    partial.replace(path)
