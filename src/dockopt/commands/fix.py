"""`dockopt fix PATH...`: apply fixes; by default print the diff and write nothing."""

from __future__ import annotations

import difflib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dockopt.commands.lint import LintOptions, collect_files, exit_code, resolve_config
from dockopt.errors import EXIT_ERROR
from dockopt.findings import Finding, InputError
from dockopt.fix import FixOutcome, fix_text
from dockopt.syntax import load_file


@dataclass(frozen=True)
class FixOptions:
    lint: LintOptions
    write: bool = False
    unsafe: bool = False
    show_diff: bool = True


def run_fix(options: FixOptions, stream: TextIO | None = None, err: TextIO | None = None) -> int:
    out = stream or sys.stdout
    log = err or sys.stderr
    config = resolve_config(options.lint)
    files = collect_files(options.lint.paths, config)
    remaining: list[Finding] = []
    errors: list[InputError] = []
    fixed_files = 0
    for path, display in files:
        df = load_file(path, display)
        if df.errors:
            errors.extend(InputError(display, e.line, e.message, e.column) for e in df.errors)
            for error in df.errors:
                log.write(f"{display}:{error.line}:{error.column}: DO900 {error.message} (not fixed)\n")
            continue
        outcome = fix_text(df.text, config, unsafe=options.unsafe, display_path=display)
        remaining.extend(outcome.remaining)
        if not outcome.changed:
            continue
        fixed_files += 1
        if options.show_diff or not options.write:
            out.writelines(_diff(outcome, display))
        if options.write:
            write_atomically(path, outcome.text)
        _report(outcome, display, options.write, log)
    verb = "Fixed" if options.write else "Would fix"
    log.write(f"{verb} {fixed_files} of {len(files)} files; {len(remaining)} findings remain.\n")
    if errors:
        return EXIT_ERROR
    return exit_code(remaining, False, config.fail_on)


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
