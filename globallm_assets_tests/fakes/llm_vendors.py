"""Local stand-ins for the Anthropic Messages API and the OpenAI Chat Completions API.

Only the remote is fake: a real HTTP server on 127.0.0.1 that the vendors' own SDK clients talk
to (``base_url``). Each request is answered by the next scripted reply, shaped as the vendors
document their responses: Anthropic ``message`` objects with ``text``/``tool_use`` content blocks
and ``usage``; OpenAI ``chat.completion`` objects with ``tool_calls`` and ``usage``; and their
error envelopes (``{"type": "error", "error": {...}}`` / ``{"error": {...}}``) for 401, 429 (with
``retry-after``) and 5xx. A wrong API key is refused with 401 as the vendors do.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, Any], dict[str, str]]
Script = Reply | Callable[[dict[str, Any]], Reply]


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class VendorServer:
    """One vendor's API on a loopback port; ``replies`` are consumed in order."""

    vendor: str  # "anthropic" | "openai"
    api_key: str
    replies: list[Script] = field(default_factory=list)
    seen: list[SeenRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The ``base_url`` the vendor's SDK expects (OpenAI's includes ``/v1``)."""
        root = f"http://127.0.0.1:{self._server.server_address[1]}"
        return root + "/v1" if self.vendor == "openai" else root

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> VendorServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if not self.replies:
                return _error(self.vendor, 500, "api_error", "the fake has no scripted reply left")
            script = self.replies.pop(0)
        return script(body) if callable(script) else script


def _handler_for(server: VendorServer) -> type[BaseHTTPRequestHandler]:
    expected_path = "/v1/messages" if server.vendor == "anthropic" else "/v1/chat/completions"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                body = {}
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.seen.append(SeenRequest(self.path, headers, body))
            if self.path.split("?")[0] != expected_path:
                status, payload, extra = _error(server.vendor, 404, "not_found_error", "no route")
            elif not _authorized(server, headers):
                status, payload, extra = _error(
                    server.vendor, 401, "authentication_error", "invalid x-api-key"
                )
            else:
                status, payload, extra = server._next(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def _authorized(server: VendorServer, headers: dict[str, str]) -> bool:
    bearer = headers.get("authorization") == f"Bearer {server.api_key}"
    if server.vendor == "anthropic":
        # Anthropic takes the key as x-api-key or as a bearer token, with a version header.
        return (headers.get("x-api-key") == server.api_key or bearer) and (
            "anthropic-version" in headers
        )
    return bearer


# --------------------------------------------------------------------------- Anthropic shapes


def anthropic_message(
    blocks: list[dict[str, Any]],
    *,
    input_tokens: int,
    output_tokens: int,
    stop_reason: str | None = None,
    model: str | None = None,
) -> Callable[[dict[str, Any]], Reply]:
    """A Messages API response; ``model`` defaults to the one requested."""

    def reply(request: dict[str, Any]) -> Reply:
        has_tool = any(b["type"] == "tool_use" for b in blocks)
        return (
            200,
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": model or request.get("model", "claude-sonnet-4-5"),
                "content": blocks,
                "stop_reason": stop_reason or ("tool_use" if has_tool else "end_turn"),
                "stop_sequence": None,
                "usage": {
                    "input_tokens": input_tokens,
                    "output_tokens": output_tokens,
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                },
            },
            {},
        )

    return reply


def anthropic_tool_use(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "tool_use",
        "id": f"toolu_{uuid.uuid4().hex[:22]}",
        "name": name,
        "input": arguments,
    }


def anthropic_text(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


# --------------------------------------------------------------------------- OpenAI shapes


def openai_completion(
    *,
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    prompt_tokens: int,
    completion_tokens: int,
) -> Callable[[dict[str, Any]], Reply]:
    def reply(request: dict[str, Any]) -> Reply:
        message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": None}
        if tool_calls:
            message["tool_calls"] = tool_calls
        return (
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:29]}",
                "object": "chat.completion",
                "created": 1741569952,
                "model": request.get("model", "gpt-4o-mini"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": "tool_calls" if tool_calls else "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
                },
                "service_tier": "default",
                "system_fingerprint": "fp_06737a9306",
            },
            {},
        )

    return reply


def openai_tool_call(name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": text},
    }


# --------------------------------------------------------------------------- errors


def _error(vendor: str, status: int, kind: str, message: str) -> Reply:
    if vendor == "anthropic":
        return status, {"type": "error", "error": {"type": kind, "message": message}}, {}
    return status, {"error": {"message": message, "type": kind, "param": None, "code": kind}}, {}


def rate_limited(vendor: str, *, retry_after_ms: int = 50) -> Reply:
    """429 with the vendor's error body and retry headers (the SDKs honour ``retry-after-ms``)."""
    kind = "rate_limit_error" if vendor == "anthropic" else "rate_limit_exceeded"
    status, body, _ = _error(vendor, 429, kind, "Rate limit exceeded; retry later.")
    return status, body, {"retry-after": "1", "retry-after-ms": str(retry_after_ms)}


def server_error(vendor: str, status: int = 500) -> Reply:
    kind = "api_error" if vendor == "anthropic" else "server_error"
    status_, body, _ = _error(vendor, status, kind, "Internal server error")
    return status_, body, {"retry-after-ms": "20"}
