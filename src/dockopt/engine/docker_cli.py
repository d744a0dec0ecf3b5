"""The engine behind the docker command-line client.

Builds go through the CLI because the Docker SDK's build() is not BuildKit: ``docker buildx build
--load`` when the client has buildx, else ``DOCKER_BUILDKIT=1 docker build`` (Docker 20.10, as
Debian ships it, has BuildKit built in but no buildx). An image's files come from ``docker create``
+ ``docker export``: one stream of the final filesystem, every layer and whiteout already applied by
the daemon, read in one pass with no temporary copy. Saved images (``measure``) are read straight from
the engine's API when the client would reach a local engine over its unix socket (as dive reads them:
no client process copying 650 MB through a pipe), else through ``docker save``.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

from dockopt.engine.base import BuildResult, Engine, ImageInfo
from dockopt.engine.build_process import BuildProcess, BuildRequest
from dockopt.engine.filesystem import Entry, read_filesystem
from dockopt.engine.layers import SavedImage, read_saved_images
from dockopt.engine.progress import parse_progress
from dockopt.errors import EngineError

# Docker's predefined proxy build args: passed on when the host has them set (so builds reach the
# network the way the host does) and, being predefined, kept out of the image's history.
PROXY_ARGS = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "FTP_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "ftp_proxy",
    "all_proxy",
)
# What a container's init layer puts over the image's own files (moby daemon/initlayer): an export
# shows the container's versions of these, so they say nothing about the image.
INIT_LAYER_PATHS = (
    "/.dockerenv",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/etc/mtab",
    "/dev/console",
    "/dev/pts",
    "/dev/shm",
    "/proc",
    "/sys",
)
_COMMAND_TIMEOUT = 120  # seconds, for every command but build and export
_SAVE_PIECE = 1 << 20  # bytes


def find_client() -> str:
    """The docker client: ``$DOCKOPT_DOCKER``, else Debian's /usr/bin/docker, else ``docker`` on PATH."""
    configured = os.environ.get("DOCKOPT_DOCKER")
    if configured:
        return configured
    # /usr/local/bin/docker is on some hosts a newer client that insists on buildx; Debian's client
    # talks to the 20.10 engine with the built-in BuildKit (scripts/ensure-docker picks it the same way).
    if os.access("/usr/bin/docker", os.X_OK):
        return "/usr/bin/docker"
    found = shutil.which("docker")
    if found is None:
        raise EngineError(
            "no docker client found: install Docker (or run scripts/ensure-docker), "
            "or name the client in DOCKOPT_DOCKER"
        )
    return found


