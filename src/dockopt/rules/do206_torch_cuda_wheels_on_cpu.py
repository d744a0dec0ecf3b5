"""DO206: torch from the default PyPI index in an image without CUDA/ROCm."""

from __future__ import annotations

from collections.abc import Iterator

from dockopt.findings import Edit, Finding, Fix, FixSafety, Severity
from dockopt.model import StageModel
from dockopt.rules import _rewrite
from dockopt.rules._cache import Run, all_runs
from dockopt.rules._size import chain, is_cpu_image, is_gpu_image, named_by_argument, runs, split_image
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Word
from dockopt.shell.packages import Action, Flag, PackageOperation
from dockopt.syntax import LineKind

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
        Unsafe: the image loses CUDA support, and torch's dependencies (filelock, sympy, numpy for
        torchvision, ...) come from PyTorch's index, which mirrors them at versions of its own.
        When every package of the command is a torch package, the fix adds `--index-url
        https://download.pytorch.org/whl/cpu` right after `install`. When others are named too,
        the fix splits the command: `pip install --index-url …/cpu <options> torch… && pip install
        <options> <the others>` (same options for both), because on that index the others may be
        missing or old, and `--extra-index-url` would not do: pip then takes the best version
        from either index, which may be PyPI's CUDA build. A later package that pins another
        torch version makes the second command replace the CPU build. No fix for commands with
        requirement files, local paths or URLs (they may name anything), or with an explicit
        `--index-url` (a second one replaces it for pip and is an error for uv).
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
        if not any(p.name in _TORCH for run in all_runs(ctx) for op in run.operations for p in op.packages):
            return  # no torch package installed anywhere: no base image needs looking at
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
                    fix=_fix(ctx, run, operation),
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


# -- fix -------------------------------------------------------------------------------------------------------

_VERBS = frozenset({"install", "download", "wheel"})


def _fix(ctx: FileContext, run: Run, operation: PackageOperation) -> Fix | None:
    """Take the torch packages from PyPI's CPU index: the whole command, or a command of their own.

    Only packages named on the command line are moved: a requirement file, a local path or a URL may
    hold other packages, which the CPU index does not have.
    """
    command = operation.command
    if operation.index_url is not None or operation.requirement_files or operation.editable:
        return None  # two --index-url options: pip keeps the last, uv refuses
    if operation.local_paths or operation.urls or operation.unquoted_specifier_redirects:
        return None
    verb = next((w for w in command.args if w.text in _VERBS and not w.quoted), None)
    if verb is None:
        return None
    option = f" --index-url {_CPU_INDEX}"
    torch = [p.word for p in operation.packages if p.name in _TORCH]
    others = [p.word for p in operation.packages if p.name not in _TORCH]
    if not others:
        return Fix(FixSafety.UNSAFE, f"install from {_CPU_INDEX}", (Edit(verb.end, verb.end, option),))
    return _split(ctx, run, command, verb=verb, torch=torch, others=others, option=option)


def _split(
    ctx: FileContext, run: Run, command: Command, *, verb: Word, torch: list[Word], others: list[Word], option: str
) -> Fix | None:
    """``pip install torch x`` -> ``pip install --index-url CPU torch && pip install x`` (same options for both)."""
    ins = run.state.instruction
    if not _rewrite.plain(command):
        return None
    if any(line.kind is LineKind.COMMENT and command.start <= line.span.start < command.end for line in ins.lines):
        return None  # a comment inside the command would be copied into both
    text = ctx.df.text
    first = _without(text, command, others, insert_at=verb.end, insertion=option)
    second = _without(text, command, torch)
    source = text[command.start : command.end]
    if "\n" in source:
        last_line = next(line for line in reversed(ins.lines) if line.span.start <= command.end)
        joiner = f" {ctx.df.escape}{_rewrite.line_ending(ins, ctx.df)}{_rewrite.indentation(ctx.df, last_line)}&& "
    else:
        joiner = " && "
    edit = Edit(command.start, command.end, first + joiner + second)
    expected = []
    torch_texts = {(w.start, w.end) for w in torch}
    other_texts = {(w.start, w.end) for w in others}
    for other in run.script.commands:
        if other is not command:
            expected.append(_rewrite.shape(other))
            continue
        head = _rewrite.shape(command)
        argv_first: list[str] = []
        for word in command.argv:
            if (word.start, word.end) not in other_texts:
                argv_first.append(word.text)
            if word is verb:
                argv_first += option.split()
        argv_second = [w.text for w in command.argv if (w.start, w.end) not in torch_texts]
        expected.append((head[0], tuple(argv_first), *head[2:]))
        expected.append((head[0], tuple(argv_second), *head[2:]))
    if not _rewrite.script_becomes(ctx.df, ins, [edit], expected):
        return None
    return Fix(
        FixSafety.UNSAFE,
        f"install the torch packages from {_CPU_INDEX} in a command of their own",
        (edit,),
    )


def _without(text: str, command: Command, dropped: list[Word], insert_at: int = -1, insertion: str = "") -> str:
    """The command's source with ``dropped`` words (and the space before each) left out, ``insertion`` added."""
    gone = {(w.start, w.end) for w in dropped}
    pieces: list[str] = []
    cursor = previous_end = command.start
    for word in command.argv:
        if (word.start, word.end) in gone:
            pieces.append(text[cursor:previous_end])
            cursor = word.end
        previous_end = word.end
        if word.end == insert_at:
            pieces.append(text[cursor : word.end] + insertion)
            cursor = word.end
    pieces.append(text[cursor : command.end])
    return "".join(pieces)
