"""Summarise service error counts: jq selects the failing services, Python formats the report."""

from __future__ import annotations

import json
import subprocess
import sys

import certifi
import idna


def failing(path: str) -> list[dict[str, object]]:
    query = "[.services[] | select(.errors > 0)]"
    out = subprocess.run(["jq", "-c", query, path], capture_output=True, text=True, check=True).stdout
    return list(json.loads(out))


def main(path: str) -> None:
    print(f"CA bundle: {certifi.where()}")
    for service in failing(path):
        host = idna.encode(str(service["host"])).decode()
        print(f"{service['name']:<8} {host:<24} {service['errors']} errors")


if __name__ == "__main__":
    main(sys.argv[1])
