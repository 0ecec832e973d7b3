"""Merchant applications, client credentials and the short-lived JWTs they buy.

Tokens are HS256 only: the algorithm list is fixed at verification, so ``alg: none`` or an
RS/HS confusion is rejected by construction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from router.db.models import Application
from router.db.store import Store

ISSUER = "payrouter"
AUDIENCE = "payrouter-api"
ALGORITHM = "HS256"
SIGNING_KEY_NAME = "jwt_signing_key"


@dataclass(frozen=True)
class NewApplication:
    """Credentials as shown once at creation; only hashes stay where possible."""

    application_id: str
    client_id: str
    client_secret: str
    webhook_secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_signing_key() -> str:
    return secrets.token_urlsafe(48)


async def create_application(
    store: Store, name: str, webhook_url: str | None, now: datetime
) -> NewApplication:
    """Register an application with fresh credentials."""
    created = NewApplication(
        application_id=str(uuid.uuid4()),
        client_id="pr_client_" + secrets.token_hex(12),
        client_secret="pr_secret_" + secrets.token_urlsafe(32),
        webhook_secret="whsec_" + base64.b64encode(secrets.token_bytes(24)).decode(),
    )
    await store.add_application(
        Application(
            id=created.application_id,
            name=name,
            client_id=created.client_id,
            client_secret_hash=hash_secret(created.client_secret),
            webhook_secret=created.webhook_secret,
            webhook_url=webhook_url,
            created_at=now,
        )
    )
    return created


class TokenService:
    """Issues and verifies access tokens with one signing key."""

    def __init__(self, signing_key: str, ttl_seconds: int) -> None:
        self._key = signing_key
        self.ttl_seconds = ttl_seconds

    async def authenticate_client(
        self, store: Store, client_id: str, client_secret: str
    ) -> Application | None:
        """The application these credentials belong to, or None (constant-time compare)."""
        application = await store.application_by_client_id(client_id)
        expected = application.client_secret_hash if application else hash_secret("")
        matches = hmac.compare_digest(expected, hash_secret(client_secret))
        return application if application is not None and matches else None

    def issue(self, application_id: str, now: datetime) -> str:
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": application_id,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str, now: datetime) -> str | None:
        """The application id a valid token names, or None when it is not valid now."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={
                    "require": ["exp", "iat", "sub", "aud", "iss"],
                    "verify_exp": False,
                    "verify_iat": False,
                },
            )
        except jwt.PyJWTError:
            return None
        # Expiry is checked against the service's clock (injectable), not the wall clock.
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp <= now.timestamp():
            return None
        subject = claims.get("sub")
        return subject if isinstance(subject, str) else None
