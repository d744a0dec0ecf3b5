"""Items in stock, with the date they were added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import six


@dataclass(frozen=True)
class Item:
    name: str
    added: datetime


ITEMS = [
    Item(six.ensure_str(b"keyboard"), datetime(2023, 11, 2)),
    Item(six.ensure_str(b"monitor"), datetime(2024, 2, 14)),
    Item(six.ensure_str(b"dock"), datetime(2024, 5, 30)),
]
