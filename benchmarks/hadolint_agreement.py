"""How often dockopt and hadolint agree, rule by rule, on the test corpus: a markdown table.

For every hadolint code that a dockopt rule names as an equivalent, the instructions both tools
report, those only hadolint reports and those only dockopt reports (``tests/hadolint/compare.py``:
pragmas neutralised, files hadolint cannot parse left out). Below the table, the reviewed reason for
each kind of disagreement (``tests/hadolint/reviewed.toml``); ``--list`` also prints every
disagreement as file:line. ``tests/unit/test_hadolint_agreement.py`` asserts the same figures.

Usage::

    .venv/bin/python benchmarks/hadolint_agreement.py
    .venv/bin/python benchmarks/hadolint_agreement.py --list
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))

import dockopt  # noqa: E402
from corpus import all_cases  # noqa: E402
from hadolint.compare import compare, hadolint_binary, render_table  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--list", action="store_true", help="print every disagreement as file:line")
    args = parser.parse_args(argv)

    cases = all_cases()
    table = compare(cases)
    reviewed = tomllib.loads((TESTS / "hadolint" / "reviewed.toml").read_text(encoding="utf-8"))
    version = subprocess.run([hadolint_binary(), "--version"], capture_output=True, text=True, check=False)

    both = sum(row.both for row in table.values())
    apart = sum(len(row.hadolint_only) + len(row.dockopt_only) for row in table.values())
    print(f"dockopt {dockopt.__version__} vs {version.stdout.strip()}, {len(cases)} Dockerfiles")
    print(f"(tests/corpus: generated + handwritten); {both} findings in common, {apart} apart\n")
    print(render_table(table))
    print("\nWhy they differ (tests/hadolint/reviewed.toml; details in docs/rules/DOnnn.md):\n")
    for code, row in table.items():
        for direction in ("hadolint_only", "dockopt_only"):
            found = getattr(row, direction)
            if not found:
                continue
            why = reviewed.get(code, {}).get("why", {}).get(direction, "NOT REVIEWED")
            print(f"- {code} {direction.replace('_', ' ')} ({len(found)}): {why}")
            if args.list:
                for name, line in found:
                    print(f"    {name}:{line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
