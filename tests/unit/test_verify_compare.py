"""Filesystem comparison for --verify-build: tar streams read in one pass, differences classified, and the
`fix --verify-build` command on an engine that answers from constructed filesystems (no Docker here)."""

from __future__ import annotations

import hashlib
import io
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.fix import FixOptions, run_fix
from dockopt.commands.lint import LintOptions
from dockopt.config import Config
from dockopt.engine import BuildResult, BuildStep, Engine, Entry, EntryType, ImageInfo, StepStatus, read_filesystem
from dockopt.errors import EngineError, UsageError
from dockopt.fix import fix_text
from dockopt.fix.verify import Change, Verdict, cache_root, classify, compare_filesystems, is_noise

# --- tar streams -----------------------------------------------------------------------------------------


def member(
    name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **attrs: object
) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.mtime = 1_700_000_000
    for key, value in attrs.items():
        setattr(info, key, value)
    if kind in (tarfile.REGTYPE, tarfile.AREGTYPE):
        info.size = len(data)
    return info, data


def tar_bytes(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return buffer.getvalue()


class OneWayStream(io.RawIOBase):
    """A pipe-like stream: read only, no seek and no tell, as `docker export` gives."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def read(*members: tuple[tarfile.TarInfo, bytes], exclude: tuple[str, ...] = ()) -> dict[str, Entry]:
    return read_filesystem(OneWayStream(tar_bytes(*members)), exclude=exclude)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


IMAGE = (
    member("./", tarfile.DIRTYPE),
    member("etc/", tarfile.DIRTYPE),
    member("etc/passwd", data=b"root:x:0:0::/root:/bin/sh\n"),
    member("usr/bin/", tarfile.DIRTYPE),
    member("usr/bin/perl", data=b"#!perl", mode=0o755),
    member("usr/bin/perl5.36", tarfile.LNKTYPE, linkname="usr/bin/perl", mode=0o755),
    member("usr/bin/python", tarfile.SYMTYPE, linkname="python3.11", mode=0o777),
    member("usr/bin/sudo-like", data=b"x", mode=0o4755, uid=0, gid=0),
    member("app/", tarfile.DIRTYPE, uid=1000, gid=1000),
    member("app/data.bin", data=b"\x00" * 3000, uid=1000, gid=1000),
    member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3),
    member("run/fifo", tarfile.FIFOTYPE),
)


def test_read_filesystem_entries() -> None:
    entries = read(*IMAGE)

    assert "/" not in entries
    assert sorted(entries) == [
        "/app",
        "/app/data.bin",
        "/dev/null",
        "/etc",
        "/etc/passwd",
        "/run/fifo",
        "/usr/bin",
        "/usr/bin/perl",
        "/usr/bin/perl5.36",
        "/usr/bin/python",
        "/usr/bin/sudo-like",
    ]
    assert entries["/etc/passwd"] == Entry(
        "/etc/passwd", EntryType.FILE, 0o644, 0, 0, 26, sha(b"root:x:0:0::/root:/bin/sh\n")
    )
    assert entries["/usr/bin/perl5.36"] == Entry(
        "/usr/bin/perl5.36", EntryType.FILE, 0o755, 0, 0, 6, sha(b"#!perl"), hardlink_to="/usr/bin/perl"
    )
    assert entries["/usr/bin/python"].type is EntryType.SYMLINK
    assert entries["/usr/bin/python"].link_target == "python3.11"
    assert entries["/usr/bin/sudo-like"].mode == 0o4755
    assert (entries["/app"].type, entries["/app"].uid, entries["/app"].gid) == (EntryType.DIRECTORY, 1000, 1000)
    assert entries["/app/data.bin"].size == 3000
    assert entries["/dev/null"].type is EntryType.CHAR_DEVICE
    assert entries["/run/fifo"].type is EntryType.FIFO


def test_read_filesystem_ignores_mtimes_and_excludes_paths() -> None:
    later = tuple((_with(info, mtime=1_800_000_000), data) for info, data in IMAGE)
    assert read(*IMAGE) == read(*later)
    assert "/etc/passwd" not in read(*IMAGE, exclude=("/etc/passwd", "/not/there"))


def test_read_filesystem_hard_link_to_an_excluded_file_keeps_its_content() -> None:
    entries = read(*IMAGE, exclude=("/usr/bin/perl",))
    assert entries["/usr/bin/perl5.36"].sha256 == sha(b"#!perl")


def test_read_filesystem_errors() -> None:
    with pytest.raises(EngineError, match="hard link /a to /missing"):
        read(member("a", tarfile.LNKTYPE, linkname="missing"))
    truncated = tar_bytes(member("big", data=b"x" * 5000))[:1024]
    with pytest.raises(EngineError, match="cannot read the image's files"):
        read_filesystem(OneWayStream(truncated))


def _with(info: tarfile.TarInfo, **attrs: object) -> tarfile.TarInfo:
    copy = tarfile.TarInfo(info.name)
    for key in ("type", "mode", "uid", "gid", "size", "linkname", "mtime", "devmajor", "devminor"):
        setattr(copy, key, getattr(info, key))
    for key, value in attrs.items():
        setattr(copy, key, value)
    return copy


# --- classification and comparison ------------------------------------------------------------------


def file(path: str, data: bytes = b"x", mode: int = 0o644, uid: int = 0, gid: int = 0) -> Entry:
    return Entry(path, EntryType.FILE, mode, uid, gid, len(data), sha(data))


def fs(*entries: Entry) -> dict[str, Entry]:
    return {e.path: e for e in entries}


@pytest.mark.parametrize(
    ("path", "noise"),
    [
        ("/usr/lib/python3.11/site-packages/six.cpython-311.pyc", True),
        ("/app/__pycache__", True),
        ("/app/__pycache__/app.cpython-311.pyc", True),
        ("/var/log/dpkg.log", True),
        ("/var/log", True),
        ("/tmp/build/x", True),
        ("/var/cache/ldconfig/aux-cache", True),
        ("/tmpfiles/x", False),
        ("/var/logs/app.log", False),
        ("/app/main.py", False),
        ("/app/pycache_notes.txt", False),
    ],
)
def test_noise_paths(path: str, noise: bool) -> None:
    assert is_noise(path) is noise


@pytest.mark.parametrize(
    ("path", "root"),
    [
        ("/root/.cache/pip/http/a/b", "/root/.cache"),
        ("/root/.cache", "/root/.cache"),
        ("/home/app/.cache/uv/archive-v0/x", "/home/app/.cache"),
        ("/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease", "/var/lib/apt/lists"),
        ("/var/cache/apt/archives/jq_1.6_amd64.deb", "/var/cache/apt"),
        ("/var/cache/apk/APKINDEX.tar.gz", "/var/cache/apk"),
        ("/root/.cachedir/x", None),
        ("/var/cache/aptitude/x", None),
        ("/var/lib/apt/extended_states", None),
        ("/home/app/.config/x", None),
        ("/etc/apt/apt.conf.d/docker-clean", None),
    ],
)
def test_cache_roots(path: str, root: str | None) -> None:
    assert cache_root(path) == root


def test_classify() -> None:
    assert classify("/root/.cache/pip/x", Change.REMOVED) is Verdict.CACHE_REMOVED
    assert classify("/root/.cache/pip/x", Change.ADDED) is Verdict.IGNORED
    assert classify("/var/lib/apt/lists/x", Change.CHANGED) is Verdict.IGNORED
    assert classify("/var/log/apt/history.log", Change.REMOVED) is Verdict.IGNORED
    assert classify("/app/=1.16", Change.REMOVED) is Verdict.VIOLATION
    assert classify("/etc/passwd", Change.CHANGED) is Verdict.VIOLATION


def test_identical_filesystems_are_equivalent() -> None:
    before = fs(file("/etc/passwd"), Entry("/app", EntryType.DIRECTORY, 0o755, 0, 0))
    comparison = compare_filesystems(before, dict(before))
    assert comparison.differences == ()
    assert comparison.equivalent
    assert comparison.bytes_saved == 0


def test_removed_caches_are_allowed_and_counted() -> None:
    pip_wheel = file("/root/.cache/pip/wheels/ab/docopt-0.6.2-py2.py3-none-any.whl", b"w" * 13_000)
    apt_list = file("/var/lib/apt/lists/deb.debian.org_Packages.lz4", b"l" * 9_000)
    app = file("/app/app.py", b"print()")
    before = fs(app, pip_wheel, apt_list, file("/var/log/dpkg.log", b"old"))
    after = fs(app, file("/var/log/dpkg.log", b"new log"))

    comparison = compare_filesystems(before, after)

    assert comparison.equivalent
    assert [d.path for d in comparison.having(Verdict.CACHE_REMOVED)] == [pip_wheel.path, apt_list.path]
    assert [d.path for d in comparison.having(Verdict.IGNORED)] == ["/var/log/dpkg.log"]
    assert comparison.bytes_saved == 13_000 + 9_000 - 4


@pytest.mark.parametrize(
    ("after", "reasons"),
    [
        (file("/app/run.sh", b"echo", mode=0o755), ("mode 0644 -> 0755",)),
        (file("/app/run.sh", b"echo", uid=1000, gid=1000), ("owner 0:0 -> 1000:1000",)),
        (file("/app/run.sh", b"echo hello"), ("content (4 -> 10 bytes)",)),
        (file("/app/run.sh", b"ECHO"), ("content",)),
        (
            Entry("/app/run.sh", EntryType.SYMLINK, 0o777, 0, 0, link_target="/bin/true"),
            ("type file -> symlink", "mode 0644 -> 0777", "link None -> /bin/true"),
        ),
    ],
)
def test_changes_outside_caches_fail_with_their_reason(after: Entry, reasons: tuple[str, ...]) -> None:
    comparison = compare_filesystems(fs(file("/app/run.sh", b"echo")), fs(after))
    assert not comparison.equivalent
    (violation,) = comparison.violations
    assert violation.change is Change.CHANGED
    assert violation.reasons == reasons


def test_added_and_removed_files_outside_caches_fail() -> None:
    comparison = compare_filesystems(fs(file("/app/=1.16", b"")), fs(file("/app/extra.txt")))
    assert [(d.path, d.change) for d in comparison.violations] == [
        ("/app/=1.16", Change.REMOVED),
        ("/app/extra.txt", Change.ADDED),
    ]


def test_hard_link_and_copy_are_the_same_files_but_linked_bytes_count_once() -> None:
    data = b"z" * 1000
    linked = fs(
        file("/usr/bin/perl", data),
        Entry("/usr/bin/perl5", EntryType.FILE, 0o644, 0, 0, 1000, sha(data), hardlink_to="/usr/bin/perl"),
    )
    copied = fs(file("/usr/bin/perl", data), file("/usr/bin/perl5", data))
    comparison = compare_filesystems(linked, copied)
    assert comparison.differences == ()
    assert (comparison.bytes_before, comparison.bytes_after) == (1000, 2000)


# --- the command, on an engine answering from constructed filesystems ----------------------------------

ORIGINAL = "FROM python:3.11-slim\nMAINTAINER Jane <jane@example.com>\nCMD python app.py\n"
Filesystem = Callable[[str], Mapping[str, Entry]]


class FakeEngine(Engine):
    """Builds nothing: a "build" records the Dockerfile's text, the image's files are ``files(text)``."""

    def __init__(self, files: Filesystem, fails: Callable[[str], bool] = lambda text: False) -> None:
        self.files = files
        self.fails = fails
        self.images: dict[str, str] = {}
        self.builds: list[tuple[Path, str, bool]] = []
        self.removed: list[str] = []

    def build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        build_args: Mapping[str, str] | None = None,
        no_cache: bool = False,
        target: str | None = None,
    ) -> BuildResult:
        text = dockerfile.read_text(encoding="utf-8")
        self.builds.append((context, text, no_cache))
        if self.fails(text):
            step = BuildStep(5, "[2/3] RUN make", StepStatus.ERROR, error="exit code: 2", output=("make: *** no rule",))
            return BuildResult(
                tag, 1, 0.5, "#5 [2/3] RUN make\n#5 0.1 make: *** no rule\n#5 ERROR: exit code: 2\n", (step,)
            )
        self.images[tag] = text
        return BuildResult(tag, 0, 1.5, "", (), f"sha256:{len(self.images)}")

    def inspect(self, image: str) -> ImageInfo:
        if image not in self.images:
            raise EngineError(f"no image {image}")
        return ImageInfo(f"sha256:{image}", 150_000_000 + len(self.images[image]))

    def remove_image(self, image: str) -> None:
        self.removed.append(image)
        self.images.pop(image, None)

    def image_filesystem(self, image: str) -> dict[str, Entry]:
        return dict(self.files(self.images[image]))


BASE = fs(file("/usr/local/bin/python", b"elf"), file("/app/app.py", b"print('hi')"))


def run(
    tmp_path: Path,
    engine: FakeEngine,
    *,
    write: bool = True,
    unsafe: bool = False,
    context: str | None = None,
    select: tuple[str, ...] = ("DO510",),
) -> tuple[int, str, str]:
    dockerfile = tmp_path / "Dockerfile"
    if not dockerfile.exists():
        dockerfile.write_text(ORIGINAL, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    options = FixOptions(
        LintOptions(paths=(str(dockerfile),), select=select, isolated=True),
        write=write,
        unsafe=unsafe,
        show_diff=not write,
        verify_build=True,
        context=context,
    )
    code = run_fix(options, out, err, engine=engine)
    return code, out.getvalue(), err.getvalue()


def test_verified_fix_is_written_and_the_images_removed(tmp_path: Path) -> None:
    engine = FakeEngine(lambda text: BASE)

    code, out, _ = run(tmp_path, engine)

    written = (tmp_path / "Dockerfile").read_text(encoding="utf-8")
    assert written == fix_text(ORIGINAL, Config(select=("DO510",))).text != ORIGINAL
    assert "verification: passed" in out
    assert "both build: yes" in out
    assert [text for _, text, _ in engine.builds] == [ORIGINAL, written]  # the original first, then the fix
    assert all(no_cache for _, _, no_cache in engine.builds)
    assert {context for context, _, _ in engine.builds} == {tmp_path}  # the Dockerfile's directory
    assert len(engine.removed) == 2
    assert engine.images == {}
    assert code in (0, 1)


def test_removed_cache_passes_and_is_reported(tmp_path: Path) -> None:
    cache = file("/root/.cache/pip/http/x/y", b"c" * 2_500_000)
    engine = FakeEngine(lambda text: fs(*BASE.values(), cache) if "MAINTAINER" in text else BASE)

    _, out, _ = run(tmp_path, engine, write=False)

    assert "removed from cache /root/.cache: 1 entries, 2.5 MB" in out
    assert "bytes saved: 2.5 MB" in out
    assert "verification: passed" in out
    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == ORIGINAL  # no --write


def test_difference_outside_caches_blocks_the_write(tmp_path: Path) -> None:
    engine = FakeEngine(lambda text: fs(*BASE.values(), file("/app/=1.16", b"")) if "MAINTAINER" in text else BASE)

    code, out, err = run(tmp_path, engine)

    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == ORIGINAL
    assert "removed  /app/=1.16" in out
    assert "safe fixes: FAILED: 1 difference(s) outside caches" in out
    assert "verification: FAILED" in out
    assert "verification failed; the fixes are not applied" in err
    assert code == 1
    assert len(engine.removed) == 2


def test_failed_build_blocks_the_write_and_shows_the_log(tmp_path: Path) -> None:
    engine = FakeEngine(lambda text: BASE, fails=lambda text: "MAINTAINER" not in text)

    code, out, _ = run(tmp_path, engine)

    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == ORIGINAL
    assert "safe fixes  FAILED after 0.5s (exit 1) at [2/3] RUN make:" in out
    assert "make: *** no rule" in out
    assert "both build: no" in out
    assert code == 1


def test_unsafe_fixes_are_declared_and_observed_against_the_safe_ones(tmp_path: Path) -> None:
    # DO510 (safe) and DO212 (unsafe: python:3.11 -> python:3.11-slim) fix different lines
    original = "FROM python:3.11\nMAINTAINER Jane <jane@example.com>\n"
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(original, encoding="utf-8")
    select = ("DO510", "DO212")
    safe = fix_text(original, Config(select=select)).text
    every_fix = fix_text(original, Config(select=select), unsafe=True).text
    assert original != safe != every_fix
    full_image = fs(*BASE.values(), file("/usr/bin/gcc", b"g" * 40_000_000))
    engine = FakeEngine(lambda text: full_image if text.startswith("FROM python:3.11\n") else BASE)

    code, out, _ = run(tmp_path, engine, unsafe=True, select=select)

    assert [text for _, text, _ in engine.builds] == [original, safe, every_fix]
    assert "all build: yes" in out
    assert "safe fixes: passed" in out
    assert "the unsafe fixes declare:\n    DO212 (line 1): " in out
    assert "observed (all fixes against safe fixes): 1" in out
    assert "removed  /usr/bin/gcc" in out
    assert "verification: passed" in out  # unsafe fixes change the image on purpose: only builds gate them
    assert dockerfile.read_text(encoding="utf-8") == every_fix
    assert len(engine.removed) == 3
    assert code in (0, 1)


def test_context_option(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    engine = FakeEngine(lambda text: BASE)
    run(tmp_path, engine, context=str(tmp_path / "ctx"))
    assert {context for context, _, _ in engine.builds} == {tmp_path / "ctx"}
    with pytest.raises(UsageError, match="no such directory"):
        run(tmp_path, engine, context=str(tmp_path / "missing"))


def test_engine_error_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(ORIGINAL, encoding="utf-8")
    monkeypatch.setenv("DOCKOPT_DOCKER", str(tmp_path / "no-docker"))

    result = CliRunner().invoke(main, ["fix", "--verify-build", "--write", "--isolated", str(dockerfile)])

    assert result.exit_code == 2
    assert "dockopt: error: cannot run" in result.output
    assert dockerfile.read_text(encoding="utf-8") == ORIGINAL


def test_nothing_to_fix_builds_nothing(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text('FROM python:3.11-slim\nCMD ["python", "app.py"]\n', encoding="utf-8")
    engine = FakeEngine(lambda text: BASE)
    run(tmp_path, engine)
    assert engine.builds == []
