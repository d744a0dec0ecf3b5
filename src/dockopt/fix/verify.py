"""Proving a fix by building it: the original and the fixed Dockerfile, their final filesystems compared.

Two builds of the same Dockerfile are never byte-identical (DESIGN.md, "Filesystem equivalence"), so
the comparison is of path, type, mode, owner, size and content hash; modification times are not
compared, and differences in these places are ignored whatever they are:

- bytecode: ``*.pyc`` and ``__pycache__`` (written at install or import time, with timestamps);
- logs and scratch space: ``/var/log``, ``/tmp``;
- ``/var/cache/fontconfig``: fc-cache files carry build timestamps (they differ between two builds of
  one Dockerfile that installs fonts, e.g. with ffmpeg).
- ``/var/cache/ldconfig``: ldconfig's aux-cache records inode numbers and times (it differed between
  two ``--no-cache`` builds of one Dockerfile here);
- package caches and lists: ``/root/.cache`` and ``/home/*/.cache`` (pip, uv, and anything else that
  follows XDG), npm's ``~/.npm``, ``/var/cache/apt``, ``/var/cache/apk``, ``/var/lib/apt/lists``.

What a safe fix may change is the last group, and only by removing files (a cache mount or a cleanup
keeps them out of the image): those removals are reported as such and counted in the bytes saved.
Any other difference fails verification. Unsafe fixes change the image on purpose; their observed
difference is reported next to the one their fixes declare, and only a failed build fails them.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from dockopt.engine import BuildResult, Engine, Entry, EntryType

NOISE_PATHS = ("/var/log", "/tmp", "/var/cache/ldconfig", "/var/cache/fontconfig")
CACHE_PATHS = ("/root/.cache", "/root/.npm", "/var/cache/apt", "/var/cache/apk", "/var/lib/apt/lists")
VERIFY_REPOSITORY = "dockopt-verify"


class Change(Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class Verdict(Enum):
    IGNORED = "ignored"  # differs between any two builds of one Dockerfile
    CACHE_REMOVED = "cache removed"  # what a safe fix may do
    VIOLATION = "violation"


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    change: Change
    before: Entry | None
    after: Entry | None
    verdict: Verdict

    @property
    def reasons(self) -> tuple[str, ...]:
        """What changed, for a path in both: ``mode 0644 -> 0755``, ``owner 0:0 -> 1000:1000``, ``content``."""
        if self.before is None or self.after is None:
            return ()
        a, b = self.before, self.after
        reasons: list[str] = []
        if a.type is not b.type:
            reasons.append(f"type {a.type.value} -> {b.type.value}")
        if a.mode != b.mode:
            reasons.append(f"mode {a.mode:04o} -> {b.mode:04o}")
        if (a.uid, a.gid) != (b.uid, b.gid):
            reasons.append(f"owner {a.uid}:{a.gid} -> {b.uid}:{b.gid}")
        if a.link_target != b.link_target:
            reasons.append(f"link {a.link_target} -> {b.link_target}")
        if a.sha256 != b.sha256 and a.type is b.type:
            reasons.append(f"content ({a.size:,} -> {b.size:,} bytes)" if a.size != b.size else "content")
        return tuple(reasons)

    @property
    def bytes_saved(self) -> int:
        return _stored_bytes(self.before) - _stored_bytes(self.after)


@dataclass(frozen=True, slots=True)
class Comparison:
    """How the filesystem of one image differs from another's."""

    differences: tuple[Difference, ...]
    bytes_before: int  # file content, each hard-linked file once
    bytes_after: int

    @property
    def bytes_saved(self) -> int:
        return self.bytes_before - self.bytes_after

    @property
    def violations(self) -> tuple[Difference, ...]:
        return self.having(Verdict.VIOLATION)

    @property
    def equivalent(self) -> bool:
        """True when only caches were removed and only noise changed: what a safe fix may do."""
        return not self.violations

    def having(self, verdict: Verdict) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.verdict is verdict)


def is_noise(path: str) -> bool:
    """Paths that differ between two builds of one Dockerfile (caches excepted: see ``cache_root``)."""
    parts = path.split("/")
    return parts[-1].endswith(".pyc") or "__pycache__" in parts or _under(path, NOISE_PATHS)


def cache_root(path: str) -> str | None:
    """The package cache or list directory ``path`` is in (``/root/.cache``, ``/home/app/.cache``), if any."""
    for root in CACHE_PATHS:
        if _under(path, (root,)):
            return root
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "home" and parts[3] in (".cache", ".npm"):
        return "/".join(parts[:4])
    return None


def classify(path: str, change: Change) -> Verdict:
    if is_noise(path):
        return Verdict.IGNORED
    if cache_root(path) is not None:
        return Verdict.CACHE_REMOVED if change is Change.REMOVED else Verdict.IGNORED
    return Verdict.VIOLATION


def compare_filesystems(before: Mapping[str, Entry], after: Mapping[str, Entry]) -> Comparison:
    """Every path whose entry differs (mtimes aside), classified; and the bytes of file content on each side."""
    differences: list[Difference] = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path), after.get(path)
        if a is not None and b is not None and _identity(a) == _identity(b):
            continue
        change = Change.ADDED if a is None else Change.REMOVED if b is None else Change.CHANGED
        differences.append(Difference(path, change, a, b, classify(path, change)))
    return Comparison(tuple(differences), _total(before), _total(after))


