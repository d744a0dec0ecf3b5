"""Normalise URLs (IDNA host names) and print what would be checked, with which CA bundle."""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit

import certifi
import idna


def normalise(url: str) -> str:
    parts = urlsplit(url)
    host = idna.encode(parts.hostname or "").decode()
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


if __name__ == "__main__":
    print(f"CA bundle: {certifi.where()}")
    for url in sys.argv[1:]:
        print(normalise(url))
