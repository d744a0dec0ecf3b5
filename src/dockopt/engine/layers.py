"""Saved images, read layer by layer from the ``docker save`` tar stream in one pass.

Both layouts ``docker save`` writes are read: the original one (``manifest.json``, a ``<id>.json``
config and ``<id>/layer.tar`` per layer; Docker 20.10 writes it) and the OCI image layout
(``index.json``, ``blobs/sha256/<hex>``, layers possibly gzip-compressed; Docker 25 and later). The
members come in any order, layers usually before the manifest: each layer is reduced to a compact
summary as it passes (path -> kind, size, optional content hash; whiteouts; opaque directories; the
Python packaging metadata it holds), JSON documents are kept, and the layers are put in order once the
manifests have been read. Nothing is written to disk and no file content is kept but that metadata.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import posixpath
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Protocol, Self, cast

from dockopt.engine.pydists import is_metadata_path
from dockopt.errors import EngineError

FILE = "file"
DIRECTORY = "directory"
SYMLINK = "symlink"
HARDLINK = "hardlink"
OTHER = "other"  # devices and fifos: no content

WHITEOUT_PREFIX = ".wh."
OPAQUE_MARKER = ".wh..wh..opq"
_STREAM_BUFFER = 1 << 18  # read-ahead of the archive and of each layer in it
_HASH_CHUNK = 1 << 20
_JSON_LIMIT = 64 << 20  # configs and manifests are kilobytes; a larger JSON member is not one of them
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class LayerEntry:
    """One member of a layer: what it is, its content size and (when asked for) content hash."""

    kind: str
    size: int = 0  # bytes of content; 0 for everything but files (a hard link's bytes are its target's)
    sha256: bytes | None = None
    target: str | None = None  # hard links: the path in the same layer that holds the content


@dataclass(slots=True)
class LayerSummary:
    """What one layer tar holds, by absolute path; whiteouts and opaque directories kept apart."""

    entries: dict[str, LayerEntry] = field(default_factory=dict)
    whiteouts: set[str] = field(default_factory=set)  # paths this layer deletes from the layers below
    opaque: set[str] = field(default_factory=set)  # directories whose lower contents this layer hides
    metadata: dict[str, bytes] = field(default_factory=dict)  # Python packaging metadata files, read whole
    content_bytes: int = 0  # every file member's size, a path stored twice in the layer counted twice


@dataclass(frozen=True, slots=True)
class SavedLayer:
    digest: str  # the diff id ("sha256:…" of the uncompressed layer tar): the same content has the same one
    created_by: str  # the history step that made it; "" when the image has no history for it
    summary: LayerSummary


@dataclass(frozen=True, slots=True)
class SavedImage:
    id: str  # "sha256:…" of the config, as `docker image inspect` shows it
    repo_tags: tuple[str, ...]
    layers: tuple[SavedLayer, ...]  # bottom first


class _HeaderInfo(tarfile.TarInfo):
    """A tar header with only what the scan reads: name, mode, size, type, link; owners and times are
    left out. Parsing them all (and both checksum variants) was 40% of the scan's time. Special
    blocks (end of archive, old GNU sparse files) go through tarfile's own parser."""

    @classmethod
    def frombuf(cls, buf: bytes | bytearray, encoding: str, errors: str) -> Self:
        if len(buf) != tarfile.BLOCKSIZE or buf[156:157] == tarfile.GNUTYPE_SPARSE or buf.count(0) == len(buf):
            return super().frombuf(buf, encoding, errors)
        checksum = tarfile.nti(buf[148:156])  # type: ignore[attr-defined]
        # the checksum counts its own field as spaces; tarfile also accepts the signed-byte sum
        if checksum != sum(buf) - sum(buf[148:156]) + 256 and checksum not in tarfile.calc_chksums(buf):  # type: ignore[attr-defined]
            raise tarfile.InvalidHeaderError("bad checksum")  # type: ignore[attr-defined]
        info = cls()
        info.name = tarfile.nts(buf[0:100], encoding, errors)  # type: ignore[attr-defined]
        info.mode = tarfile.nti(buf[100:108])  # type: ignore[attr-defined]
        info.size = tarfile.nti(buf[124:136])  # type: ignore[attr-defined]
        info.chksum = checksum
        info.type = bytes(buf[156:157])
        info.linkname = tarfile.nts(buf[157:257], encoding, errors)  # type: ignore[attr-defined]
        prefix = tarfile.nts(buf[345:500], encoding, errors)  # type: ignore[attr-defined]
        if info.type == tarfile.AREGTYPE and info.name.endswith("/"):
            info.type = tarfile.DIRTYPE  # the old V7 way of writing a directory
        if info.type == tarfile.DIRTYPE:
            info.name = info.name.rstrip("/")
        if prefix and info.type not in tarfile.GNU_TYPES:
            info.name = f"{prefix}/{info.name}"  # a ustar long name
        return info


