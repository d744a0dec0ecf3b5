"""The image graph: images, bases, build order, cycles and heavy packages, on fixture repositories and the example."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.heavy import is_heavy
from dockopt.repo.graph import ImageGraph, build_graph, familiar_name

REPOS = Path(__file__).parent.parent / "fixtures" / "repos"
EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "ml-pipeline"


@pytest.fixture(scope="module")
def example() -> ImageGraph:
    return build_graph(EXAMPLE)


def _heavy(graph: ImageGraph, name: str) -> list[tuple[str, str | None]]:
    return [(p.spec, p.requirement) for p in graph.images[name].heavy_packages]


def test_example_hierarchy(example: ImageGraph) -> None:
    """The hierarchy of examples/ml-pipeline/EXPECTED.md, as a maintainer draws it."""
    parents = {name: image.parents for name, image in example.images.items()}
    assert parents == {
        "pipeline-cpu-base": (),
        "pipeline-cuda-base": (),
        "pipeline-ml-base": ("pipeline-cuda-base",),
        "pipeline-ingest": ("pipeline-cpu-base",),
        "pipeline-align": ("pipeline-cpu-base",),
        "pipeline-asr": ("pipeline-ml-base",),
        "pipeline-diarize": ("pipeline-ml-base",),
        "pipeline-summarize": ("pipeline-ml-base",),
        "pipeline-train": ("pipeline-ml-base",),
        "pipeline-export": ("pipeline-ml-base",),
    }
    assert example.images["pipeline-cpu-base"].primary_base.resolved == "python:3.11-slim-bookworm"  # type: ignore[union-attr]
    assert example.external_bases() == {
        "ghcr.io/astral-sh/uv:latest": ["pipeline-train"],
        "nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04": ["pipeline-cuda-base"],
        "python:3.11-slim-bookworm": ["pipeline-cpu-base"],
        "wheel-builder": ["pipeline-summarize"],  # COPY --from=wheel-builder: no such stage, so an image
    }
    assert example.errors == ()
    assert example.warnings == ()
    assert example.cycles == ()


def test_example_build_order(example: ImageGraph) -> None:
    order = example.build_order
    assert order[:3] == ("pipeline-cpu-base", "pipeline-cuda-base", "pipeline-ml-base")
    position = {name: i for i, name in enumerate(order)}
    for name, image in example.images.items():
        for parent in image.parents:
            assert position[parent] < position[name], (parent, name)
    assert sorted(order) == sorted(example.images)


def test_example_references(example: ImageGraph) -> None:
    asr = example.images["pipeline-asr"]
    [base] = asr.bases
    assert (base.line, base.kind, base.match, base.primary) == (4, "from", "exact", True)
    assert base.written == "${REGISTRY}/pipeline-ml-base:${BASE_TAG}"
    assert base.resolved == "localhost:5000/pipeline-ml-base:2024.06"
    assert asr.tags == ("localhost:5000/pipeline-asr:2024.06",)
    # one image, declared by the script and by the compose file
    assert [(b.source, b.line) for b in asr.builds] == [("scripts/build_all.sh", 19), ("docker-compose.yml", 23)]
    train = example.images["pipeline-train"]
    assert [(b.line, b.resolved, b.image, b.primary) for b in train.bases] == [
        (4, "ghcr.io/astral-sh/uv:latest", None, False),
        (6, "localhost:5000/pipeline-ml-base:2024.06", "pipeline-ml-base", True),
    ]


def test_example_heavy_packages(example: ImageGraph) -> None:
    assert _heavy(example, "pipeline-ml-base") == [
        ("torch==2.2.2", "requirements/ml.txt:3"),
        ("torchaudio==2.2.2", "requirements/ml.txt:4"),
    ]
    assert _heavy(example, "pipeline-asr") == [("torch==2.1.0", None), ("torchaudio==2.1.0", None)]
    assert [(p.file, p.line) for p in example.images["pipeline-asr"].heavy_packages] == [
        ("docker/stages/asr/Dockerfile", 13),
        ("docker/stages/asr/Dockerfile", 13),
    ]
    assert _heavy(example, "pipeline-align") == [("torch==2.2.2", None), ("torchaudio==2.2.2", None)]
    for name in ("pipeline-cpu-base", "pipeline-cuda-base", "pipeline-ingest", "pipeline-diarize", "pipeline-export"):
        assert _heavy(example, name) == []


def test_example_script_order_is_kept(example: ImageGraph) -> None:
    """What DO604 needs: the script's builds in the order they run, each tied to its image."""
    image_of = {id(b): image.name for image in example.images.values() for b in image.builds}
    scripted = [image_of[id(b)] for b in example.builds if b.source == "scripts/build_all.sh"]
    assert scripted.index("pipeline-asr") < scripted.index("pipeline-ml-base")
    assert [r.line for r in example.rewrites] == [15]
    assert example.sources == ("scripts/build_all.sh", "docker-compose.yml")


