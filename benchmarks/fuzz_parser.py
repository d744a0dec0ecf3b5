"""Long-running differential and property fuzzing of the Dockerfile parser (not run in CI).

    .venv/bin/python benchmarks/fuzz_parser.py --seconds 600 --jobs 4

Workers draw inputs from a seeded random stream, in four shapes:

    tokens   Dockerfile-ish ASCII tokens        BuildKit's parser must agree; tree invariants hold
    unicode  the same tokens plus non-ASCII     as tokens, known byte-level deviations excused
    text     arbitrary Unicode text              tree invariants hold (round trip, tiling, spans)
    bytes    arbitrary bytes                     parse_bytes never raises; errors carry a line

A failing input is minimised (lines, then characters, removed while it still fails) and printed
once. The run ends with the number of cases and cases per second; the exit code is 1 when
anything failed. The same checks run in CI with few examples: tests/unit/test_parity_buildkit.py
and tests/unit/test_parser_properties.py.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import AnyStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from corpus.invariants import bytes_violations, text_violations
from corpus.parity import compare, go_byte_quirk, random_token_text

SHAPES = ("tokens", "unicode", "text", "bytes")
BATCH = 400  # cases per task: large enough to amortise the process hop
TASKS_PER_WORKER = 40  # recycle workers: the oracle binding's Go heap only grows
MINIMISE_SECONDS = 20.0

# Characters where Go and Python disagree: white space, digits, case mapping; and plain non-ASCII.
UNICODE_EXTRA = (
    "é", "\u00a0", "\u0085", "\u2028", "\u3000", "ß", "😀", "\u200b", "\x1c", "\ufeff", "\u1680",
    "\u0663", "\u00b2", "\u212a", "\u0130", "\u017f", "\u0131", "\u03a3",
)  # fmt: skip
# Code point ranges for arbitrary text, surrogates included: parse() must take any str.
CODE_POINTS = ((0, 0x7F), (0x80, 0x2FF), (0x2000, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0x1F600, 0x1F64F))


def make_case(rng: random.Random, shape: str) -> str | bytes:
    if shape == "tokens":
        return random_token_text(rng)
    if shape == "unicode":
        return random_token_text(rng, UNICODE_EXTRA * 3)
    if shape == "text":
        pieces = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.3:
                pieces.append(random_token_text(rng)[:12])
            else:
                low, high = rng.choice(CODE_POINTS)
                pieces.append(chr(rng.randint(low, high)))
        return "".join(pieces)
    data = bytearray(random_token_text(rng, UNICODE_EXTRA).encode("utf-8"))
    for _ in range(rng.randint(0, 4)):  # a few random bytes: invalid UTF-8, NULs
        data.insert(rng.randint(0, len(data)), rng.randint(0, 255))
    return bytes(data)


def failures(shape: str, case: str | bytes) -> list[str]:
    """Violated checks for one case; empty when the parser behaves."""
    try:
        if isinstance(case, bytes):
            return bytes_violations(case)
        problems = text_violations(case)
        if shape in ("tokens", "unicode"):
            result = compare(case)
            if not (shape == "unicode" and go_byte_quirk(result.tree)):
                problems += result.problems
        return problems
    except Exception as exc:  # a crash in the comparison is a finding too
        return [f"checking raised {type(exc).__name__}: {exc}"]


def minimise(shape: str, case: str | bytes) -> str | bytes:
    """The failing case with lines, then single characters, removed while it still fails."""
    if isinstance(case, bytes):
        return _shrink(case, b"\n", lambda candidate: bool(failures(shape, candidate)))
    return _shrink(case, "\n", lambda candidate: bool(failures(shape, candidate)))


def _shrink(case: AnyStr, newline: AnyStr, fails: Callable[[AnyStr], bool]) -> AnyStr:
    deadline = time.monotonic() + MINIMISE_SECONDS
    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        lines = case.split(newline)
        candidates = [newline.join(lines[:i] + lines[i + 1 :]) for i in range(len(lines))]
        candidates += [case[:i] + case[i + 1 :] for i in range(len(case))]
        for candidate in candidates:
            if fails(candidate):
                case, changed = candidate, True
                break
    return case


@dataclass
class BatchResult:
    counts: dict[str, int]
    found: list[tuple[str, str | bytes, list[str]]] = field(default_factory=list)


def run_batch(seed: int, shapes: tuple[str, ...]) -> BatchResult:
    rng = random.Random(seed)
    result = BatchResult(dict.fromkeys(shapes, 0))
    for index in range(BATCH):
        shape = shapes[index % len(shapes)]
        case = make_case(rng, shape)
        result.counts[shape] += 1
        if failures(shape, case):
            small = minimise(shape, case)
            result.found.append((shape, small, failures(shape, small)))
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long to run (default 600)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--seed", type=int, default=None, help="seed of the input stream (default: random)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"comma-separated subset of {','.join(SHAPES)}")
    parser.add_argument("--max-failures", type=int, default=25, help="stop after this many distinct failures")
    args = parser.parse_args()
    shapes = tuple(s for s in args.shapes.split(",") if s)
    if not shapes or set(shapes) - set(SHAPES):
        parser.error(f"--shapes must be a subset of {','.join(SHAPES)}")
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"fuzzing the parser for {args.seconds:.0f}s with {args.jobs} jobs, seed {seed}, shapes {','.join(shapes)}")

    totals = dict.fromkeys(shapes, 0)
    seen: set[str | bytes] = set()
    started = time.monotonic()
    last_report = started
    next_batch = 0
    with ProcessPoolExecutor(args.jobs, max_tasks_per_child=TASKS_PER_WORKER) as pool:
        pending: set[Future[BatchResult]] = set()
        while True:
            running = time.monotonic() - started < args.seconds and len(seen) < args.max_failures
            while running and len(pending) < 2 * args.jobs:
                pending.add(pool.submit(run_batch, seed * 1_000_003 + next_batch, shapes))
                next_batch += 1
            if not pending:
                break
            done, pending = wait(pending, timeout=5, return_when=FIRST_COMPLETED)
            for future in done:
                batch = future.result()
                for shape, count in batch.counts.items():
                    totals[shape] += count
                for shape, case, problems in batch.found:
                    if case not in seen:
                        seen.add(case)
                        print(f"\nFAIL [{shape}] {case!r}")
                        for problem in problems:
                            print("  " + problem.replace("\n", "\n  "))
            now = time.monotonic()
            if now - last_report >= 15:
                last_report = now
                cases = sum(totals.values())
                print(f"  {now - started:6.0f}s  {cases} cases  {cases / (now - started):.0f}/s  {len(seen)} failures")

    elapsed = time.monotonic() - started
    cases = sum(totals.values())
    per_shape = ", ".join(f"{shape} {count}" for shape, count in totals.items())
    print(f"\n{cases} cases in {elapsed:.0f}s: {cases / elapsed:.0f} cases/s ({per_shape})")
    print(f"{len(seen)} distinct failures")
    return 1 if seen else 0


if __name__ == "__main__":
    raise SystemExit(main())
