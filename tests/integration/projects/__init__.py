"""The integration corpus (``corpus.toml``): which images there are, how to build them, in which order.

Used by ``tests/integration/test_verify_build.py`` and ``benchmarks/fix_outcomes.py``. A project is the
first folder of its Dockerfile's path: tests copy it whole, so the original files are never written.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

CORPUS_ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CorpusImage:
    name: str
    dockerfile: str  # relative to the corpus root, "/"-separated
    context: str
    touch: str
    tag: str | None = None  # set for base images other corpus images build FROM

    @property
    def project(self) -> str:
        """The project folder: everything the image's build needs is in it."""
        return self.dockerfile.split("/", 1)[0]

    def dockerfile_in(self, root: Path) -> Path:
        return root / self.dockerfile

    def context_in(self, root: Path) -> Path:
        return root / self.context


def load_corpus(root: Path = CORPUS_ROOT) -> list[CorpusImage]:
    """The images of ``corpus.toml``, in build order."""
    data = tomllib.loads((root / "corpus.toml").read_text(encoding="utf-8"))
    images = []
    for entry in data["image"]:
        dockerfile = entry.get("dockerfile", f"{entry['name']}/Dockerfile")
        context = entry.get("context", dockerfile.rsplit("/", 1)[0])
        images.append(CorpusImage(entry["name"], dockerfile, context, entry["touch"], entry.get("tag")))
    return images
