"""A throw-away self-signed TLS server certificate for go-plugin's AutoMTLS, made in memory.

Key generation and signing are OpenSSL's, through ``cryptography``'s asymmetric primitives
(constant-time, maintained). Only the small certificate structure is assembled here, in DER,
because ``cryptography.x509`` costs 40-50 ms to import on every one of the 3-4 provider launches
per Terraform command; the primitives cost about 10 ms.

The key is Ed25519 (Terraform's Go TLS stack and grpcio's BoringSSL both speak it; signing takes
well under a millisecond) or, with ``algorithm="p256"``, ECDSA P-256. It lives for one provider
process, is never written anywhere, and protects a unix socket in a private 0700 directory.
"""

from __future__ import annotations

import binascii
import os
import time
from typing import Literal

from cryptography.hazmat.primitives.asymmetric import ed25519

Algorithm = Literal["ed25519", "p256"]

# ------------------------------------------------------------------------------------- DER


def _tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _int(value: int) -> bytes:
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")  # leading 0 keeps it positive
    while len(raw) > 1 and raw[0] == 0 and raw[1] < 0x80:
        raw = raw[1:]
    return _tlv(0x02, raw)


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _bits(data: bytes, unused: int = 0) -> bytes:
    return _tlv(0x03, bytes([unused]) + data)


def _octets(data: bytes) -> bytes:
    return _tlv(0x04, data)


def _utctime(epoch: float) -> bytes:
    return _tlv(0x17, time.strftime("%y%m%d%H%M%SZ", time.gmtime(epoch)).encode())


_TRUE = b"\x01\x01\xff"
_ED25519 = _seq(_oid("1.3.101.112"))  # the algorithm identifier has no parameters (RFC 8410)
_EC_PUBLIC_KEY = _oid("1.2.840.10045.2.1")
_PRIME256V1 = _oid("1.2.840.10045.3.1.7")
_ECDSA_SHA256 = _seq(_oid("1.2.840.10045.4.3.2"))


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    return _seq(_oid(oid), *([_TRUE] if critical else []), _octets(value))


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode()


def _pem(label: str, der: bytes) -> bytes:
    body = _b64(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


# ----------------------------------------------------------------------------- certificates


class ServerCert:
    """PEM key and certificate for grpc, and the DER certificate for the handshake line."""

    __slots__ = ("cert_der", "cert_pem", "key_pem")

    def __init__(self, key_pem: bytes, cert_pem: bytes, cert_der: bytes) -> None:
        self.key_pem = key_pem
        self.cert_pem = cert_pem
        self.cert_der = cert_der

    def __repr__(self) -> str:  # never show the key
        return f"ServerCert(cert_der=<{len(self.cert_der)} bytes>)"

    @property
    def handshake_field(self) -> str:
        """go-plugin wants standard base64 without padding."""
        return _b64(self.cert_der).rstrip("=")


def _tbs(host: str, days: int, signature_algorithm: bytes, public_key_info: bytes) -> bytes:
    """TBSCertificate: v3, self-issued ``CN=host``, SAN dNSName host, serverAuth, a CA of itself."""
    name = _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), _tlv(0x0C, host.encode()))))
    now = time.time()
    serial = int.from_bytes(os.urandom(8), "big") >> 1 | 1
    extensions = _seq(
        _extension("2.5.29.19", _seq(_TRUE), critical=True),  # basicConstraints CA (self-signed root)
        _extension("2.5.29.15", _bits(b"\x84", unused=2), critical=True),  # digitalSignature, keyCertSign
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"))),  # extKeyUsage serverAuth
        _extension("2.5.29.17", _seq(_tlv(0x82, host.encode()))),  # subjectAltName dNSName
    )
    return _seq(
        _tlv(0xA0, _int(2)),
        _int(serial),
        signature_algorithm,
        name,
        _seq(_utctime(now - 60), _utctime(now + days * 86400)),
        name,
        public_key_info,
        _tlv(0xA3, extensions),
    )


def _ed25519(host: str, days: int) -> ServerCert:
    key = ed25519.Ed25519PrivateKey.generate()
    tbs = _tbs(host, days, _ED25519, _seq(_ED25519, _bits(key.public_key().public_bytes_raw())))
    cert_der = _seq(tbs, _ED25519, _bits(key.sign(tbs)))
    # PKCS #8 OneAsymmetricKey v1 wrapping the 32-byte seed (RFC 8410, section 7).
    key_der = _seq(_int(0), _ED25519, _octets(_octets(key.private_bytes_raw())))
    return ServerCert(_pem("PRIVATE KEY", key_der), _pem("CERTIFICATE", cert_der), cert_der)


def _p256(host: str, days: int) -> ServerCert:
    from cryptography.hazmat.primitives import hashes  # only here: Ed25519 is the default
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.private_numbers()
    public = numbers.public_numbers
    point = b"\x04" + public.x.to_bytes(32, "big") + public.y.to_bytes(32, "big")
    tbs = _tbs(host, days, _ECDSA_SHA256, _seq(_seq(_EC_PUBLIC_KEY, _PRIME256V1), _bits(point)))
    cert_der = _seq(tbs, _ECDSA_SHA256, _bits(key.sign(tbs, ec.ECDSA(hashes.SHA256()))))
    # SEC 1 ECPrivateKey (RFC 5915).
    key_der = _seq(_int(1), _octets(numbers.private_value.to_bytes(32, "big")),
                   _tlv(0xA0, _PRIME256V1), _tlv(0xA1, _bits(point)))
    return ServerCert(_pem("EC PRIVATE KEY", key_der), _pem("CERTIFICATE", cert_der), cert_der)


def generate(host: str = "localhost", days: int = 30, algorithm: Algorithm = "ed25519") -> ServerCert:
    """A fresh key and a self-signed certificate for ``host``."""
    return _ed25519(host, days) if algorithm == "ed25519" else _p256(host, days)
