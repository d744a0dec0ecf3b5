"""`dockopt measure` on archives built here, through an engine that serves them: JSON, results file, text,
duplicates across images, and images the engine does not have."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from saved_archives import ImageSpec, OneWayStream, config_id, old_layout
from test_layer_scan import BASE, CHANGES, COMMANDS, TOP

from dockopt.commands.measure import MeasureOptions, run_measure
from dockopt.engine.base import BuildResult, Engine, ImageInfo
from dockopt.engine.filesystem import Entry
from dockopt.engine.layers import SavedImage, read_saved_images
from dockopt.errors import EngineError
from dockopt.results import load_results

SITE = "/usr/local/lib/python3.11/site-packages"
SIX_RECORD = b"six.py,,\nsix-1.16.0.dist-info/METADATA,,\n"  # does not list itself: not in six's size
SIX = [
    ("file", f"{SITE}/six.py", b"s" * 1000),
    ("file", f"{SITE}/six-1.16.0.dist-info/METADATA", b"Name: six\nVersion: 1.16.0\n"),
    ("file", f"{SITE}/six-1.16.0.dist-info/RECORD", SIX_RECORD),
]
SIX_BYTES = 1000 + len(b"Name: six\nVersion: 1.16.0\n")
TORCH = [("file", f"{SITE}/torch-2.1.0.dist-info/METADATA", b"Name: torch\nVersion: 2.1.0\n")]
PIP_TWICE = [  # Debian's pip and a virtualenv's, in one layer: the image's own business, not a duplicate
    ("file", "/usr/lib/python3/dist-packages/pip-23.0.1.dist-info/METADATA", b"Name: pip\nVersion: 23.0.1\n"),
    ("file", f"{SITE}/pip-23.0.1.dist-info/METADATA", b"Name: pip\nVersion: 23.0.1\n"),
]
SHARED_BASE = [("dir", "/usr"), *TORCH, *PIP_TWICE]
APP_A = [("file", "/app/model.bin", b"m" * 5000), ("file", "/app/a.txt", b"a"), *SIX]
APP_B = [("file", "/app/model.bin", b"m" * 5000), ("file", "/app/b.txt", b"bb"), *SIX]


class ArchiveEngine(Engine):
    """Serves images from one in-memory `docker save` archive; records what it was asked."""

    def __init__(self, specs: Mapping[str, ImageSpec]) -> None:
        self.archive = old_layout(list(specs.values()))
        self.ids = {name: config_id(self.archive, index) for index, name in enumerate(specs)}
        self.saved: list[tuple[tuple[str, ...], bool]] = []

    def inspect(self, image: str) -> ImageInfo:
        if image not in self.ids:
            raise EngineError(f"the engine has no image {image}: No such image")
        return ImageInfo(self.ids[image], 1_000_000 + len(image), (image,))

    def saved_images(self, images: Sequence[str], *, hash_contents: bool = False) -> list[SavedImage]:
        self.saved.append((tuple(images), hash_contents))
        return read_saved_images(OneWayStream(self.archive), hash_contents=hash_contents)

    def build(self, *args: object, **kwargs: object) -> BuildResult:
        raise AssertionError("measure builds nothing")

    def remove_image(self, image: str) -> None:
        raise AssertionError("measure removes nothing")

    def image_filesystem(self, image: str) -> dict[str, Entry]:
        raise AssertionError("measure reads saved layers")


def measure(engine: Engine, *images: str, **options: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_measure(MeasureOptions(images, **options), out, err, engine)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_json_of_one_image(tmp_path: Path) -> None:
    engine = ArchiveEngine({"demo:1": ImageSpec([BASE, CHANGES, TOP], COMMANDS)})
    code, out, err = measure(engine, "demo:1", output_format="json", top=2, results=str(tmp_path / "r.json"))
    assert (code, err) == (0, "")
    assert engine.saved == [(("demo:1",), False)]  # one image: no hashing
    document = json.loads(out)
    section = document["images"]["demo:1"]
    assert set(section) == {
        "image", "id", "size", "content_bytes", "layers", "wasted_bytes", "efficiency", "dive",
        "largest_files", "largest_directories", "distributions", "heavy_copies",
    }  # fmt: skip
    assert section["image"] == "demo:1"
    assert section["id"] == engine.ids["demo:1"]
    assert section["size"] == 1_000_006  # as inspect reports it
    assert section["content_bytes"] == 18_943
    assert [(layer["size"], layer["wasted_bytes"], layer["created_by"]) for layer in section["layers"]] == [
        (17_950, 13_950, COMMANDS[0]),
        (570, 0, COMMANDS[1]),
        (423, 0, COMMANDS[2]),
    ]
    assert all(layer["digest"].startswith("sha256:") and layer["distributions"] == [] for layer in section["layers"])
    assert (section["wasted_bytes"], section["efficiency"]) == (13_950, 1 - 13_950 / 18_943)
    assert section["dive"] == {"wasted_bytes": 14_720, "efficiency": 4573 / 18_943, "size_bytes": 18_943}
    assert section["largest_files"] == [{"path": "/usr/bin/tool2", "size": 4000}, {"path": "/app/data/c", "size": 500}]
    assert section["largest_directories"] == [{"path": "/usr", "size": 4000}, {"path": "/usr/bin", "size": 4000}]
    assert (section["distributions"], section["heavy_copies"]) == ([], 0)
    results = load_results(tmp_path / "r.json")
    assert results["images"]["demo:1"]["measure"] == section
    assert (
        results["duplicates"]
        == document["duplicates"]
        == {
            "images": ["demo:1"],
            "distributions": [],
            "files": {"count": 0, "bytes": 0, "largest": []},
            "heavy_packages": {},
        }
    )


def test_duplicates_across_images_that_do_not_share_the_layer() -> None:
    engine = ArchiveEngine(
        {
            "app-a": ImageSpec([SHARED_BASE, APP_A]),
            "app-b": ImageSpec([SHARED_BASE, APP_B]),
            "base": ImageSpec([SHARED_BASE]),
        }
    )
    code, out, _ = measure(engine, "app-a", "app-b", "base", output_format="json")
    assert code == 0
    assert engine.saved == [(("app-a", "app-b", "base"), True)]
    document = json.loads(out)
    assert document["duplicates"] == {
        "images": ["app-a", "app-b", "base"],
        "distributions": [
            {"name": "six", "version": "1.16.0", "images": ["app-a", "app-b"], "copies": 2, "bytes": SIX_BYTES}
        ],
        "files": {
            "count": 4,  # model.bin and six's three files; not a.txt/b.txt (different), nor torch (shared layer)
            "bytes": 5000 + SIX_BYTES + len(SIX_RECORD),
            "largest": [
                {"path": "/app/model.bin", "size": 5000, "copies": 2, "images": ["app-a", "app-b"]},
                {"path": f"{SITE}/six.py", "size": 1000, "copies": 2, "images": ["app-a", "app-b"]},
                {
                    "path": f"{SITE}/six-1.16.0.dist-info/RECORD",
                    "size": len(SIX_RECORD),
                    "copies": 2,
                    "images": ["app-a", "app-b"],
                },
                {
                    "path": f"{SITE}/six-1.16.0.dist-info/METADATA",
                    "size": SIX_BYTES - 1000,
                    "copies": 2,
                    "images": ["app-a", "app-b"],
                },
            ],
        },
        "heavy_packages": {"torch": 1},  # stored once, in the layer the three images share
    }
    assert [document["images"][name]["heavy_copies"] for name in ("app-a", "app-b", "base")] == [1, 1, 1]
    assert document["images"]["app-a"]["layers"][1]["distributions"] == ["six==1.16.0"]


def test_an_image_the_engine_does_not_have_leaves_the_others_measured(tmp_path: Path) -> None:
    engine = ArchiveEngine({"demo:1": ImageSpec([BASE, CHANGES, TOP], COMMANDS)})
    code, out, err = measure(engine, "missing:9", "demo:1", output_format="json", results=str(tmp_path / "r.json"))
    assert code == 2
    assert "dockopt: error: the engine has no image missing:9" in err
    assert list(json.loads(out)["images"]) == ["demo:1"]
    assert list(load_results(tmp_path / "r.json")["images"]) == ["demo:1"]


def test_nothing_measurable() -> None:
    code, out, err = measure(ArchiveEngine({}), "missing:9")
    assert (code, out) == (2, "")
    assert "missing:9" in err


def test_the_same_image_named_twice_is_measured_once_per_name_without_hashing() -> None:
    engine = ArchiveEngine({"demo:1": ImageSpec([BASE, CHANGES, TOP], COMMANDS)})
    engine.ids["demo:latest"] = engine.ids["demo:1"]
    code, out, _ = measure(engine, "demo:1", "demo:latest", "demo:1", output_format="json")
    assert code == 0
    assert engine.saved == [(("demo:1", "demo:latest"), False)]
    document = json.loads(out)
    assert list(document["images"]) == ["demo:1", "demo:latest"]
    assert document["duplicates"]["files"]["count"] == 0


def test_text_report() -> None:
    engine = ArchiveEngine({"app-a": ImageSpec([SHARED_BASE, APP_A]), "app-b": ImageSpec([SHARED_BASE, APP_B])})
    code, out, _ = measure(engine, "app-a", "app-b", top=3)
    assert code == 0
    assert "app-a" in out and "app-b" in out
    assert "Wasted: 0 B, efficiency 100.0%" in out
    assert "dive:   0 B wasted, efficiency 100.0%" in out
    assert "largest files" in out and "/app/model.bin" in out
    assert "largest directories" in out
    assert "six 1.16.0" in out and "torch 2.1.0 (heavy)" in out
    assert "Across 2 images" in out
    assert "Files stored twice: 4 (6.1 kB that one shared layer would save)" in out
    assert "torch ×1" in out


def test_top_must_be_positive() -> None:
    from dockopt.errors import UsageError

    with pytest.raises(UsageError, match="--top"):
        measure(ArchiveEngine({}), "x", top=0)
