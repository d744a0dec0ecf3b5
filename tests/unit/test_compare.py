"""`dockopt compare` on results files written by the tests: figures, changes, totals, added/removed, bad files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.compare import compare_files
from dockopt.report.comparison import Change, format_change, format_figure


def results(path: Path, images: dict[str, Any], **top: Any) -> Path:
    document = {"tool": "dockopt", "kind": "results", "schema": 1, "version": "0.1.0", "created": "x",
                "images": images, **top}  # fmt: skip
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def measure(size: int, wasted: int, heavy: int) -> dict[str, int]:
    return {"size": size, "wasted_bytes": wasted, "heavy_copies": heavy}


@pytest.fixture
def before(tmp_path: Path) -> Path:
    return results(
        tmp_path / "before.json",
        {
            "base": {"tag": "acme/base:1", "build": {"ok": True, "no_cache": True, "seconds": 40.0,
                     "tags": ["acme/base:1"]}, "measure": measure(500_000_000, 20_000_000, 1)},
            "asr": {"rebuild": {"cold": 20.0, "code_change": 18.0}, "measure": measure(600_000_000, 90_000_000, 2)},
            "legacy": {"measure": measure(1_000, 0, 0), "rebuild": {"cold": 1.0, "code_change": 1.0}},
        },
        duplicates={"heavy_packages": {"numpy": 3}},
    )  # fmt: skip


@pytest.fixture
def after(tmp_path: Path) -> Path:
    return results(
        tmp_path / "after.json",
        {
            "base": {"tag": "acme/base:1", "build": {"ok": True, "no_cache": True, "seconds": 30.0,
                     "tags": ["acme/base:1"]}},
            "acme/base:1": {"measure": measure(400_000_000, 0, 1)},
            "asr": {"rebuild": {"cold": 15.0, "code_change": 1.5}, "measure": measure(450_000_000, 0, 1)},
            "llm": {"measure": {"size": 5_000, "wasted_bytes": None}},
        },
    )  # fmt: skip


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["compare", *args])
    return result.exit_code, result.output


def test_figures_and_changes_per_image(before: Path, after: Path) -> None:
    comparison = compare_files(before, after, "before.json", "after.json")
    rows = {row.name: row for row in comparison.images}
    assert list(rows) == ["base", "asr", "legacy", "llm"]
    asr = rows["asr"].figures
    assert asr["size"] == Change(600_000_000, 450_000_000)
    assert asr["size"].delta == -150_000_000 and asr["size"].relative == -0.25
    assert asr["cold_build"] == Change(20.0, 15.0)
    assert asr["code_change_rebuild"] == Change(18.0, 1.5)
    base = rows["base"].figures
    assert base["cold_build"] == Change(40.0, 30.0)  # build.seconds of a --no-cache build
    assert base["size"] == Change(500_000_000, 400_000_000)  # measured as acme/base:1, built as base
    assert base["code_change_rebuild"] == Change(None, None)
    assert rows["legacy"].status == "removed" and rows["llm"].status == "added"
    assert rows["llm"].figures["size"] == Change(None, 5_000)
    assert "acme/base:1" not in rows


def test_totals_sum_the_images_and_are_unknown_when_one_lacks_a_figure(before: Path, after: Path) -> None:
    total = compare_files(before, after, "b", "a").total.figures
    assert total["size"] == Change(1_100_001_000, 850_005_000)
    assert total["wasted_bytes"] == Change(110_000_000, None)  # llm has no wasted bytes
    assert total["heavy_copies"] == Change(3, None)  # before: from duplicates.heavy_packages; after: llm has none
    assert total["cold_build"] == Change(61.0, None)  # llm has no cold build
    assert total["code_change_rebuild"] == Change(None, None)  # base has none


def test_a_build_with_the_cache_is_no_cold_build(tmp_path: Path) -> None:
    one = results(tmp_path / "one.json", {"x": {"build": {"ok": True, "no_cache": False, "seconds": 3.0}}})
    two = results(tmp_path / "two.json", {"x": {"build": {"ok": False, "no_cache": True, "seconds": 3.0}}})
    figures = compare_files(one, two, "1", "2").images[0].figures
    assert figures["cold_build"] == Change(None, None)


def test_text_table(before: Path, after: Path) -> None:
    code, output = run(str(before), str(after))
    assert code == 0
    lines = output.splitlines()
    assert lines[0] == f"before: {before}"
    assert lines[3].split() == ["image", "figure", "before", "after", "change"]
    asr = lines.index(next(line for line in lines if line.startswith("asr ")))
    assert lines[asr].split() == ["asr", "size", "600.0", "MB", "450.0", "MB", "-150.0", "MB", "(-25.0%)"]
    assert lines[asr + 4].split() == ["code-change", "rebuild", "18.0s", "1.5s", "-16.5s", "(-91.7%)"]
    assert any(line.startswith("legacy (removed)  size") for line in lines)
    assert next(line for line in lines if line.startswith("llm (added)")).split()[-4:] == ["–", "5.0", "kB", "–"]


def test_markdown_table(before: Path, after: Path) -> None:
    code, output = run(str(before), str(after), "--format", "markdown")
    assert code == 0
    lines = output.splitlines()
    assert lines[2] == "| image | figure | before | after | change |"
    assert lines[3] == "|---|---|---:|---:|---:|"
    assert "| **asr** | size | 600.0 MB | 450.0 MB | -150.0 MB (-25.0%) |" in lines
    assert "|  | code-change rebuild | 18.0s | 1.5s | -16.5s (-91.7%) |" in lines
    assert "|  | copies of heavy packages | 3 | – | – |" in lines  # the total
    assert "|  | copies of heavy packages | 2 | 1 | -1 (-50.0%) |" in lines
    assert "| **llm (added)** | size | – | 5.0 kB | – |" in lines


def test_json_output(before: Path, after: Path) -> None:
    code, output = run(str(before), str(after), "--format", "json")
    assert code == 0
    document = json.loads(output)
    assert document["kind"] == "comparison"
    assert [m["key"] for m in document["metrics"]] == [
        "size", "wasted_bytes", "heavy_copies", "cold_build", "code_change_rebuild",
    ]  # fmt: skip
    asr = next(image for image in document["images"] if image["name"] == "asr")
    assert asr["status"] == "both"
    assert asr["figures"]["size"] == {"before": 600_000_000, "after": 450_000_000, "change": -150_000_000,
                                      "relative": -0.25}  # fmt: skip
    assert document["total"]["wasted_bytes"]["after"] is None


def test_formatting() -> None:
    assert format_figure(None, "bytes") == "–"
    assert format_figure(1_234_000_000, "bytes") == "1.23 GB"
    assert format_figure(0, "bytes", signed=True) == "0 B"
    assert format_change(Change(0, 0), "count") == "0 (0.0%)"
    assert format_change(Change(0, 2), "count") == "+2 (–)"
    assert format_change(Change(2.0, None), "seconds") == "–"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not a JSON results file"),
        ('{"tool": "dockopt", "kind": "lint"}', "not a dockopt results file"),
        ('{"tool": "dockopt", "kind": "results", "schema": 1, "images": {"a": {"measure": {"size": "big"}}}}',
         "images.a.measure.size must be a number or null"),
        ('{"tool": "dockopt", "kind": "results", "schema": 1, "images": {"a": {"rebuild": []}}}',
         "images.a.rebuild must be an object"),
        ('{"tool": "dockopt", "kind": "results", "schema": 1, "images": {}, "duplicates": {"heavy_packages": [1]}}',
         "duplicates.heavy_packages must map"),
    ],
)  # fmt: skip
def test_a_bad_file_is_named_and_exits_2(tmp_path: Path, after: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    code, output = run(str(bad), str(after))
    assert code == 2
    assert f"dockopt: error: {bad}" in output and message in output
    code, output = run(str(after), str(tmp_path / "missing.json"))
    assert code == 2 and "missing.json: cannot read results file" in output