# -- a forward-only tar reader ---------------------------------------------------------------------
# tarfile's stream mode copies its whole read buffer on every header read and skips content through it
# too: on a 650 MB image that was most of the scan. This reader reads headers from a buffered stream and
# hands out each member's content as a bounded raw stream; what the caller leaves unread is skipped.

_BLOCK = tarfile.BLOCKSIZE
_ZERO_BLOCK = bytes(_BLOCK)
_SKIP_PIECE = 1 << 20
_ENCODING = "utf-8"


class _Content(io.RawIOBase):
    """The content of one member: at most its size, read from the archive's stream."""

    def __init__(self, stream: _Peekable, size: int) -> None:
        super().__init__()
        self._stream = stream
        self.remaining = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        view = memoryview(buffer).cast("B")[: self.remaining]
        count = self._stream.readinto(view)
        if not count:
            raise tarfile.ReadError("unexpected end of data")
        self.remaining -= count
        return int(count)

    def skip(self, scratch: bytearray) -> None:
        while self.remaining > 0:
            self.readinto(memoryview(scratch)[: min(self.remaining, len(scratch))])


class _Peekable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def readinto(self, buffer: Any, /) -> int: ...
    def peek(self, size: int = 0, /) -> bytes: ...


def _buffered(stream: Any) -> _Peekable:
    """``stream`` itself when it is buffered (it can peek), else a buffered reader of it."""
    return cast(_Peekable, stream if hasattr(stream, "peek") else io.BufferedReader(stream, _STREAM_BUFFER))


def _members(archive: IO[bytes] | _Peekable) -> Iterator[tuple[tarfile.TarInfo, _Content]]:
    """The members of the tar archive on ``archive`` in order, each with its content (valid until the next)."""
    stream = _buffered(archive)
    scratch = bytearray(_SKIP_PIECE)
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    global_pax: dict[str, str] = {}
    while True:
        block = stream.read(_BLOCK)
        if len(block) < _BLOCK:
            if block:
                raise tarfile.ReadError("unexpected end of data")
            return  # an archive without its closing blocks ends here too, as tarfile allows
        if block == _ZERO_BLOCK:
            return
        member = _HeaderInfo.frombuf(block, _ENCODING, "surrogateescape")
        content = _Content(stream, member.size)
        padding = -member.size % _BLOCK
        if member.type in (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK):
            text = content.readall().split(b"\0", 1)[0].decode(_ENCODING, "surrogateescape")
            if member.type == tarfile.GNUTYPE_LONGNAME:
                long_name = text
            else:
                long_link = text
        elif member.type in (tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE):
            records = _pax_records(content.readall())
            (global_pax if member.type == tarfile.XGLTYPE else pax).update(records)
        else:
            fields = {**global_pax, **pax}
            name = fields.get("path", long_name)
            if name is not None:
                member.name = name.rstrip("/") if member.type == tarfile.DIRTYPE else name
            link = fields.get("linkpath", long_link)
            if link is not None:
                member.linkname = link
            if "size" in fields:
                member.size = content.remaining = int(fields["size"])
                padding = -member.size % _BLOCK
            long_name = long_link = None
            pax = {}
            yield member, content
        content.skip(scratch)
        if padding and len(stream.read(padding)) != padding:
            raise tarfile.ReadError("unexpected end of data")


