"""`dockopt verify ROOT`: a policy's requirements checked against a repository, as a scored report.

Exit codes: 0, or 1 when ``--fail-under`` is given and the overall score is below it; 2 for a bad
policy file, a bad results file, or a bad command line.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from dockopt.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from dockopt.report import verify_html, verify_json, verify_markdown
from dockopt.results import load_results
from dockopt.verify.evaluate import evaluate
from dockopt.verify.policy import load_policy

FORMATS = ("md", "html", "json")


@dataclass(frozen=True)
class VerifyOptions:
    root: str
    policy: str | None = None
    results: str | None = None
    output_format: str = "md"
    output: str | None = None
    fail_under: float | None = None


def run_verify(options: VerifyOptions, stream: TextIO | None = None, log: TextIO | None = None) -> int:
    root = Path(options.root)
    if not root.is_dir():
        raise UsageError(f"{options.root}: not a directory")
    if options.output_format not in FORMATS:
        raise UsageError(f"unknown format {options.output_format!r} (expected one of {', '.join(FORMATS)})")
    if options.fail_under is not None and not 0 <= options.fail_under <= 100:
        raise UsageError(f"--fail-under {options.fail_under:g}: a score is between 0 and 100")
    policy = load_policy(Path(options.policy) if options.policy else None)
    results = load_results(Path(options.results)) if options.results else None
    report = evaluate(root, options.root, policy, results, options.results, options.fail_under)
    buffer = io.StringIO()
    if options.output_format == "json":
        verify_json.render(report, buffer)
    else:
        # Evidence links are relative to where the report is read: the output file's directory, or here.
        link_base = root.as_posix()
        if options.output:
            link_base = os.path.relpath(root.resolve(), Path(options.output).resolve().parent).replace(os.sep, "/")
        renderer = verify_html if options.output_format == "html" else verify_markdown
        renderer.render(report, buffer, link_base=link_base)
    if options.output:
        write_text_atomically(Path(options.output), buffer.getvalue())
        score = "n/a" if report.score is None else f"{report.score:.1f}/100"
        (log or sys.stderr).write(f"dockopt verify: score {score}; report written to {options.output}\n")
    else:
        (stream or sys.stdout).write(buffer.getvalue())
    return EXIT_FINDINGS if report.failed else EXIT_OK


def write_text_atomically(path: Path, text: str) -> None:
    """A temporary file in the target's directory, then a rename: never a half-written report."""
    directory = path.resolve().parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".dockopt-tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp_name).chmod(0o644)
        Path(temp_name).replace(path.resolve())
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
