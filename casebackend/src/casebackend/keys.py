"""`python -m casebackend.keys`: a new Ed25519 pair for the identity assertions.

The private half goes to the action server only (CASEBACKEND_ASSERTION_KEY), the public half to
this service (CASEBACKEND_ASSERTION_PUBLIC_KEY); both as unpadded base64url of the raw 32 bytes.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)


def _text(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def new_pair() -> tuple[str, str]:
    """(private, public) as the two settings expect them."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return _text(private), _text(public)


def main() -> None:
    private, public = new_pair()
    print(f"CASEBACKEND_ASSERTION_KEY={private}  # the action server only")
    print(f"CASEBACKEND_ASSERTION_PUBLIC_KEY={public}  # the case backend")


if __name__ == "__main__":
    main()
