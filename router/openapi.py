"""OpenAPI 3.1, generated from the same pydantic models the handlers validate and emit."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from router import __version__
from router.schemas import (
    ErrorResponse,
    Health,
    Routing,
    SessionCreated,
    SessionCreateRequest,
    SessionList,
    SessionOut,
    TokenRequest,
    TokenResponse,
)

_REF = "#/components/schemas/{model}"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": _REF.format(model=model.__name__)}


def _json_content(model: type[BaseModel]) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(model)}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json_content(ErrorResponse)}


_AUTH: list[dict[str, list[str]]] = [{"bearerAuth": []}]
_SESSION_ID = {"name": "sessionId", "in": "path", "required": True, "schema": {"type": "string"}}


def build_openapi(server_url: str) -> dict[str, Any]:
    """The whole document; schemas come from the models, so they cannot drift from code."""
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (SessionCreateRequest, "validation"),
        (TokenRequest, "validation"),
        (SessionCreated, "serialization"),
        (SessionOut, "serialization"),
        (SessionList, "serialization"),
        (Routing, "serialization"),
        (TokenResponse, "serialization"),
        (Health, "serialization"),
        (ErrorResponse, "serialization"),
    ]
    _, definitions = models_json_schema(models, ref_template=_REF)
    session_errors = {
        "400": _error("Body not JSON, or Idempotency-Key missing or invalid"),
        "401": _error("Missing, malformed or expired token"),
        "409": _error("Idempotency-Key reused with another body, or still in use"),
        "413": _error("Body over the size limit"),
        "415": _error("Body not sent as application/json"),
        "422": _error("Invalid fields, amount mismatch, or no eligible provider"),
        "502": _error("Every eligible provider failed"),
    }
    paths: dict[str, Any] = {
        "/api/v1/auth/token": {
            "post": {
                "summary": "Exchange client credentials for a bearer token",
                "requestBody": {"required": True, "content": _json_content(TokenRequest)},
                "responses": {
                    "200": {"description": "Token", "content": _json_content(TokenResponse)},
                    "401": _error("Unknown client or wrong secret"),
                    "422": _error("Invalid fields"),
                },
            }
        },
        "/api/v1/sessions": {
            "post": {
                "summary": "Create a checkout session at the best provider",
                "security": _AUTH,
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                ],
                "requestBody": {"required": True, "content": _json_content(SessionCreateRequest)},
                "responses": {
                    "201": {"description": "Created", "content": _json_content(SessionCreated)},
                    **session_errors,
                },
            },
            "get": {
                "summary": "List sessions, newest first",
                "security": _AUTH,
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "A page", "content": _json_content(SessionList)},
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid limit or cursor"),
                },
            },
        },
        "/api/v1/sessions/{sessionId}": {
            "get": {
                "summary": "Retrieve a session",
                "security": _AUTH,
                "parameters": [_SESSION_ID],
                "responses": {
                    "200": {"description": "The session", "content": _json_content(SessionOut)},
                    "401": _error("Unauthorized"),
                    "404": _error("Unknown session or another application's"),
                },
            }
        },
        "/api/v1/sessions/{sessionId}/expire": {
            "post": {
                "summary": "Expire an open session (at the provider too where it can)",
                "security": _AUTH,
                "parameters": [_SESSION_ID],
                "responses": {
                    "200": {
                        "description": "The expired session",
                        "content": _json_content(SessionOut),
                    },
                    "401": _error("Unauthorized"),
                    "404": _error("Unknown session"),
                    "409": _error("The session is no longer open"),
                    "502": _error("The provider could not expire it"),
                },
            }
        },
        "/api/v1/routing/simulate": {
            "post": {
                "summary": "Rank the providers for a session body; creates nothing",
                "security": _AUTH,
                "requestBody": {"required": True, "content": _json_content(SessionCreateRequest)},
                "responses": {
                    "200": {"description": "The ranking", "content": _json_content(Routing)},
                    "400": _error("Body not JSON"),
                    "401": _error("Unauthorized"),
                    "422": _error("Invalid fields or amount mismatch"),
                },
            }
        },
        "/api/v1/webhooks/{providerName}": {
            "post": {
                "summary": "Provider notifications (verified before they are believed)",
                "parameters": [
                    {
                        "name": "providerName",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {
                    "200": {"description": "Received (also for duplicates)"},
                    "400": _error("Verification failed"),
                    "404": _error("Unknown provider"),
                    "503": _error("Could not confirm with the provider; retry"),
                },
            }
        },
        "/checkout/return/{sessionId}": {
            "get": {
                "summary": "Payer return from the provider: confirm, then redirect to the merchant",
                "parameters": [
                    _SESSION_ID,
                    {"name": "result", "in": "query", "schema": {"enum": ["success", "cancel"]}},
                ],
                "responses": {"303": {"description": "To the merchant's success or failure URL"}},
            }
        },
        "/api/health": {
            "get": {
                "summary": "Service health",
                "responses": {
                    "200": {"description": "Healthy", "content": _json_content(Health)},
                    "503": {
                        "description": "Database unreachable",
                        "content": _json_content(Health),
                    },
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": {"description": "OpenAPI 3.1"}},
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "payrouter", "version": __version__},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
