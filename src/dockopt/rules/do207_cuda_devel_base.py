"""DO207: the final image is built on a CUDA -devel image but compiles no CUDA code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules._cache import Run
from dockopt.rules._size import DEVEL, DEVELOPMENT_STAGE_NAMES, chain, image_runs, is_cuda_devel, split_image
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell.packages import Action, PackageOperation
from dockopt.syntax import Form, Instruction

_COMPILERS = frozenset(
    {"nvcc", "make", "cmake", "ninja", "gcc", "g++", "cc", "c++", "clang", "clang++", "bazel", "meson", "scons"}
)
_SETUP_COMMANDS = frozenset({"build", "build_ext", "install", "develop", "bdist_wheel", "bdist_egg"})
# Settings read by CUDA extension builds (torch.utils.cpp_extension, flash-attn, tiny-cuda-nn, ...).
_BUILD_ENV = frozenset(
    {
        "TORCH_CUDA_ARCH_LIST", "FORCE_CUDA", "CUDA_ARCH_LIST", "CMAKE_CUDA_ARCHITECTURES", "TCNN_CUDA_ARCHITECTURES",
        "CUDACXX", "MAX_JOBS", "TORCH_EXTENSIONS_DIR", "DS_BUILD_OPS",
    }
)  # fmt: skip
# Packages that build CUDA extensions from source at install time, or JIT-compile them with nvcc at run time.
_CUDA_SOURCE_PACKAGES = frozenset(
    {
        "flash-attn", "apex", "mmcv", "mmcv-full", "detectron2", "causal-conv1d", "mamba-ssm", "deepspeed",
        "pytorch3d", "torch-scatter", "torch-sparse", "torch-cluster", "torch-spline-conv", "pycuda",
        "tinycudann", "nvdiffrast", "gsplat", "diff-gaussian-rasterization", "simple-knn", "auto-gptq",
        "spconv", "kaolin", "natten", "torch-points-kernels",
    }
)  # fmt: skip
_SOURCE_ARCHIVES = (".tar.gz", ".tgz", ".zip", ".tar.bz2")
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ash"})
_FIXABLE = frozenset({"nvidia/cuda", "nvcr.io/nvidia/cuda", "pytorch/pytorch"})
_CPP_EXTENSION = re.compile(r"cpp_extension|load_inline|\bnvcc\b")


class CudaDevelBase(Rule):
    """The final image is built on a CUDA `-devel` image although nothing in it compiles CUDA code.

    What it does:
        Looks at the image the final stage is built on (through the stages it is built FROM).
        When that is a CUDA `-devel` image (`nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04`,
        `pytorch/pytorch:2.2.2-cuda12.1-cudnn8-devel`) and no RUN of the image compiles
        anything - no `nvcc`, `make`, `cmake`, `ninja` or compiler, no `python setup.py
        build_ext`, no `pip install --no-binary` / `--no-build-isolation`, no VCS or source-archive
        install, no package known to build CUDA extensions (flash-attn, apex, deepspeed, mmcv,
        ...), no `TORCH_CUDA_ARCH_LIST`/`FORCE_CUDA`/`MAX_JOBS`, and no local script whose content
        is unknown - the FROM is reported. A final stage named `dev`, `build` or `builder` is left
        alone. What a requirements file installs cannot be seen; a package in it that compiles
        CUDA code needs a suppression.

    Why is this bad?
        The `-devel` images add the CUDA compiler, headers and static libraries to the
        `-runtime` ones: several GB (`12.1.1-cudnn8-devel` is about 9 GB against 3.5 GB). Running
        CUDA code - PyTorch, ONNX Runtime, TensorRT wheels - needs only the runtime libraries.
        Every image built on the base pays for the difference in pulls, pushes and node disks.

    Example:
        ```dockerfile
        FROM nvidia/cuda:12.1.1-cudnn8-devel-ubuntu22.04
        RUN pip install --no-cache-dir torch==2.2.2
        CMD ["python", "-m", "serve"]
        ```

    Use instead:
        ```dockerfile
        FROM nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04
        RUN pip install --no-cache-dir torch==2.2.2
        CMD ["python", "-m", "serve"]
        ```
        When something does need nvcc, compile it in a `-devel` builder stage and copy the
        result into a `-runtime` final stage.

    Fix safety:
        Unsafe: the fix replaces `-devel` with `-runtime` in the tag (for nvidia/cuda and
        pytorch/pytorch, which publish both). A build step that needs nvcc or the CUDA headers
        after all - from a requirements file, or in an image built FROM this one - then fails.
    """

    id = "DO207"
    name = "cuda-devel-base"
    severity = Severity.WARNING
    groups = ("size", "ml")
    fix = FixSafety.UNSAFE

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        final = ctx.model.final
        if final is None or (final.name or "") in DEVELOPMENT_STAGE_NAMES or ".devcontainer" in ctx.display_path:
            return
        root = chain(final)[0]
        if root.base.known or not is_cuda_devel(root.base_image) or _compiles(ctx, final):
            return
        runtime = _runtime_reference(root.base_image)
        instead = f"use {runtime}" if runtime else "use the matching -runtime image"
        yield self.finding(
            ctx,
            root.stage.from_instruction,
            f"{root.base_image} is a CUDA -devel image (nvcc, headers, static libraries: several GB over "
            f"-runtime) and nothing in this image compiles CUDA code; {instead} (images built FROM this one "
            "that do compile can use a -devel builder stage)",
            fix=_fix(ctx, root),
        )


def _runtime_reference(reference: str) -> str | None:
    name, tag = split_image(reference)
    if name not in _FIXABLE or "@" in reference or tag.lower().count(DEVEL) != 1:
        return None
    return reference.split("@", 1)[0].replace(DEVEL, "-runtime")


def _compiles(ctx: FileContext, final: StageModel) -> bool:
    """Anything in the image that builds native code, or that we cannot see into."""
    for stage in chain(final):
        for state in stage.states:
            ins = state.instruction
            if ins.keyword == "ENV" and any(name in _BUILD_ENV for name in ins.values[0::2]):
                return True
            if ins.keyword == "ARG" and any(_name(value) in _BUILD_ENV for value in ins.values):
                return True
            if ins.keyword == "RUN" and ctx.script(ins) is None and _opaque_run(ins, state.is_posix_shell):
                return True
    return any(_run_compiles(run) for run in image_runs(ctx))


def _opaque_run(ins: Instruction, posix_shell: bool) -> bool:
    """An exec-form RUN that may compile, or a RUN under a shell we do not parse (pwsh, cmd)."""
    if ins.form is not Form.EXEC or not ins.exec_args:
        return not posix_shell
    program = _basename(ins.exec_args[0])
    args = list(ins.exec_args[1:])
    return program in _COMPILERS or program in _SHELLS or _runs_local_script(program, args) or "setup.py" in args


def _name(value: str) -> str:
    return value.split("=", 1)[0]


def _basename(text: str) -> str:
    return text.rsplit("/", 1)[-1]


def _run_compiles(run: Run) -> bool:
    for command in run.script.commands:
        if command.name in _COMPILERS or any(name in _BUILD_ENV for name, _ in command.assignments):
            return True
        if _runs_local_script(command.name, [w.text for w in command.args]):
            return True
        if command.name.startswith("python"):
            args = [w.text for w in command.args]
            if "setup.py" in args and any(a in _SETUP_COMMANDS for a in args):
                return True
            if "-c" in args and _CPP_EXTENSION.search(" ".join(args)):
                return True
    return any(_builds_from_source(operation) for operation in run.operations)


def _runs_local_script(name: str, args: list[str]) -> bool:
    """``./build.sh``, ``bash scripts/install.sh``: what they compile is not visible here."""
    return name.endswith(".sh") or (name in _SHELLS and bool(args) and not args[0].startswith("-"))


def _builds_from_source(operation: PackageOperation) -> bool:
    if operation.manager not in ("pip", "uv") or operation.action not in (Action.INSTALL, Action.SYNC, Action.WHEEL):
        return False
    command = operation.command
    if command.has_flag("--no-binary", "--no-build-isolation"):
        return True
    if any(p.name in _CUDA_SOURCE_PACKAGES for p in operation.packages):
        return True
    if any(url.startswith("git+") or url.endswith(_SOURCE_ARCHIVES) for url in operation.urls):
        return True
    if any(p.specifier.startswith("@ git+") for p in operation.packages):
        return True
    return any(path.endswith(_SOURCE_ARCHIVES) for path in operation.local_paths)


def _fix(ctx: FileContext, root: StageModel) -> Fix | None:
    """Replace ``-devel`` with ``-runtime`` where the FROM line writes it literally."""
    if _runtime_reference(root.base_image) is None:
        return None
    ins = root.stage.from_instruction
    span = ins.arguments_span
    if span is None:
        return None
    text = ctx.df.source(span)
    image = text.split(None, 1)[0] if text.strip() else ""
    if image.count(DEVEL) != 1 or "\\" in image:
        return None
    start = span.start + text.index(DEVEL)
    return Fix(FixSafety.UNSAFE, "use the -runtime image", (Edit(start, start + len(DEVEL), "-runtime"),))
