"""DO206: torch from the default PyPI index in an image without CUDA/ROCm."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Finding, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules._size import Run, chain, is_cpu_image, is_gpu_image, named_by_argument, runs, split_image
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, Flag, PackageOperation

_TORCH = ("torch", "torchvision", "torchaudio")
_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
_ACTIONS = frozenset({Action.INSTALL, Action.SYNC, Action.UPGRADE, Action.DOWNLOAD, Action.WHEEL})
# An ENV that says the image is meant for GPUs, whatever its base.
_GPU_ENV = ("NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "CUDA_HOME", "CUDA_VERSION", "ROCM_PATH")
_CONFIG_FILES = ("pip.conf", "pip.ini", "uv.toml")


class TorchCudaWheelsOnCpu(Rule):
    """PyTorch installed from the default index into an image that has no CUDA.

    What it does:
        Flags `pip install` / `uv pip install` (and `pip download`/`pip wheel` in a stage the image
        copies from) naming `torch`, `torchvision` or `torchaudio` when the stage is built on an
        image known to have no CUDA or ROCm (`python`, `debian`, `ubuntu`, `alpine`, conda images,
        an image whose name or tag says `cpu`, ...), and the command uses neither PyTorch's CPU
        index (`--index-url`/`--extra-index-url https://download.pytorch.org/whl/cpu`,
        `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`, uv's `--torch-backend`), nor another index, nor a
        `+cpu` version, nor a local wheel or `--no-index`. Bases named by a build argument
        (`FROM ${BASE}`) or not known are not judged, nor are arm64 stages (PyPI's aarch64
        wheels are the CPU build), nor stages with `NVIDIA_VISIBLE_DEVICES`/`CUDA_HOME` set or
        CUDA system packages installed. Requirement files cannot be read by a
        file-level rule, so only packages named on the command line are checked.

    Why is this bad?
        On Linux x86_64 the `torch` wheels on PyPI are the CUDA builds: they depend on the
        `nvidia-*` wheels (cuBLAS, cuDNN, NCCL, ...), about 2.5 GB more than the CPU build. In an
        image that only ever runs on CPUs that is dead weight in every pull, push and node cache.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        RUN pip install --no-cache-dir torch==2.2.2 torchaudio==2.2.2
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu \\
            torch==2.2.2 torchaudio==2.2.2
        ```
        If the image does run on GPUs through the wheels' bundled CUDA, suppress the finding
        with `# dockopt: ignore=DO206`.

    Fix safety:
        Unsafe: the fix adds `--index-url https://download.pytorch.org/whl/cpu`. Other packages of
        the same command are then looked up on that index too (add `--extra-index-url
        https://pypi.org/simple` when they are not there), and the image loses CUDA support.
    """

    id = "DO206"
    name = "torch-cuda-wheels-on-cpu"
    severity = Severity.WARNING
    groups = ("size", "ml")
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        model = ctx.model
        final = model.final
        if final is None:
            return
        bases: dict[int, str | None] = {}

        def cpu_base(stage: StageModel) -> str | None:
            if stage.index not in bases:
                bases[stage.index] = _cpu_base(ctx, stage)
            return bases[stage.index]

        final_base = cpu_base(final)
        # a stage the image copies from brings its packages along (a virtualenv, a wheel directory)
        stages = [
            s
            for s in model.stages
            if s.in_final_image or (final_base is not None and any(model.stages[i].in_final_image for i in s.copied_by))
        ]
        for run in runs(ctx, stages):
            stage = run.state.stage
            base = cpu_base(stage)
            if base is None:
                continue
            for operation in run.operations:
                names = _default_index_torch(run, operation)
                if not names:
                    continue
                command = operation.command
                listed = ", ".join(names)
                yield self.finding(
                    ctx,
                    (command.start, command.end),
                    f"{listed} from the default PyPI index: on Linux x86_64 that is the CUDA build, which pulls "
                    f"~2.5 GB of nvidia-* wheels into an image built on {base} (no CUDA); add "
                    f"`--index-url {_CPU_INDEX}` if the image runs on CPUs",
                )


def _default_index_torch(run: Run, operation: PackageOperation) -> list[str]:
    """The torch packages this command takes from PyPI's default index (CUDA builds)."""
    if operation.manager not in ("pip", "uv") or operation.action not in _ACTIONS:
        return []
    names = [p.name for p in operation.packages if p.name in _TORCH and not _not_from_index(p.specifier)]
    if not names:
        return []
    if Flag.NO_INDEX in operation.flags or operation.find_links:
        return []  # local wheels, or PyTorch's wheel pages
    if operation.index_url and not _is_pypi(operation.index_url):
        return []  # another index: a mirror of unknown content, or PyTorch's own
    if any("download.pytorch.org" in url for url in operation.extra_index_urls):
        return []
    if operation.command.has_flag("--torch-backend") or "UV_TORCH_BACKEND" in run.state.env:
        return []
    if any(mount.target.endswith(_CONFIG_FILES) for mount in run.state.mounts) or any(
        name in run.state.env for name in ("PIP_CONFIG_FILE", "UV_CONFIG_FILE")
    ):
        return []  # an index configured in a file
    if operation.manager == "uv" and operation.command.subcommand == "add":
        return []  # the project's pyproject.toml may name PyTorch's index for it
    return list(dict.fromkeys(names))


def _is_pypi(url: str) -> bool:
    return url.rstrip("/") in ("https://pypi.org/simple", "https://pypi.python.org/simple")


def _not_from_index(specifier: str) -> bool:
    """``==2.2.2+cpu`` only exists on PyTorch's index; ``@ https://…`` is a direct reference."""
    return "+" in specifier or specifier.startswith("@")


def _cpu_base(ctx: FileContext, stage: StageModel) -> str | None:
    """The base image of ``stage``'s chain when it is known to have no CUDA/ROCm, else None."""
    stages = chain(stage)
    root = stages[0]
    if named_by_argument(root) or any(arm in (root.stage.platform or "") for arm in ("arm", "aarch64")):
        return None  # PyPI's Linux aarch64 wheels are the CPU build already
    if is_gpu_image(root.base_image) or not is_cpu_image(root.base_image):
        return None
    for model in stages:
        for state in model.states:
            if any(name in state.env for name in _GPU_ENV):
                return None
            ins = state.instruction
            if ins.keyword in ("COPY", "ADD") and ins.values and ins.values[-1].endswith(_CONFIG_FILES):
                return None  # an index configured in a file
        for run in runs(ctx, [model]):
            if _sets_up_gpu_or_index(run):
                return None
    name, tag = split_image(root.base_image)
    return f"{name}:{tag}" if tag else name


_GPU_PACKAGES = ("cuda", "nvidia-cuda", "rocm", "libcudnn", "pytorch-cuda")


def _sets_up_gpu_or_index(run: Run) -> bool:
    """A RUN that installs CUDA/ROCm system packages, or configures pip's index in a file."""
    if "pip config set" in run.script.text:
        return True
    return any(
        operation.manager in ("apt", "dnf", "yum", "microdnf", "zypper", "conda")
        and any(p.name.startswith(_GPU_PACKAGES) for p in operation.packages)
        for operation in run.operations
    )
