"""Which Python packages are heavy: installed once in a base image, never again in the images built on it.

Read by the image graph (DO603, ``dockopt graph``), by ``measure`` (heavy distributions per layer and across
images) and by ``init``; kept apart so that reading this list costs no import of the graph.
"""

from __future__ import annotations

from dockopt.shell.requirements import canonical_name

HEAVY_PACKAGES = frozenset(
    {
        "torch", "torchvision", "torchaudio", "pytorch", "pytorch-cuda", "tensorflow", "tensorflow-gpu",
        "tensorflow-cpu", "tf-nightly", "jax", "jaxlib", "paddlepaddle", "paddlepaddle-gpu", "mxnet", "cupy",
        "onnxruntime-gpu", "tensorrt", "triton", "xformers", "vllm", "deepspeed", "flash-attn", "bitsandbytes",
        "cudatoolkit", "cudnn", "opencv-python", "opencv-python-headless", "opencv-contrib-python",
        "opencv-contrib-python-headless",
    }
)  # fmt: skip
_HEAVY_PREFIXES = ("nvidia-", "cupy-cuda", "jax-cuda")
_NOT_HEAVY = frozenset({"nvidia-ml-py", "nvidia-ml-py3"})  # small bindings, no CUDA libraries


def is_heavy(name: str) -> bool:
    """A package of several hundred MB or more (with its CUDA libraries): torch, tensorflow, nvidia-*…"""
    name = canonical_name(name)
    return name in HEAVY_PACKAGES or (name.startswith(_HEAVY_PREFIXES) and name not in _NOT_HEAVY)
