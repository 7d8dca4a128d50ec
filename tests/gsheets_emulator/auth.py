"""The OAuth token endpoint: a service-account JWT (RS256) in, a bearer token out."""

from __future__ import annotations

import base64
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import load_pem_public_key

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class TokenIssuer:
    """Knows registered service accounts (email -> public key) and the tokens it issued."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens  # shared with the emulator: token -> account email
        self.accounts: dict[str, bytes] = {}
        self.exchanges: list[dict[str, Any]] = []

    def register(self, email: str, public_pem: bytes) -> None:
        self.accounts[email] = public_pem

    def exchange(self, form: str) -> tuple[int, dict[str, Any]]:
        fields = {k: v[-1] for k, v in parse_qs(form).items()}
        if fields.get("grant_type") != JWT_GRANT or "assertion" not in fields:
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "Invalid grant_type",
            }
        try:
            header_b64, payload_b64, sig_b64 = fields["assertion"].split(".")
            header, claims = json.loads(_b64(header_b64)), json.loads(_b64(payload_b64))
        except ValueError:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT."}
        pem = self.accounts.get(claims.get("iss", ""))
        if header.get("alg") != "RS256" or pem is None:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        key = load_pem_public_key(pem)
        try:
            key.verify(  # type: ignore[union-attr]
                _b64(sig_b64),
                f"{header_b64}.{payload_b64}".encode(),
                padding.PKCS1v15(),  # type: ignore[call-arg]
                hashes.SHA256(),  # type: ignore[call-arg]
            )
        except InvalidSignature:
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        if claims.get("exp", 0) < time.time():
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT: expired."}
        token = "emu-" + secrets.token_urlsafe(16)
        self.tokens[token] = claims["iss"]
        self.exchanges.append(claims)
        return 200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"}