@dataclass(frozen=True, slots=True)
class Variant:
    """One Dockerfile built for verification: what it is, how the build went, how big the image is."""

    label: str  # "original", "safe fixes", "all fixes"
    build: BuildResult
    image_size: int | None  # bytes; None when it did not build


@dataclass(frozen=True, slots=True)
class Verification:
    """The builds of one Dockerfile before and after fixing, and how their filesystems differ.

    ``safe`` is the file with the safe fixes only (None when they change nothing), compared with the
    original; ``unsafe`` the file with every fix (None unless unsafe fixes were applied), compared with
    ``safe`` (or the original), so that its differences are the unsafe fixes' own.
    """

    original: Variant
    safe: Variant | None
    safe_comparison: Comparison | None
    unsafe: Variant | None
    unsafe_comparison: Comparison | None
    declared: tuple[str, ...]  # what the unsafe fixes say they change

    @property
    def variants(self) -> tuple[Variant, ...]:
        return tuple(v for v in (self.original, self.safe, self.unsafe) if v is not None)

    @property
    def all_build(self) -> bool:
        return all(v.build.ok for v in self.variants)

    @property
    def passed(self) -> bool:
        """Everything builds, and the safe fixes changed nothing but caches."""
        return self.all_build and (self.safe_comparison is None or self.safe_comparison.equivalent)


def verify_fixes(
    engine: Engine,
    dockerfile: Path,
    context: Path,
    safe_text: str,
    unsafe_text: str | None = None,
    declared: Sequence[str] = (),
) -> Verification:
    """Build ``dockerfile`` as it is and as fixed, compare the images; the images are removed afterwards.

    The fixed texts are written to a temporary directory outside the context (with the file's own
    ``<name>.dockerignore``, if it has one), so the context is the same for every build; each is built
    right after the original, with ``--no-cache``, so that all of them resolve floating dependencies at
    the same moment.
    """
    plan: list[tuple[str, str | None]] = [("original", None)]  # None: the file as it is on disk
    if safe_text != dockerfile.read_bytes().decode("utf-8"):  # as read for fixing: line endings kept
        plan.append(("safe fixes", safe_text))
    if unsafe_text is not None and unsafe_text != safe_text:
        plan.append(("all fixes", unsafe_text))
    token = uuid.uuid4().hex[:12]
    tags: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="dockopt-verify-") as scratch:
            variants: dict[str, Variant] = {}
            for label, text in plan:
                tag = f"{VERIFY_REPOSITORY}:{token}-{label.replace(' ', '-')}"
                tags.append(tag)
                path = dockerfile if text is None else _scratch_copy(dockerfile, text, Path(scratch) / label)
                variants[label] = _build(engine, context, path, tag, label)
            return _compare(engine, variants, tuple(declared))
    finally:
        for tag in tags:
            engine.remove_image(tag)


def _build(engine: Engine, context: Path, dockerfile: Path, tag: str, label: str) -> Variant:
    result = engine.build(context, dockerfile, tag, no_cache=True)
    size = engine.inspect(tag).size if result.ok else None
    return Variant(label, result, size)


def _compare(engine: Engine, variants: Mapping[str, Variant], declared: tuple[str, ...]) -> Verification:
    original, safe, unsafe = variants["original"], variants.get("safe fixes"), variants.get("all fixes")
    filesystems = {label: engine.image_filesystem(v.build.tag) for label, v in variants.items() if v.build.ok}
    safe_comparison = unsafe_comparison = None
    if safe is not None and {"original", "safe fixes"} <= filesystems.keys():
        safe_comparison = compare_filesystems(filesystems["original"], filesystems["safe fixes"])
    reference = "safe fixes" if safe is not None else "original"
    if unsafe is not None and {reference, "all fixes"} <= filesystems.keys():
        unsafe_comparison = compare_filesystems(filesystems[reference], filesystems["all fixes"])
    return Verification(original, safe, safe_comparison, unsafe, unsafe_comparison, declared)


def _scratch_copy(dockerfile: Path, text: str, directory: Path) -> Path:
    directory.mkdir()
    copy = directory / dockerfile.name
    copy.write_text(text, encoding="utf-8", newline="")
    # BuildKit reads <Dockerfile>.dockerignore next to the Dockerfile before the context's .dockerignore.
    own_ignore = dockerfile.with_name(f"{dockerfile.name}.dockerignore")
    if own_ignore.is_file():
        (directory / own_ignore.name).write_bytes(own_ignore.read_bytes())
    return copy


def _identity(entry: Entry) -> tuple[object, ...]:
    """What is compared: all but the path, and whether a file's content is shared by a hard link."""
    return (entry.type, entry.mode, entry.uid, entry.gid, entry.size, entry.sha256, entry.link_target)


def _stored_bytes(entry: Entry | None) -> int:
    if entry is None or entry.type is not EntryType.FILE or entry.hardlink_to is not None:
        return 0
    return entry.size


def _total(entries: Mapping[str, Entry]) -> int:
    return sum(_stored_bytes(e) for e in entries.values())


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root + "/") for root in roots)
