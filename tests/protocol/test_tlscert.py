"""The in-memory certificate, checked by an independent implementation (``cryptography``)."""

from __future__ import annotations

import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from flowservice_provider.protocol import tlscert


def test_certificate_is_a_valid_self_signed_p256_localhost_cert() -> None:
    cert_bundle = tlscert.generate()
    cert = x509.load_der_x509_certificate(cert_bundle.cert_der)
    assert cert == x509.load_pem_x509_certificate(cert_bundle.cert_pem)
    key = serialization.load_pem_private_key(cert_bundle.key_pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.name == "secp256r1"
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()

    cert.verify_directly_issued_by(cert)  # signature checks out
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


def test_keys_differ_and_points_are_on_the_curve() -> None:
    a, b = tlscert.generate(), tlscert.generate()
    assert a.key_pem != b.key_pem
    numbers = x509.load_der_x509_certificate(a.cert_der).public_key().public_numbers()
    assert tlscert.on_curve(numbers.x, numbers.y)
