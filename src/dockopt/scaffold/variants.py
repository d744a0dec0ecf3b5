"""The image variants `dockopt init` writes: which base image, and where PyTorch's wheels come from.

cpu runs on the official ``python:<version>-slim`` image, or on the image ``--base-image`` names (a
team's registry or mirror of it: ``with_base_image``). cuda and rocm run on the vendors' images
(the accelerator's user-space libraries), which have no Python of the wanted version: the builder
installs a standalone CPython with uv and the runtime copies it, next to the virtualenv.

PyTorch publishes one wheel index per accelerator. PyPI's own torch wheels for Linux pull the
CUDA libraries (several GB) as dependencies, which a CPU image never uses; the CPU index has
wheels without them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dockopt.errors import UsageError

UV_VERSION = "0.13.9"  # the uv the builder stages install (PyPI, or its image for the cuda and rocm builders)
POETRY_VERSION = "2.5.1"
# name[:port]/path:tag, lower-case path components: a tag, and no digest (init looks the digest up)
_TAGGED_IMAGE = re.compile(r"(?:[A-Za-z0-9.-]+(?::\d+)?/)?[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")


@dataclass(frozen=True)
class Variant:
    name: str
    torch_index: str
    base: str | None  # the vendor image; None: python:<version>-slim
    description: str
    python_image: str | None = None  # cpu: the base named by --base-image (a mirror of python:<version>-slim)

    def base_image(self, python: str) -> str:
        return self.base or self.python_image or f"python:{python}-slim"

    @property
    def standalone_python(self) -> bool:
        """The base has no Python of ours: the builder installs one with uv and the runtime copies it."""
        return self.base is not None


VARIANTS = {
    "cpu": Variant("cpu", "https://download.pytorch.org/whl/cpu", None, "CPU only"),
    "cuda": Variant(
        "cuda",
        "https://download.pytorch.org/whl/cu124",
        "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
        "NVIDIA GPUs, CUDA 12.4 runtime libraries",
    ),
    "rocm": Variant(
        "rocm",
        "https://download.pytorch.org/whl/rocm6.2",
        "rocm/dev-ubuntu-22.04:6.2.4",
        "AMD GPUs, ROCm 6.2",
    ),
}


def parse_variants(text: str) -> tuple[Variant, ...]:
    """``cpu,cuda`` -> the variants, in the order given, each once; UsageError for an unknown name."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--variants: name at least one of cpu, cuda, rocm")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        raise UsageError(f"--variants: unknown variant {', '.join(unknown)} (known: {', '.join(VARIANTS)})")
    return tuple(VARIANTS[n] for n in dict.fromkeys(names))


def with_base_image(variants: Sequence[Variant], image: str | None) -> tuple[Variant, ...]:
    """The variants with ``image`` as the cpu variant's base (``--base-image``); UsageError when there is no cpu
    variant, or ``image`` has no tag, ``latest``, or a digest."""
    if image is None:
        return tuple(variants)
    if not any(v.name == "cpu" for v in variants):
        raise UsageError("--base-image replaces the cpu variant's python:<version>-slim; --variants has no cpu")
    if "@" in image:
        raise UsageError(
            f"--base-image {image}: name the tag without a digest; init pins the digest the local engine knows "
            "for it (pull the tag first)"
        )
    if not _TAGGED_IMAGE.fullmatch(image) or image.endswith(":latest"):
        raise UsageError(
            f"--base-image {image}: expected an image with a tag other than latest, such as "
            "registry.example.com/python:3.11-slim"
        )
    return tuple(replace(v, python_image=image) if v.name == "cpu" else v for v in variants)