def test_scripted_fixture() -> None:
    graph = build_graph(REPOS / "scripted")
    assert graph.build_order == ("shop-base", "shop-api", "shop-debug", "shop-worker", "tools")
    base = graph.images["shop-base"]
    assert base.primary_base is not None and base.primary_base.resolved == "python:3.12-slim"  # build arg PY_VERSION
    # -r torch.txt, through COPY base/ /tmp/base/
    assert _heavy(graph, "shop-base") == [("torch==2.3.1+cpu", "images/base/torch.txt:3")]
    # the target is runtime, so the dev stage's pytest is not part of it
    assert _heavy(graph, "shop-api") == [("opencv-python-headless==4.10.0.84", None)]
    # through RUN --mount=type=bind,source=worker/requirements.txt
    assert _heavy(graph, "shop-worker") == [("tensorflow-cpu==2.16.1", "images/worker/requirements.txt:2")]
    worker = graph.images["shop-worker"]
    [ref] = worker.bases
    # FROM $REGISTRY/shop-base (latest) against shop-base:1.4: the registry is a variable, so the name decides
    assert (ref.resolved, ref.image, ref.match) == ("registry.local:5000/shop-base", "shop-base", "name")
    debug = graph.images["shop-debug"]
    assert (debug.parents, debug.bases[0].match) == (("shop-api",), "exact")
    tools = graph.images["tools"]  # no build mentions it: named after its directory
    assert (tools.builds, tools.context, tools.tags) == ((), "tools", ())
    assert graph.images["shop-api"].target == "runtime"


def test_baked_fixture() -> None:
    graph = build_graph(REPOS / "baked")
    assert graph.build_order == ("cuda", "trainer", "acme-notebook", "server", "sidecar")
    links = {name: [(b.image, b.match) for b in image.bases if b.image] for name, image in graph.images.items()}
    assert links == {
        "cuda": [],
        "trainer": [("cuda", "context")],  # contexts = { cuda-base = "target:cuda" }
        "server": [("cuda", "exact")],  # args BASE = "${REGISTRY}/cuda-base:${VERSION}"
        "acme-notebook": [("trainer", "exact")],  # compose args, REGISTRY from .env
        "sidecar": [("acme-notebook", "context")],  # additional_contexts app: service:notebook
    }
    assert _heavy(graph, "cuda") == [("jax==0.4.30", None)]
    assert _heavy(graph, "server") == [("vllm==0.5.0", None)]
    assert graph.external_bases()["ghcr.io/astral-sh/uv:0.4.0"] == ["trainer"]


def test_cycle_fixture() -> None:
    graph = build_graph(REPOS / "cycle")
    [cycle] = graph.cycles
    assert cycle.images == ("a", "b")
    assert cycle.files == ("a/Dockerfile", "b/Dockerfile")
    assert graph.build_order == ("d", "a", "b", "c")


def test_broken_fixture() -> None:
    graph = build_graph(REPOS / "broken")
    assert [(e.file, e.line) for e in graph.errors] == [
        ("docker-bake.hcl", 4),
        ("docker-compose.yml", 5),
        ("bad/Dockerfile", 2),
    ]
    assert [(w.file, w.line, w.message) for w in graph.warnings] == [
        ("build.sh", 3, "missing/Dockerfile: no such Dockerfile")
    ]
    assert set(graph.images) == {"bad", "gone", "ok"}  # the other files still give their images


def test_bake_json_fixture() -> None:
    graph = build_graph(REPOS / "bakejson")
    assert graph.build_order == ("base", "app")
    assert graph.images["app"].bases[0].resolved == "example/base:1.0"
    assert _heavy(graph, "base") == [("tensorflow>=2.16", None)]


