"""Image references: what identifies an image within one repository."""

from __future__ import annotations


def repository_name(reference: str) -> str:
    """``localhost:5000/team/app:1.0@sha256:…`` -> ``team/app``.

    The registry (a first component with a dot or a port, or ``localhost``) and the tag/digest
    are dropped, so that ``${REGISTRY}/app:${TAG}`` in a FROM matches whatever registry and tag
    the build script used.
    """
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name = name[: len(name) - len(last)] + last.split(":", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] in ("localhost", "")):
        parts = parts[1:]
    return "/".join(parts).lower()
