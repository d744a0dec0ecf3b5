"""The bundled examples against their answer keys (examples/*/EXPECTED.md).

For every rule dockopt implements, each expected finding must be reported (recall), and every
finding must be one the key expects (precision). Rules not implemented yet are skipped by rule id,
so this test tightens by itself as the catalog grows.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dockopt.commands.lint import collect
from dockopt.config import Config
from dockopt.lint import lint_files, lint_repository
from dockopt.rules.registry import all_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_RULE = re.compile(r"^DO\d{3}$")
_LINES = re.compile(r"\d+")


@dataclass(frozen=True)
class Expected:
    rule: str
    file: str
    lines: frozenset[int]  # the line and the related lines


def _expected_rows(key: Path, sections: tuple[str, ...]) -> list[Expected]:
    rows: list[Expected] = []
    current = ""
    for line in key.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line
            continue
        if not any(current.startswith(s) for s in sections) or not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        rule_cells = [c for c in cells if _RULE.match(c)]
        file_cells = [
            c for c in cells if "Dockerfile" in c or c.endswith((".sh", ".yml", ".md", ".txt", ".dockerignore"))
        ]
        if not rule_cells or not file_cells:
            continue
        file_index = cells.index(file_cells[0])
        numbers = {int(n) for cell in cells[file_index + 1 : cells.index(rule_cells[0])] for n in _LINES.findall(cell)}
        rows.append(Expected(rule_cells[0], file_cells[0], frozenset(numbers)))
    return rows


def _allowed(key: Path) -> list[tuple[str, str]]:
    """(rule, file glob) pairs from section D ("not asserted"): reporting them is neither required nor wrong."""
    allowed: list[tuple[str, str]] = []
    in_d = False
    for line in key.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            in_d = line.startswith("## D.")
            continue
        if not in_d or not line.lstrip().startswith("-"):
            continue
        rules = re.findall(r"DO\d{3}", line)
        globs = re.findall(r"[\w.*-]+/[\w./*-]*Dockerfile|[\w.*-]+/[\w./*-]+\.txt", line)
        stages = re.findall(r"\b(ingest|asr|diarize|align|summarize|train|export)(?=[:\s])", line)
        globs += [f"docker/stages/{stage}/Dockerfile" for stage in stages]
        for rule in rules:
            allowed += [(rule, g) for g in globs] or [(rule, "*")]
    return allowed


def _findings(root: Path) -> list[tuple[str, str, int, int]]:
    """Lint the example as a repository: its build script links each stage to its in-repo base, and the
    repository rules (DO6xx) report on the whole tree."""
    config = Config()
    found, inherited = collect((str(root),), config)
    files = [(path, path.relative_to(root).as_posix()) for path, _ in found]
    results = lint_files(files, config, jobs=1, inherited=inherited)
    repository = lint_repository(root, "", {display: r for (_, display), r in zip(files, results, strict=True)}, config)
    return [
        (f.rule, f.file, f.location.line, f.location.end_line)
        for f in [*(f for r in results for f in r.findings), *repository]
    ]


CASES = [
    ("ml-pipeline", ("## A.", "## B.")),
    ("webapp", ("## Mild",)),
    ("ml-serving", ("## A.", "## B.")),
]


@pytest.mark.parametrize(("example", "sections"), CASES)
def test_example_matches_its_answer_key(example: str, sections: tuple[str, ...]) -> None:
    root = EXAMPLES / example
    implemented = set(all_rules())
    expected = [e for e in _expected_rows(root / "EXPECTED.md", sections) if e.rule in implemented]
    found = _findings(root)
    for item in expected:
        hits = [f for f in found if f[0] == item.rule and f[1] == item.file and _overlaps(f, item.lines)]
        assert hits, f"missed {item.rule} at {item.file}:{sorted(item.lines)}"
    allowed = _allowed(root / "EXPECTED.md")
    for finding in found:
        rule, file, _, _ = finding
        ok = any(e.rule == rule and e.file == file and _overlaps(finding, e.lines) for e in expected)
        ok = ok or any(rule == r and fnmatch.fnmatchcase(file, g) for r, g in allowed)
        assert ok, f"unexpected {rule} at {file}:{finding[2]} (not in {example}/EXPECTED.md)"


def test_answer_key_is_parsed() -> None:
    rows = _expected_rows(EXAMPLES / "ml-pipeline" / "EXPECTED.md", ("## A.", "## B."))
    assert len(rows) >= 30
    assert Expected("DO510", "docker/stages/export/Dockerfile", frozenset({5})) in rows
    assert Expected("DO602", ".dockerignore", frozenset({4})) in rows
    assert Expected("DO604", "scripts/build_all.sh", frozenset({19, 18, 23})) in rows


def _overlaps(finding: tuple[str, str, int, int], lines: frozenset[int]) -> bool:
    _, _, start, end = finding
    return any(start <= line <= end for line in lines)
