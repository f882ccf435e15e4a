"""OpenAI-style error bodies: `{"error": {"message", "type", "code", "param"}}`.

Messages name the policy and the reason, never the sensitive value (detections are
already masked by the guard, and we only quote their types)."""

from __future__ import annotations

import json

from starlette.responses import Response


class GatewayError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        type_: str,
        code: str,
        param: str | None = None,
        policy: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.policy = policy
        self.headers = headers or {}

    def body(self) -> dict:
        error = {"message": self.message, "type": self.type, "code": self.code, "param": self.param}
        if self.policy:
            error["policy"] = self.policy
        return {"error": error}

    def anthropic_body(self) -> dict:
        return {"type": "error", "error": {"type": self.type, "message": self.message}}

    def response(self, dialect: str = "openai") -> Response:
        body = self.anthropic_body() if dialect == "anthropic" else self.body()
        return Response(
            json.dumps(body), status_code=self.status, media_type="application/json", headers=self.headers
        )


def unauthorized(message: str) -> GatewayError:
    return GatewayError(401, message, "invalid_request_error", "invalid_api_key")


def bad_request(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, "invalid_request_error", "invalid_request", param)


def forbidden(message: str, code: str, policy: str | None = None, param: str | None = None) -> GatewayError:
    return GatewayError(403, message, "policy_violation", code, param, policy)


def upstream_error(status: int, message: str, code: str) -> GatewayError:
    return GatewayError(status, message, "upstream_error", code)


def unavailable(message: str, code: str) -> GatewayError:
    return GatewayError(503, message, "service_unavailable", code)
