"""Figures as people read them."""

from __future__ import annotations


def format_bytes(count: int) -> str:
    """Decimal units, as docker prints image sizes: 950 B, 12.3 kB, 171.0 MB, 1.20 GB (``-`` before a negative)."""
    size = abs(count)
    sign = "-" if count < 0 else ""
    if size >= 10**9:
        return f"{sign}{size / 10**9:.2f} GB"
    if size >= 10**6:
        return f"{sign}{size / 10**6:.1f} MB"
    if size >= 10**3:
        return f"{sign}{size / 10**3:.1f} kB"
    return f"{sign}{size} B"