class DockerCLI(Engine):
    """``Engine`` implemented with the docker client (``client``: its path; default ``find_client()``)."""

    def __init__(self, client: str | None = None) -> None:
        self.client = client or find_client()
        self._answered = False
        self._buildx: bool | None = None

    def build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        target: str | None = None,
    ) -> BuildResult:
        request = BuildRequest(context, dockerfile, (tag,), dict(build_args or {}), no_cache, target)
        start = time.monotonic()
        process = self.start_build(request)
        try:
            log = "".join(line + "\n" for line in process.lines())
            code = process.wait()
        except BaseException:
            process.stop()  # Ctrl-C: the client runs in its own process group, so nothing else stops it
            raise
        seconds = time.monotonic() - start
        image_id = self.inspect(tag).id if code == 0 else None
        return BuildResult(tag, code, seconds, log, tuple(parse_progress(log)), image_id)

    def start_build(self, request: BuildRequest) -> BuildProcess:
        """Start building ``request`` with ``--progress=plain``; the caller reads its lines and waits for it."""
        if not request.context.is_dir():
            raise EngineError(f"build context {request.context} is not a directory")
        self._check_engine()
        command = [self.client, "buildx", "build", "--load"] if self._has_buildx() else [self.client, "build"]
        command += ["--progress=plain", "--file", str(request.dockerfile)]
        for tag in request.tags:
            command += ["--tag", tag]
        for name, value in request.build_args.items():
            command += ["--build-arg", f"{name}={value}"]
        for name in PROXY_ARGS:
            if name in os.environ and name not in request.build_args:
                command += ["--build-arg", name]  # the value comes from the environment
        if request.no_cache:
            command.append("--no-cache")
        if request.target:
            command += ["--target", request.target]
        command.append(str(request.context))
        return BuildProcess(command, {**os.environ, "DOCKER_BUILDKIT": "1"})

    def inspect(self, image: str) -> ImageInfo:
        self._check_engine()
        proc = self._docker("image", "inspect", image)
        if proc.returncode != 0:
            raise EngineError(f"the engine has no image {image}: {_last_line(proc.stderr)}")
        info: dict[str, Any] = json.loads(proc.stdout)[0]
        return ImageInfo(
            id=info["Id"],
            size=int(info.get("Size") or 0),
            tags=tuple(info.get("RepoTags") or ()),
            repo_digests=tuple(info.get("RepoDigests") or ()),
        )

    def remove_image(self, image: str) -> None:
        self._check_engine()
        proc = self._docker("image", "rm", "--force", image)
        if proc.returncode != 0 and "No such image" not in proc.stderr:
            raise EngineError(f"cannot remove image {image}: {_last_line(proc.stderr)}")

    def image_filesystem(self, image: str) -> dict[str, Entry]:
        self._check_engine()
        # A container is never started: `true` only satisfies images that have no CMD.
        created = self._docker("create", image, "true")
        if created.returncode != 0:
            raise EngineError(f"cannot create a container of {image}: {_last_line(created.stderr)}")
        container = created.stdout.strip()
        try:
            return self._export(container, image)
        finally:
            self._docker("rm", "--force", container)

    def saved_images(self, images: Sequence[str], *, hash_contents: bool = False) -> list[SavedImage]:
        # One save for all images: a layer they share comes once; its stream is read as it is written.
        # The engine is checked only when the save fails (to say why): the save itself starts at once.
        socket_path = _local_engine_socket()
        if socket_path is not None:
            # Straight from the engine's API, as dive reads it: no client process copying the stream.
            with contextlib.suppress(OSError):
                return self._saved_from_socket(socket_path, images, hash_contents)
        command = [self.client, "save", *images]
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        assert isinstance(proc.stdout, io.RawIOBase)  # stdout=PIPE, unbuffered
        try:
            saved = read_saved_images(_read_in_large_pieces(proc.stdout), hash_contents=hash_contents)
        except BaseException as exc:
            proc.kill()  # it would block forever on a pipe nobody reads
            _, stderr = proc.communicate()
            if isinstance(exc, EngineError) and stderr.strip():  # the stream broke because docker failed
                self._check_engine()
                raise _save_failed(images, stderr) from exc
            raise
        _, stderr = proc.communicate()
        if proc.returncode != 0:
            self._check_engine()
            raise _save_failed(images, stderr)
        return saved

    def _saved_from_socket(self, socket_path: str, images: Sequence[str], hash_contents: bool) -> list[SavedImage]:
        query = urllib.parse.urlencode([("names", image) for image in images])
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(socket_path)
            # HTTP/1.0: the engine sends the body as it is, up to the end of the connection (no chunks to decode)
            connection.sendall(f"GET /images/get?{query} HTTP/1.0\r\nHost: docker\r\n\r\n".encode())
            response = connection.makefile("rb", buffering=_SAVE_PIECE)
            status = response.readline().split(maxsplit=2)
            while response.readline() not in (b"\r\n", b"\n", b""):
                pass  # headers
            if len(status) < 2 or status[1] != b"200":
                message = response.read(64 << 10).decode(errors="replace").strip()
                with contextlib.suppress(ValueError, AttributeError):
                    message = json.loads(message)["message"]
                self._check_engine()
                raise _save_failed(images, message.encode())
            return read_saved_images(cast(IO[bytes], response), hash_contents=hash_contents)
        finally:
            connection.close()

    def _export(self, container: str, image: str) -> dict[str, Entry]:
        proc = subprocess.Popen([self.client, "export", container], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdout is not None  # stdout=PIPE
        try:
            entries = read_filesystem(proc.stdout, exclude=INIT_LAYER_PATHS)
        except BaseException:
            proc.kill()  # it would block forever on a pipe nobody reads
            proc.communicate()
            raise
        _, stderr = proc.communicate()
        if proc.returncode != 0:
            message = _last_line(stderr.decode(errors="replace"))
            raise EngineError(f"cannot export the files of {image}: {message}")
        return entries

    def _check_engine(self) -> None:
        if self._answered:
            return
        proc = self._docker("version", "--format", "{{.Server.Version}}")
        if proc.returncode != 0:
            raise EngineError(
                f"no Docker engine answers `{self.client} version`: {_last_line(proc.stderr)} "
                "(start one, or run scripts/ensure-docker)"
            )
        self._answered = True

    def _has_buildx(self) -> bool:
        if self._buildx is None:
            self._buildx = self._docker("buildx", "version").returncode == 0
        return self._buildx

    def _docker(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _run([self.client, *args])


def _run(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command, capture_output=True, text=True, errors="replace", timeout=_COMMAND_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"cannot run {command[0]}: {exc}") from exc


def _read_in_large_pieces(pipe: io.RawIOBase) -> io.BufferedReader:
    """The pipe with a 1 MB kernel buffer where Linux allows it, read 1 MB at a time: the default 64 kB
    pipe wakes both sides for every piece, which cost a third of the scan's CPU time in system calls."""
    if sys.platform == "linux":
        import fcntl

        with contextlib.suppress(OSError):  # /proc/sys/fs/pipe-max-size may be lower
            fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, _SAVE_PIECE)
    return io.BufferedReader(pipe, buffer_size=_SAVE_PIECE)


def _local_engine_socket() -> str | None:
    """The engine's unix socket when the client would talk to a local engine through one; else None."""
    if os.environ.get("DOCKER_CONTEXT") or os.environ.get("DOCKOPT_DOCKER"):
        return None  # the client's configuration decides where the engine is
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return None
    path = host.removeprefix("unix://")
    return path if os.access(path, os.R_OK | os.W_OK) else None


def _save_failed(images: Sequence[str], stderr: bytes) -> EngineError:
    return EngineError(f"cannot save {', '.join(images)}: {_last_line(stderr.decode(errors='replace'))}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no message"
