"""The in-memory certificate, parsed and verified by ``cryptography``'s x509 layer."""

from __future__ import annotations

import base64
import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from aep_provider.protocol import tlscert


@pytest.mark.parametrize(("algorithm", "key_type"), [
    ("ed25519", ed25519.Ed25519PrivateKey), ("p256", ec.EllipticCurvePrivateKey)])
def test_certificate_is_a_valid_self_signed_localhost_cert(algorithm: tlscert.Algorithm, key_type: type) -> None:
    bundle = tlscert.generate(algorithm=algorithm)
    cert = x509.load_der_x509_certificate(bundle.cert_der)
    assert cert == x509.load_pem_x509_certificate(bundle.cert_pem)
    key = serialization.load_pem_private_key(bundle.key_pem, password=None)
    assert isinstance(key, key_type)
    raw = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*raw) == cert.public_key().public_bytes(*raw)

    cert.verify_directly_issued_by(cert)  # the signature checks out
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "localhost"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_cert_sign
    now = datetime.datetime.now(datetime.UTC)
    assert cert.not_valid_before_utc <= now <= cert.not_valid_after_utc
    assert cert.serial_number > 0


def test_handshake_field_is_unpadded_base64_der() -> None:
    bundle = tlscert.generate()
    field = bundle.handshake_field
    assert "=" not in field and "\n" not in field
    assert base64.b64decode(field + "=" * (-len(field) % 4)) == bundle.cert_der
    assert "PRIVATE" not in repr(bundle)


def test_every_process_gets_a_new_key() -> None:
    assert tlscert.generate().key_pem != tlscert.generate().key_pem
    assert tlscert.generate(algorithm="p256").key_pem != tlscert.generate(algorithm="p256").key_pem
