"""The WSGI application gunicorn serves."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from packaging.version import Version

API_VERSION = Version("2.3.1")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path == "/health":
        return _json(start_response, "200 OK", {"status": "ok"})
    if path == "/version":
        return _json(start_response, "200 OK", {"version": str(API_VERSION), "major": API_VERSION.major})
    return _json(start_response, "404 Not Found", {"error": f"no route {path}"})