def test_builds_of_one_dockerfile(tmp_path: Path) -> None:
    """Same Dockerfile: one image when the builds agree, one per variant when their args differ."""
    (tmp_path / "Dockerfile").write_text("ARG VARIANT=cpu\nFROM example/base-${VARIANT}:1\n")
    (tmp_path / "build.sh").write_text(
        "for v in cpu cuda; do docker build --build-arg VARIANT=$v -t app:$v .; done\n"
        "docker build --build-arg VARIANT=cpu -t app:cpu-again .\n"
        "docker build --target dev -t app:dev .\n"
    )
    graph = build_graph(tmp_path)
    images = {name: (image.tags, image.args, image.target) for name, image in graph.images.items()}
    assert images == {
        "app": (("app:cpu", "app:cpu-again"), {"VARIANT": "cpu"}, None),
        "app-2": (("app:cuda",), {"VARIANT": "cuda"}, None),
        "app-dev": (("app:dev",), {}, "dev"),
    }
    assert [b.resolved for b in graph.images["app-2"].bases] == ["example/base-cuda:1"]
    assert [w.message for w in graph.warnings] == ["Dockerfile has no stage dev"]


def test_unresolved_from_keeps_the_variable(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("ARG REGISTRY\nFROM ${REGISTRY}/acme/base:${TAG:-2}\n")
    (tmp_path / "build.sh").write_text("docker build -t registry.example/acme/base:2 base\n")
    graph = build_graph(tmp_path)
    [ref] = graph.images["app"].bases
    assert ref.resolved == "${REGISTRY}/acme/base:2"
    assert (ref.image, ref.match) == ("base", "name")


def test_literal_registries_must_agree(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM quay.io/acme/base:2\nCOPY --from=acme/base:2 / /\n")
    (tmp_path / "build.sh").write_text("docker build -t registry.example/acme/base:2 base\n")
    graph = build_graph(tmp_path)
    assert [(b.resolved, b.image) for b in graph.images["app"].bases] == [
        ("quay.io/acme/base:2", None),
        ("acme/base:2", None),
    ]


def test_copy_from_an_image_of_the_repository(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text(
        "FROM python:3.12-slim\n"
        "COPY --from=acme/tools /bin/tool /bin/tool\n"
        "RUN --mount=type=bind,from=acme/tools:latest,target=/t true\n"
    )
    (tmp_path / "docker-compose.yml").write_text(
        "services:\n  tools:\n    build: tools\n    image: acme/tools\n  app:\n    build: app\n"
    )
    graph = build_graph(tmp_path)
    app = graph.images["app"]
    assert [(b.kind, b.image, b.primary) for b in app.bases] == [
        ("from", None, True),
        ("copy", "tools", False),
        ("mount", "tools", False),
    ]
    assert graph.build_order == ("tools", "app")


def test_heavy_package_sources(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["torch>=2", "requests"]\n')
    (tmp_path / "requirements.txt").write_text(
        "jax[cuda12]==0.4.30 \\\n    ; python_version >= '3.10'\n-r missing.txt\n"
    )
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim AS build\n"
        "WORKDIR /src\n"
        "COPY . .\n"
        "RUN pip install . && pip install -r requirements.txt\n"
        "RUN conda install -y pytorch && uv pip install nvidia-ml-py nvidia-cudnn-cu12\n"
        "FROM build\n"
    )
    graph = build_graph(tmp_path)
    [image] = graph.images.values()
    assert [(p.spec, p.manager, p.line, p.requirement) for p in image.heavy_packages] == [
        ("torch>=2", "pip", 4, "pyproject.toml:3"),
        ("jax==0.4.30", "pip", 4, "requirements.txt:1"),
        ("pytorch", "conda", 5, None),
        ("nvidia-cudnn-cu12", "uv", 5, None),
    ]


@pytest.mark.parametrize(
    ("name", "heavy"),
    [
        ("torch", True),
        ("Torch_Audio", False),
        ("torchaudio", True),
        ("nvidia-cublas-cu12", True),
        ("nvidia-ml-py", False),
        ("opencv-python-headless", True),
        ("numpy", False),
        ("cupy-cuda12x", True),
    ],
)
def test_is_heavy(name: str, heavy: bool) -> None:
    assert is_heavy(name) is heavy


@pytest.mark.parametrize(
    ("reference", "familiar"),
    [
        ("docker.io/library/alpine:latest", "alpine"),
        ("alpine:3.20", "alpine:3.20"),
        ("docker.io/acme/app:1", "acme/app:1"),
        ("localhost:5000/pipeline-ml-base:2024.06", "localhost:5000/pipeline-ml-base:2024.06"),
        ("ghcr.io/acme/app:latest", "ghcr.io/acme/app"),
    ],
)
def test_familiar_name(reference: str, familiar: str) -> None:
    assert familiar_name(reference) == familiar