def _pax_records(data: bytes) -> dict[str, str]:
    """The ``length key=value`` records of a pax extended header."""
    records: dict[str, str] = {}
    position = 0
    while position < len(data) and data[position] != 0:
        space = data.find(b" ", position)
        if space < 0:
            raise tarfile.ReadError("invalid pax header")
        try:
            length = int(data[position:space])
        except ValueError:
            raise tarfile.ReadError("invalid pax header") from None
        if length <= 0:
            raise tarfile.ReadError("invalid pax header")
        key, _, value = data[space + 1 : position + length - 1].partition(b"=")
        records[key.decode(_ENCODING, "surrogateescape")] = value.decode(_ENCODING, "surrogateescape")
        position += length
    return records


def read_saved_images(stream: IO[bytes], *, hash_contents: bool = False) -> list[SavedImage]:
    """Every image of the ``docker save`` archive on ``stream``; EngineError when it is not one.

    ``hash_contents`` computes the SHA-256 of every file (needed to tell equal files of different images).
    """
    layers: dict[str, LayerSummary] = {}
    documents: dict[str, Any] = {}
    aliases: dict[str, str] = {}  # a symlinked member -> the member it points at
    try:
        for member, content in _members(stream):
            name = posixpath.normpath(member.name)
            if member.issym():
                aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.isfile() and member.size:
                readable = io.BufferedReader(content, _STREAM_BUFFER)
                _read_member(name, member.size, readable, layers, documents, hash_contents)
    except tarfile.TarError as exc:
        raise EngineError(f"cannot read the saved image: {exc}") from exc
    return _assemble(layers, documents, aliases)


def _read_member(
    name: str,
    size: int,
    content: IO[bytes],
    layers: dict[str, LayerSummary],
    documents: dict[str, Any],
    hash_contents: bool,
) -> None:
    """Sort a member by its first bytes (OCI blobs have no telling names): layer tar, gzip layer, JSON."""
    head = content.peek(512)  # type: ignore[attr-defined]  # tarfile hands out a BufferedReader
    if head[:2] == b"\x1f\x8b" or head[257:262] == b"ustar" or head[:512] == bytes(512):
        layers[name] = scan_layer(content, hash_contents=hash_contents, name=name)
    elif head[:4] == b"\x28\xb5\x2f\xfd":
        raise EngineError(f"cannot read the saved image: layer {name} is zstd-compressed, which is not supported")
    elif head.lstrip()[:1] in (b"{", b"[") and size <= _JSON_LIMIT:
        with contextlib.suppress(json.JSONDecodeError, UnicodeDecodeError):  # not a document of the archive
            documents[name] = json.loads(content.read())


def scan_layer(content: IO[bytes], *, hash_contents: bool = False, name: str = "layer") -> LayerSummary:
    """The summary of one layer tar (plain or gzip-compressed), read as a stream."""
    summary = LayerSummary()
    try:
        stream = _buffered(content)
        if stream.peek(2)[:2] == b"\x1f\x8b":
            stream = _buffered(gzip.GzipFile(fileobj=cast(IO[bytes], stream), mode="rb"))
        for member, member_content in _members(stream):
            _add_member(summary, member, member_content, hash_contents)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise EngineError(f"cannot read the saved image: layer {name}: {exc}") from exc
    return summary


def _add_member(summary: LayerSummary, member: tarfile.TarInfo, content: _Content, hash_contents: bool) -> None:
    path = _absolute(member.name)
    if path == "/":
        return
    parent, base = path.rsplit("/", 1)
    if base.startswith(WHITEOUT_PREFIX):
        if base == OPAQUE_MARKER:
            summary.opaque.add(parent or "/")
        elif not base.startswith(OPAQUE_MARKER[:8]):  # other ".wh..wh." names are aufs bookkeeping, not files
            summary.whiteouts.add(f"{parent}/{base[len(WHITEOUT_PREFIX) :]}")
        return
    if member.isreg():
        summary.content_bytes += member.size
        entry = LayerEntry(FILE, member.size)
        wanted = member.size and is_metadata_path(path)
        if (hash_contents and member.size) or wanted:
            if wanted:
                data = content.read()
                summary.metadata[path] = data
                digest = hashlib.sha256(data).digest() if hash_contents else None
            else:
                digest = _sha256(content)
            entry = LayerEntry(FILE, member.size, digest)
    elif member.isdir():
        entry = LayerEntry(DIRECTORY)
    elif member.issym():
        entry = LayerEntry(SYMLINK, target=member.linkname)
    elif member.islnk():
        entry = LayerEntry(HARDLINK, target=_absolute(member.linkname))
    else:
        entry = LayerEntry(OTHER)
    summary.entries[path] = entry


