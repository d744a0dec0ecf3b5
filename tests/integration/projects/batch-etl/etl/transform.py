"""The transformation: rename columns, drop empty rows, write JSON lines."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import attrs


@attrs.define
class Pipeline:
    rename: dict[str, str] = attrs.field(factory=dict)
    drop_empty: bool = False

    def row(self, raw: dict[str, str]) -> dict[str, str] | None:
        cleaned = {self.rename.get(k, k): v.strip() for k, v in raw.items()}
        if self.drop_empty and not any(cleaned.values()):
            return None
        return cleaned

    def run(self, source: Path, target: Path) -> int:
        written = 0
        with source.open(newline="") as handle, target.open("w") as out:
            for raw in csv.DictReader(handle):
                row = self.row(raw)
                if row is not None:
                    out.write(json.dumps(row) + "\n")
                    written += 1
        return written
