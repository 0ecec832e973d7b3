"""/api/v1/sessions: create (idempotent), read, list, expire."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from router.api.common import authenticate, read_json, services_of
from router.checkout import create_session, request_fingerprint
from router.db.store import is_session_id
from router.errors import ApiError, not_found, validation_error
from router.schemas import SessionList
from router.status import expire_session
from router.validation import validate_session_request
from router.views import session_out

MAX_IDEMPOTENCY_KEY = 255


def _idempotency_key(request: Request) -> str:
    key = request.headers.get("idempotency-key")
    if key is None:
        raise ApiError(400, "idempotency_key_missing", "The Idempotency-Key header is required.")
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not key.isprintable():
        raise ApiError(
            400,
            "idempotency_key_invalid",
            f"The Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable characters.",
        )
    return key


def _json(body: str, status: int = 200, replayed: bool = False) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status_code=status, media_type="application/json", headers=headers)


async def create(request: Request) -> Response:
    application_id = authenticate(request)
    key = _idempotency_key(request)
    payload = await read_json(request)
    checkout = validate_session_request(payload)
    services = services_of(request)
    result = await create_session(
        services, application_id, key, checkout, request_fingerprint(payload)
    )
    return _json(result.body, result.status, result.replayed)


async def retrieve(request: Request) -> Response:
    application_id = authenticate(request)
    services = services_of(request)
    row = await services.store.session(request.path_params["session_id"], application_id)
    if row is None:
        raise not_found("No such checkout session.")
    attempts = await services.store.attempts(row.id)
    return _json(session_out(row, attempts).model_dump_json())


def _encode_cursor(created_at: datetime, session_id: str) -> str:
    raw = json.dumps([created_at.isoformat(), session_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, session_id = json.loads(raw)
        moment = datetime.fromisoformat(created).astimezone(UTC)
        if (
            not isinstance(session_id, str)
            or not is_session_id(session_id)
            or moment.tzinfo is None
        ):
            raise ValueError("malformed")
        return moment, session_id
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise validation_error(
            [{"field": "cursor", "message": "is not a cursor this API gave"}]
        ) from exc


def _limit(raw: str | None) -> int:
    if raw is None:
        return 10
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 100:
        raise validation_error([{"field": "limit", "message": "must be an integer from 1 to 100"}])
    return int(raw)


async def list_sessions(request: Request) -> Response:
    application_id = authenticate(request)
    services = services_of(request)
    limit = _limit(request.query_params.get("limit"))
    cursor = request.query_params.get("cursor")
    after = _decode_cursor(cursor) if cursor else None
    rows = await services.store.list_sessions(application_id, limit + 1, after)
    page, has_more = rows[:limit], len(rows) > limit
    data = [session_out(row, await services.store.attempts(row.id)) for row in page]
    next_cursor = _encode_cursor(page[-1].created_at, page[-1].id) if has_more else None
    return _json(
        SessionList(data=data, has_more=has_more, next_cursor=next_cursor).model_dump_json()
    )


async def expire(request: Request) -> Response:
    application_id = authenticate(request)
    services = services_of(request)
    row = await services.store.session(request.path_params["session_id"], application_id)
    if row is None:
        raise not_found("No such checkout session.")
    row = await expire_session(services, row)
    return _json(session_out(row, await services.store.attempts(row.id)).model_dump_json())


async def collection(request: Request) -> Response:
    return await (create(request) if request.method == "POST" else list_sessions(request))


def routes() -> list[Route]:
    return [
        Route("/api/v1/sessions", collection, methods=["GET", "POST"]),
        Route("/api/v1/sessions/{session_id}", retrieve, methods=["GET"]),
        Route("/api/v1/sessions/{session_id}/expire", expire, methods=["POST"]),
    ]
