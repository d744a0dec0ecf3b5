"""Reading Dockerfiles from disk: size limit, binary and encoding checks, then parsing."""

from __future__ import annotations

import os
from pathlib import Path

from dockopt.syntax.nodes import Dockerfile, ParseError
from dockopt.syntax.parser import parse
from dockopt.syntax.source import LineIndex

MAX_FILE_BYTES = 5 * 1024 * 1024


def _unparsable(path: str | None, line: int, column: int, message: str) -> Dockerfile:
    return Dockerfile(
        text="",
        nodes=[],
        escape="\\",
        directives={},
        errors=[ParseError(line, column, message)],
        line_index=LineIndex(""),
        path=path,
    )


def _too_large(size: int) -> str:
    return f"file is {size:,} bytes, over the {MAX_FILE_BYTES:,}-byte (5 MiB) limit for a Dockerfile"


def parse_bytes(data: bytes, path: str | None = None) -> Dockerfile:
    """Decode and parse; a binary, oversized or non-UTF-8 input gives a tree with one error."""
    if len(data) > MAX_FILE_BYTES:
        return _unparsable(path, 1, 1, _too_large(len(data)))
    nul = data.find(b"\x00")
    if nul != -1:
        line = data.count(b"\n", 0, nul) + 1
        return _unparsable(path, line, 1, "binary file (contains NUL bytes), not a Dockerfile")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        detail = f"byte 0x{data[exc.start]:02x} at offset {exc.start}"
        return _unparsable(path, line, column, f"not valid UTF-8 ({detail})")
    return parse(text, path)


def load_file(path: Path, display: str | None = None) -> Dockerfile:
    """Read and parse one file; an unreadable file gives a tree with one error."""
    name = display or str(path)
    try:
        descriptor = os.open(path, os.O_RDONLY)  # no buffered file object: one read does it
        try:
            size = os.fstat(descriptor).st_size
            if size > MAX_FILE_BYTES:
                return _unparsable(name, 1, 1, _too_large(size))
            data = _read_all(descriptor, size)
        finally:
            os.close(descriptor)
    except OSError as exc:
        return _unparsable(name, 1, 1, f"cannot read file: {exc.strerror or exc}")
    return parse_bytes(data, name)


def _read_all(descriptor: int, size: int) -> bytes:
    """Every byte of the open file: ``size`` is what fstat said, so one read usually does it (a pipe, or a
    file that grew meanwhile, is read on to its end or until it is too large to parse anyway)."""
    data = os.read(descriptor, size + 1)
    if len(data) <= size:
        return data
    chunks = [data]
    total = len(data)
    while total <= MAX_FILE_BYTES and (more := os.read(descriptor, 1 << 16)):
        chunks.append(more)
        total += len(more)
    return b"".join(chunks)
