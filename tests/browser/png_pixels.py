"""Pixels of a PNG file (8-bit RGB or RGBA, not interlaced: what Chromium writes), decoded with zlib and
struct, so the browser tests need no imaging library."""

from __future__ import annotations

import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


@dataclass(frozen=True)
class Pixels:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def colours(self) -> Counter[tuple[int, int, int]]:
        """How many pixels have each RGB colour (alpha left out)."""
        counts: Counter[tuple[int, int, int]] = Counter()
        step = self.channels
        for row in self.rows:
            counts.update(zip(row[0::step], row[1::step], row[2::step], strict=True))
        return counts


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def read_png(path: Path) -> Pixels:
    data = path.read_bytes()
    assert data[:8] == SIGNATURE, f"{path}: not a PNG file"
    position, compressed, header = 8, bytearray(), None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
    assert header is not None, f"{path}: no IHDR chunk"
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in CHANNELS and interlace == 0, f"{path}: unsupported PNG {header}"
    channels = CHANNELS[colour_type]
    raw = zlib.decompress(bytes(compressed))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for x in range(channels, stride):
                line[x] = (line[x] + line[x - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((v + p) & 0xFF for v, p in zip(line, previous, strict=True))
        elif kind == 3:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                line[x] = (line[x] + (left + previous[x]) // 2) & 0xFF
        elif kind == 4:
            for x in range(stride):
                left = line[x - channels] if x >= channels else 0
                upper_left = previous[x - channels] if x >= channels else 0
                line[x] = (line[x] + _paeth(left, previous[x], upper_left)) & 0xFF
        else:
            assert kind == 0, f"{path}: row {y} has filter {kind}"
        rows.append(bytes(line))
        previous = line
    return Pixels(width, height, channels, rows)
