"""Notes kept in memory, in insertion order."""

from __future__ import annotations


class NoteBook:
    def __init__(self) -> None:
        self._notes: list[str] = []

    def add(self, text: str) -> int:
        self._notes.append(text.strip())
        return len(self._notes)

    def all(self) -> list[str]:
        return list(self._notes)
