"""`docker save` archives built in memory, for the tests of the layer scanner and of `dockopt measure`.

A layer is a list of members: ``("file", path, content)``, ``("dir", path)``, ``("symlink", path, target)``,
``("hardlink", path, target)``, ``("whiteout", path)`` (deletes ``path``) and ``("opaque", directory)``.
Both layouts put the layers first and the manifest last, the order the engine writes them in.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass, field
from typing import Any

Member = tuple[str, ...] | tuple[str, str, bytes]


@dataclass
class ImageSpec:
    layers: list[list[Any]]
    commands: list[str] = field(default_factory=list)  # created_by per layer
    tags: list[str] = field(default_factory=list)


def layer_tar(members: list[Any]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for member in members:
            kind, path = member[0], member[1].lstrip("/")
            if kind == "whiteout":
                parent, _, name = path.rpartition("/")
                _add(archive, tarfile.TarInfo(f"{parent}/.wh.{name}".lstrip("/")), b"")
            elif kind == "opaque":
                _add(archive, tarfile.TarInfo(f"{path}/.wh..wh..opq".lstrip("/")), b"")
            elif kind == "file":
                _add(archive, tarfile.TarInfo(path), member[2])
            else:
                info = tarfile.TarInfo(path)
                info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE}[kind]
                if kind == "dir":
                    info.mode = 0o755
                else:
                    info.linkname = member[2].lstrip("/") if kind == "hardlink" else member[2]
                _add(archive, info, None)
    return buffer.getvalue()


def _add(archive: tarfile.TarFile, info: tarfile.TarInfo, content: bytes | None) -> None:
    if content is not None:
        info.size = len(content)
        archive.addfile(info, io.BytesIO(content))
    else:
        archive.addfile(info)


def _config(layers: list[bytes], commands: list[str]) -> bytes:
    history = []
    for index in range(len(layers)):
        history.append({"created_by": f"ENV STEP={index}", "empty_layer": True})  # steps without a layer
        history.append({"created_by": commands[index] if index < len(commands) else f"RUN step {index}"})
    diff_ids = [f"sha256:{hashlib.sha256(layer).hexdigest()}" for layer in layers]
    return json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": history}
    ).encode()


def old_layout(images: list[ImageSpec], *, manifest_first: bool = False) -> bytes:
    """Docker 20.10's layout: <id>/layer.tar, <config id>.json, manifest.json."""
    members: list[tuple[str, bytes]] = []
    manifest = []
    for image in images:
        tars = [layer_tar(layer) for layer in image.layers]
        config = _config(tars, image.commands)
        config_name = f"{hashlib.sha256(config).hexdigest()}.json"
        names = []
        for tar in tars:
            name = f"{hashlib.sha256(b'v1' + tar).hexdigest()}/layer.tar"
            if all(name != added for added, _ in members):  # a shared layer is saved once
                members.append((name, tar))
            names.append(name)
        members.append((config_name, config))
        manifest.append({"Config": config_name, "RepoTags": image.tags or None, "Layers": names})
    manifest_member = ("manifest.json", json.dumps(manifest).encode())
    return _archive([manifest_member, *members] if manifest_first else [*members, manifest_member])


def oci_layout(images: list[ImageSpec], *, gzip_layers: bool = True) -> bytes:
    """The OCI image layout of newer engines: blobs/sha256/<hex> (gzip layers), index.json, no manifest.json."""
    blobs: dict[str, bytes] = {}
    descriptors = []
    for image in images:
        tars = [layer_tar(layer) for layer in image.layers]
        config = _config(tars, image.commands)
        layer_descriptors = []
        for tar in tars:
            blob = gzip.compress(tar, mtime=0) if gzip_layers else tar
            digest = _put(blobs, blob)
            media = "application/vnd.oci.image.layer.v1.tar" + ("+gzip" if gzip_layers else "")
            layer_descriptors.append({"mediaType": media, "digest": digest, "size": len(blob)})
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": _put(blobs, config)},
            "layers": layer_descriptors,
        }
        digest = _put(blobs, json.dumps(manifest).encode())
        annotations = {"io.containerd.image.name": image.tags[0]} if image.tags else {}
        descriptors.append({"mediaType": manifest["mediaType"], "digest": digest, "annotations": annotations})
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descriptors}
    members = [(f"blobs/sha256/{digest.split(':')[1]}", blob) for digest, blob in blobs.items()]
    members += [("index.json", json.dumps(index).encode()), ("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')]
    return _archive(members)


def _put(blobs: dict[str, bytes], blob: bytes) -> str:
    digest = f"sha256:{hashlib.sha256(blob).hexdigest()}"
    blobs[digest] = blob
    return digest


def _archive(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, content in members:
            _add(archive, tarfile.TarInfo(name), content)
    return buffer.getvalue()


def config_id(archive: bytes, index: int = 0) -> str:
    """The image id (config digest) of the ``index``-th image of an old-layout archive."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    return "sha256:" + manifest[index]["Config"].removesuffix(".json")


class OneWayStream(io.RawIOBase):
    """Bytes that can only be read forward, in the small pieces a pipe gives: like `docker save`'s stdout."""

    def __init__(self, data: bytes, piece: int = 65536) -> None:
        self._data = memoryview(data)
        self._offset = 0
        self._piece = piece

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._piece, len(self._data) - self._offset)
        buffer[:count] = self._data[self._offset : self._offset + count]
        self._offset += count
        return count
