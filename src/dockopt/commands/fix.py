"""`dockopt fix PATH...`: apply fixes; by default print the diff and write nothing."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dockopt.commands.lint import LintOptions, collect, exit_code, resolve_config
from dockopt.config import Config
from dockopt.engine import DockerCLI, Engine
from dockopt.errors import EXIT_ERROR, EXIT_FINDINGS, UsageError
from dockopt.findings import Finding, FixSafety, InputError
from dockopt.fix import FixOutcome, fix_text
from dockopt.fix.verify import Comparison, Difference, Variant, Verdict, Verification, cache_root, verify_fixes
from dockopt.rules._digests import digests_from_local_engine
from dockopt.syntax import load_file
from dockopt.units import format_bytes

# Differences listed one by one in a verification report; the rest are counted.
_LISTED_DIFFERENCES = 15


@dataclass(frozen=True)
class FixOptions:
    lint: LintOptions
    write: bool = False
    unsafe: bool = False
    show_diff: bool = True
    verify_build: bool = False
    context: str | None = None  # the build context for --verify-build (default: each Dockerfile's directory)


@digests_from_local_engine  # DO301 pins base images with the local engine's digests while fixing (never in lint)
def run_fix(
    options: FixOptions, stream: TextIO | None = None, err: TextIO | None = None, engine: Engine | None = None
) -> int:
    """Fix every file; with ``verify_build``, build each changed file before and after on ``engine``
    (default: the docker client) and write it only when the verification passes."""
    out = stream or sys.stdout
    log = err or sys.stderr
    config = resolve_config(options.lint)
    # A directory is a repository: fixes see what in-repo base images hand down, and which images are bases.
    files, inherited = collect(options.lint.paths, config)
    if options.context is not None and not Path(options.context).is_dir():
        raise UsageError(f"--context {options.context}: no such directory")
    if options.verify_build and engine is None:
        engine = DockerCLI()
    remaining: list[Finding] = []
    errors: list[InputError] = []
    failed_verifications = 0
    fixed_files = 0
    for path, display in files:
        df = load_file(path, display)
        if df.errors:
            errors.extend(InputError(display, e.line, e.message, e.column) for e in df.errors)
            for error in df.errors:
                log.write(f"{display}:{error.line}:{error.column}: DO900 {error.message} (not fixed)\n")
            continue
        outcome = fix_text(
            df.text, config, unsafe=options.unsafe, display_path=display, inherited=inherited.get(path)
        )
        remaining.extend(outcome.remaining)
        if not outcome.changed:
            continue
        if options.show_diff or not options.write:
            out.writelines(_diff(outcome, display))
        if engine is not None:
            verification = _verify(engine, path, display, outcome, options, config)
            _render_verification(verification, display, out)
            if not verification.passed:
                failed_verifications += 1
                remaining.extend(outcome.applied)  # not written: what the fixes fixed is still there
                log.write(f"{display}: verification failed; the fixes are not applied\n")
                continue
        fixed_files += 1
        if options.write:
            write_atomically(path, outcome.text)
        _report(outcome, display, options.write, log)
    verb = "Fixed" if options.write else "Would fix"
    for finding in sorted(remaining, key=Finding.sort_key):
        offer = "" if finding.fix is None else f" [{finding.fix.safety.value} fix: {finding.fix.description}]"
        log.write(
            f"{finding.file}:{finding.location.line}:{finding.location.column}: remains: "
            f"{finding.rule} {finding.message}{offer}\n"
        )
    log.write(f"{verb} {fixed_files} of {len(files)} files; {len(remaining)} findings remain.\n")
    if errors:
        return EXIT_ERROR
    code = exit_code(remaining, False, config.fail_on)
    # a fix that could not be proven is a problem left in the file, whatever its findings' severity
    return max(code, EXIT_FINDINGS) if failed_verifications else code


def _diff(outcome: FixOutcome, display: str) -> list[str]:
    return list(
        difflib.unified_diff(
            outcome.original.splitlines(keepends=True),
            outcome.text.splitlines(keepends=True),
            fromfile=f"a/{display.lstrip('/')}",
            tofile=f"b/{display.lstrip('/')}",
        )
    )


def _report(outcome: FixOutcome, display: str, written: bool, log: TextIO) -> None:
    for finding in outcome.applied:
        description = finding.fix.description if finding.fix else finding.name
        state = "fixed" if written else "fixable"
        log.write(f"{display}:{finding.location.line}: {finding.rule} {state}: {description}\n")


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same directory and a rename; the file mode is kept."""
    mode = path.stat().st_mode & 0o7777
    directory = path.resolve().parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockopt-tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp_name).chmod(mode)
        Path(temp_name).replace(path.resolve())
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def _verify(
    engine: Engine, path: Path, display: str, outcome: FixOutcome, options: FixOptions, config: Config
) -> Verification:
    """Build the file as it is, with its safe fixes and, with --unsafe-fixes, with all of them."""
    context = Path(options.context) if options.context is not None else path.parent
    if not options.unsafe:
        return verify_fixes(engine, path, context, outcome.text)
    safe = fix_text(outcome.original, config, unsafe=False, display_path=display, inherited=outcome.inherited)
    declared = tuple(
        f"{f.rule} (line {f.line}): {f.fix.description}"
        for f in outcome.applied
        if f.fix is not None and f.fix.safety is FixSafety.UNSAFE
    )
    return verify_fixes(engine, path, context, safe.text, outcome.text, declared)


