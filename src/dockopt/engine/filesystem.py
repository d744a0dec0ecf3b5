"""An image's files, read from a tar stream in one pass: path, type, mode, owner, size, content hash.

The stream is read with ``tarfile`` in stream mode (``r|``): nothing is written to disk and nothing
is held in memory but one buffer of file content at a time and the entries found so far. Modification
times are not kept: two builds of the same Dockerfile never agree on them.
"""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import IO

from dockopt.errors import EngineError

_CHUNK = 1 << 20


class EntryType(Enum):
    FILE = "file"
    DIRECTORY = "directory"
    SYMLINK = "symlink"
    CHAR_DEVICE = "char device"
    BLOCK_DEVICE = "block device"
    FIFO = "fifo"


_TYPES = {
    tarfile.REGTYPE: EntryType.FILE,
    tarfile.AREGTYPE: EntryType.FILE,
    tarfile.CONTTYPE: EntryType.FILE,
    tarfile.DIRTYPE: EntryType.DIRECTORY,
    tarfile.SYMTYPE: EntryType.SYMLINK,
    tarfile.CHRTYPE: EntryType.CHAR_DEVICE,
    tarfile.BLKTYPE: EntryType.BLOCK_DEVICE,
    tarfile.FIFOTYPE: EntryType.FIFO,
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One path of an image's filesystem.

    A hard link is a file with its target's content (``hardlink_to`` says which path it shares it
    with, so that its bytes are counted once); two files with the same content compare equal
    whether or not they are linked.
    """

    path: str  # absolute: "/usr/bin/python3"
    type: EntryType
    mode: int  # permission bits, with setuid, setgid and sticky
    uid: int
    gid: int
    size: int = 0  # bytes of content (files only)
    sha256: str | None = None  # files only
    link_target: str | None = None  # symlinks only, as written
    hardlink_to: str | None = None


def normalize(name: str) -> str:
    """A tar member name as an absolute path: ``./etc/`` -> ``/etc``, ``.`` -> ``/``."""
    return posixpath.normpath("/" + name.lstrip("/"))


def read_filesystem(stream: IO[bytes], exclude: Collection[str] = ()) -> dict[str, Entry]:
    """Entries of the tar archive on ``stream`` by absolute path, without the root and ``exclude``."""
    entries: dict[str, Entry] = {}
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for member in archive:
                path = normalize(member.name)
                if path != "/":
                    entries[path] = _entry(archive, member, path, entries)
    except tarfile.TarError as exc:
        raise EngineError(f"cannot read the image's files: {exc}") from exc
    for path in exclude:
        entries.pop(path, None)
    return entries


def _entry(archive: tarfile.TarFile, member: tarfile.TarInfo, path: str, seen: dict[str, Entry]) -> Entry:
    mode, uid, gid = member.mode & 0o7777, member.uid, member.gid
    if member.islnk():
        target_path = normalize(member.linkname)
        target = seen.get(target_path)
        if target is None or target.type is not EntryType.FILE:
            raise EngineError(f"cannot read the image's files: hard link {path} to {target_path}, not a file before it")
        return Entry(path, EntryType.FILE, mode, uid, gid, target.size, target.sha256, hardlink_to=target_path)
    kind = _TYPES.get(member.type)
    if kind is None:
        raise EngineError(f"cannot read the image's files: {path} has tar type {member.type!r}")
    if kind is EntryType.SYMLINK:
        return Entry(path, kind, mode, uid, gid, link_target=member.linkname)
    if kind is not EntryType.FILE:
        return Entry(path, kind, mode, uid, gid)
    content = archive.extractfile(member)
    digest = hashlib.sha256()
    if content is not None:
        while chunk := content.read(_CHUNK):
            digest.update(chunk)
    return Entry(path, kind, mode, uid, gid, member.size, digest.hexdigest())