def _sha256(content: io.RawIOBase) -> bytes:
    digest = hashlib.sha256()
    while chunk := content.read(_HASH_CHUNK):
        digest.update(chunk)
    return digest.digest()


def _absolute(name: str) -> str:
    """A member name as an absolute path: ``usr/bin/`` -> ``/usr/bin``; ``./`` -> ``/``."""
    path = "/" + name.strip("/")
    if "/." in path or "//" in path:
        path = posixpath.normpath(path)
    return path


# -- from members to images ------------------------------------------------------------------


def _assemble(layers: dict[str, LayerSummary], documents: dict[str, Any], aliases: dict[str, str]) -> list[SavedImage]:
    images = []
    for config_name, repo_tags, layer_names in _manifests(documents):
        config = documents.get(_resolve(config_name, aliases))
        if not isinstance(config, dict):
            raise EngineError(f"cannot read the saved image: its config {config_name} is missing")
        summaries = []
        for layer_name in layer_names:
            summary = layers.get(_resolve(layer_name, aliases))
            if summary is None:
                raise EngineError(f"cannot read the saved image: layer {layer_name} is missing from the archive")
            summaries.append(summary)
        diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or ()]
        if len(diff_ids) != len(summaries):
            diff_ids = [_digest_of(name) for name in layer_names]
        commands = _layer_commands(config, len(summaries))
        saved = tuple(SavedLayer(d, c, s) for d, c, s in zip(diff_ids, commands, summaries, strict=True))
        images.append(SavedImage(_digest_of(config_name), repo_tags, saved))
    return images


def _manifests(documents: dict[str, Any]) -> Iterator[tuple[str, tuple[str, ...], list[str]]]:
    """(config member, tags, layer members) per image: from manifest.json, else from the OCI index."""
    manifest = documents.get("manifest.json")
    if isinstance(manifest, list):
        for item in manifest:
            yield str(item["Config"]), tuple(item.get("RepoTags") or ()), [str(p) for p in item["Layers"]]
        return
    index = documents.get("index.json")
    if not isinstance(index, dict):
        raise EngineError("cannot read the saved image: it has neither manifest.json nor index.json")
    yield from _index_manifests(index, documents, ())


def _index_manifests(
    index: dict[str, Any], documents: dict[str, Any], tags: tuple[str, ...]
) -> Iterator[tuple[str, tuple[str, ...], list[str]]]:
    for descriptor in index.get("manifests") or ():
        annotations = descriptor.get("annotations") or {}
        name = annotations.get("io.containerd.image.name") or annotations.get("org.opencontainers.image.ref.name")
        own_tags = (*tags, name) if name and ":" in name else tags
        document = documents.get(_blob(descriptor["digest"]))
        if not isinstance(document, dict):
            continue  # a platform the archive does not carry
        if "manifests" in document:
            yield from _index_manifests(document, documents, own_tags)
        elif "config" in document:
            layer_names = [_blob(layer["digest"]) for layer in document.get("layers") or ()]
            yield _blob(document["config"]["digest"]), own_tags, layer_names


def _blob(digest: str) -> str:
    algorithm, _, value = digest.partition(":")
    return f"blobs/{algorithm}/{value}"


def _resolve(name: str, aliases: dict[str, str]) -> str:
    name = posixpath.normpath(name)
    for _ in range(8):  # a few hops at most: <id>/layer.tar -> ../blobs/sha256/<hex>
        if name not in aliases:
            break
        name = aliases[name]
    return name


def _digest_of(member_name: str) -> str:
    found = _HEX_DIGEST.findall(member_name)
    return f"sha256:{found[-1]}" if found else member_name


def _layer_commands(config: dict[str, Any], count: int) -> list[str]:
    """The history steps that made a layer, in order: the steps not marked ``empty_layer`` match the layers."""
    steps = [str(step.get("created_by") or "") for step in config.get("history") or () if not step.get("empty_layer")]
    return (steps + [""] * count)[:count]
