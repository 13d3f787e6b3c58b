"""A throw-away self-signed TLS server certificate for go-plugin's AutoMTLS, made in memory.

Why not ``cryptography``: importing its x509 layer costs 35-50 ms on this class of machine, on
every one of the 3-4 provider launches per Terraform command, against a start-up budget of
100 ms. One ECDSA P-256 key and one signature need only two fixed-base scalar multiplications,
which plain Python integers do in a few milliseconds, plus a little DER.

Scope and limits: the key lives for one provider process, is never written anywhere, and
protects a unix socket that already sits in a private 0700 directory. The arithmetic is not
constant-time; that matters only to an attacker able to time this process's single signature
from the same machine, who could as well read the socket directory's owner's memory.
Tests check the output with ``cryptography``.
"""

from __future__ import annotations

import binascii
import hashlib
import os
import time

# NIST P-256 (secp256r1) domain parameters, a = -3.
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5

_Jacobian = tuple[int, int, int]  # (X, Y, Z) with x = X/Z^2, y = Y/Z^3; Z == 0 is infinity


def _double(pt: _Jacobian) -> _Jacobian:
    x, y, z = pt
    if z == 0 or y == 0:
        return (1, 1, 0)
    delta = z * z % _P
    gamma = y * y % _P
    beta = x * gamma % _P
    alpha = 3 * (x - delta) * (x + delta) % _P
    x3 = (alpha * alpha - 8 * beta) % _P
    z3 = ((y + z) * (y + z) - gamma - delta) % _P
    y3 = (alpha * (4 * beta - x3) - 8 * gamma * gamma) % _P
    return (x3, y3, z3)


def _add(p1: _Jacobian, p2: _Jacobian) -> _Jacobian:
    x1, y1, z1 = p1
    x2, y2, z2 = p2
    if z1 == 0:
        return p2
    if z2 == 0:
        return p1
    z1z1 = z1 * z1 % _P
    z2z2 = z2 * z2 % _P
    u1 = x1 * z2z2 % _P
    u2 = x2 * z1z1 % _P
    s1 = y1 * z2 * z2z2 % _P
    s2 = y2 * z1 * z1z1 % _P
    h = (u2 - u1) % _P
    r = (s2 - s1) % _P
    if h == 0:
        return _double(p1) if r == 0 else (1, 1, 0)
    hh = h * h % _P
    hhh = h * hh % _P
    v = u1 * hh % _P
    x3 = (r * r - hhh - 2 * v) % _P
    y3 = (r * (v - x3) - s1 * hhh) % _P
    z3 = z1 * z2 * h % _P
    return (x3, y3, z3)


def _base_mult(k: int) -> tuple[int, int]:
    """k*G in affine coordinates, with a 4-bit fixed window."""
    table: list[_Jacobian] = [(1, 1, 0), (_GX, _GY, 1)]
    for _ in range(14):
        table.append(_add(table[-1], table[1]))
    acc: _Jacobian = (1, 1, 0)
    for shift in range(252, -1, -4):
        acc = _double(_double(_double(_double(acc))))
        acc = _add(acc, table[(k >> shift) & 0xF])
    x, y, z = acc
    zinv = pow(z, -1, _P)
    zinv2 = zinv * zinv % _P
    return (x * zinv2 % _P, y * zinv2 * zinv % _P)


def on_curve(x: int, y: int) -> bool:
    """Whether (x, y) satisfies y^2 = x^3 - 3x + b (a self-check used by tests)."""
    return (y * y - (x * x * x - 3 * x + _B)) % _P == 0


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
        rest = part
        chunk = [rest & 0x7F]
        rest >>= 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return _tlv(0x06, bytes(body))


def _bits(data: bytes, unused: int = 0) -> bytes:
    return _tlv(0x03, bytes([unused]) + data)


def _utctime(epoch: float) -> bytes:
    return _tlv(0x17, time.strftime("%y%m%d%H%M%SZ", time.gmtime(epoch)).encode())


_TRUE = b"\x01\x01\xff"
_EC_PUBLIC_KEY = _oid("1.2.840.10045.2.1")
_PRIME256V1 = _oid("1.2.840.10045.3.1.7")
_ECDSA_SHA256 = _seq(_oid("1.2.840.10045.4.3.2"))


def _extension(oid: str, value: bytes, *, critical: bool = False) -> bytes:
    return _seq(_oid(oid), *([_TRUE] if critical else []), _tlv(0x04, value))


def _b64(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode()


def _random_scalar() -> int:
    """Uniform enough in [1, n-1]: 384 random bits reduced mod n-1 (bias below 2**-128)."""
    return int.from_bytes(os.urandom(48), "big") % (_N - 1) + 1


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


def _pem(label: str, der: bytes) -> bytes:
    body = _b64(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


def generate(host: str = "localhost", days: int = 30) -> ServerCert:
    """A P-256 key and a self-signed certificate for ``host`` (SAN dNSName, serverAuth)."""
    d = _random_scalar()
    qx, qy = _base_mult(d)
    point = b"\x04" + qx.to_bytes(32, "big") + qy.to_bytes(32, "big")

    name = _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), _tlv(0x0C, host.encode()))))
    now = time.time()
    serial = int.from_bytes(os.urandom(8), "big") >> 1 | 1
    extensions = _seq(
        _extension("2.5.29.19", _seq(_TRUE), critical=True),  # basicConstraints CA (self-signed root)
        _extension("2.5.29.15", _bits(b"\x84", unused=2), critical=True),  # digitalSignature, keyCertSign
        _extension("2.5.29.37", _seq(_oid("1.3.6.1.5.5.7.3.1"))),  # extKeyUsage serverAuth
        _extension("2.5.29.17", _seq(_tlv(0x82, host.encode()))),  # subjectAltName dNSName
    )
    tbs = _seq(
        _tlv(0xA0, _int(2)),  # v3
        _int(serial),
        _ECDSA_SHA256,
        name,
        _seq(_utctime(now - 60), _utctime(now + days * 86400)),
        name,
        _seq(_seq(_EC_PUBLIC_KEY, _PRIME256V1), _bits(point)),
        _tlv(0xA3, extensions),
    )
    cert_der = _seq(tbs, _ECDSA_SHA256, _bits(_sign(d, tbs)))
    key_der = _seq(
        _int(1),
        _tlv(0x04, d.to_bytes(32, "big")),
        _tlv(0xA0, _PRIME256V1),
        _tlv(0xA1, _bits(point)),
    )
    return ServerCert(
        key_pem=_pem("EC PRIVATE KEY", key_der).encode(),
        cert_pem=_pem("CERTIFICATE", cert_der).encode(),
        cert_der=cert_der,
    )


def _sign(d: int, message: bytes) -> bytes:
    """ECDSA-SHA256 signature (DER ``Ecdsa-Sig-Value``) with a fresh random nonce."""
    e = int.from_bytes(hashlib.sha256(message).digest(), "big")
    while True:
        k = _random_scalar()
        r = _base_mult(k)[0] % _N
        if r == 0:
            continue
        s = pow(k, -1, _N) * (e + r * d) % _N
        if s != 0:
            return _seq(_int(r), _int(s))
