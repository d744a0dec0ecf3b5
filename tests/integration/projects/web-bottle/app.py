"""A tiny notes service: list and add notes, kept in memory."""

from __future__ import annotations

import argparse

import bottle
from notes import NoteBook

app = bottle.Bottle()
book = NoteBook()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/notes")
def list_notes() -> dict[str, list[str]]:
    return {"notes": book.all()}


@app.post("/notes")
def add_note() -> dict[str, int]:
    text = (bottle.request.json or {}).get("text", "")
    return {"id": book.add(text)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    app.run(host=args.host, port=args.port, quiet=True)


if __name__ == "__main__":
    main()