def _render_verification(verification: Verification, display: str, out: TextIO) -> None:
    out.write(f"verify-build {display}:\n")
    for variant in verification.variants:
        out.write(_variant_line(variant))
    together = "both" if len(verification.variants) == 2 else "all"
    out.write(f"  {together} build: {'yes' if verification.all_build else 'no'}\n")
    safe = verification.safe_comparison
    if safe is not None:
        _render_comparison(safe, "files that differ", out)
        result = "passed" if safe.equivalent else f"FAILED: {len(safe.violations)} difference(s) outside caches"
        out.write(f"  safe fixes: {result}\n")
    if verification.unsafe is not None:
        out.write("  the unsafe fixes declare:\n")
        out.writelines(f"    {line}\n" for line in verification.declared)
        if verification.unsafe_comparison is not None:
            reference = "safe fixes" if verification.safe is not None else "original"
            _render_comparison(verification.unsafe_comparison, f"observed (all fixes against {reference})", out)
    out.write(f"  verification: {'passed' if verification.passed else 'FAILED'}\n")


def _variant_line(variant: Variant) -> str:
    build = variant.build
    if build.ok and variant.image_size is not None:
        return f"  {variant.label:<11} built in {build.seconds:.1f}s, image {format_bytes(variant.image_size)}\n"
    where = f" at {build.failed_step.name}" if build.failed_step is not None else ""
    tail = "".join(f"      {line}\n" for line in build.tail().splitlines())
    return f"  {variant.label:<11} FAILED after {build.seconds:.1f}s (exit {build.exit_code}){where}:\n{tail}"


def _render_comparison(comparison: Comparison, title: str, out: TextIO) -> None:
    removed = comparison.having(Verdict.CACHE_REMOVED)
    ignored = comparison.having(Verdict.IGNORED)
    others = comparison.violations
    out.write(
        f"  {title}: {len(comparison.differences)} ({len(removed)} removed from caches, "
        f"{len(ignored)} ignored: bytecode, logs, /tmp, caches refilled; {len(others)} other)\n"
    )
    by_cache: dict[str, list[Difference]] = {}
    for difference in removed:
        by_cache.setdefault(cache_root(difference.path) or difference.path, []).append(difference)
    for root, differences in sorted(by_cache.items()):
        saved = sum(d.bytes_saved for d in differences)
        out.write(f"    removed from cache {root}: {len(differences)} entries, {format_bytes(saved)}\n")
    largest = sorted(others, key=lambda d: (-abs(d.bytes_saved), d.path))
    for difference in largest[:_LISTED_DIFFERENCES]:
        reasons = f": {', '.join(difference.reasons)}" if difference.reasons else ""
        out.write(f"    {difference.change.value:<8} {difference.path}{reasons}\n")
    if len(largest) > _LISTED_DIFFERENCES:
        out.write(f"    ... and {len(largest) - _LISTED_DIFFERENCES} more\n")
    out.write(
        f"  bytes saved: {format_bytes(comparison.bytes_saved)} of file content "
        f"({format_bytes(comparison.bytes_before)} -> {format_bytes(comparison.bytes_after)})\n"
    )

