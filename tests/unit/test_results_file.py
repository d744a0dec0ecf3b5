"""The results file shared by build, measure, compare and verify: merge by section, atomic, checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockopt.errors import UsageError
from dockopt.results import load_results, update_results


def test_sections_merge_per_image(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    update_results(path, {"api": {"tag": "api:dev", "build": {"ok": True, "seconds": 3.5}}})
    update_results(path, {"api": {"measure": {"size": 100}}, "worker": {"measure": {"size": 7}}}, {"duplicates": {}})
    document = load_results(path)
    assert document["images"]["api"] == {"tag": "api:dev", "build": {"ok": True, "seconds": 3.5}, "measure": {"size": 100}}
    assert document["images"]["worker"] == {"measure": {"size": 7}}
    assert document["duplicates"] == {}
    assert not [p for p in tmp_path.iterdir() if p.name != "r.json"]  # no temporary file left behind


def test_a_section_written_again_replaces_the_old_one(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    update_results(path, {"api": {"build": {"ok": False, "steps": [1, 2]}}})
    update_results(path, {"api": {"build": {"ok": True}}})
    assert load_results(path)["images"]["api"]["build"] == {"ok": True}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "r.json:1: not a JSON results file"),
        ('{"tool": "hadolint"}', "not a dockopt results file"),
        ('{"tool": "dockopt", "kind": "results", "schema": 99, "images": {}}', "schema 99 is not supported"),
        ('{"tool": "dockopt", "kind": "results", "schema": 1, "images": []}', "'images' must be an object"),
    ],
)
def test_bad_files_are_named_in_the_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "r.json"
    path.write_text(text)
    with pytest.raises(UsageError) as caught:
        load_results(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message
    with pytest.raises(UsageError):
        update_results(path, {"api": {}})
    assert path.read_text() == text  # a bad file is never overwritten


def test_written_document_is_plain_json(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "r.json"
    update_results(path, {"api": {"build": {"seconds": 1.25}}})
    document = json.loads(path.read_text())
    assert document["tool"] == "dockopt" and document["kind"] == "results" and document["schema"] == 1
