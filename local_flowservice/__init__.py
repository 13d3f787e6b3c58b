"""Local emulator of Adobe Experience Platform's Flow Service (base connections) and IMS.

It speaks only HTTP, with Adobe's paths, so clients need nothing but a different host.
"""

__all__ = ["S3_CONNECTION_SPEC_ID"]

S3_CONNECTION_SPEC_ID = "ecadc60c-7455-4d87-84dc-2a0e293d997b"
