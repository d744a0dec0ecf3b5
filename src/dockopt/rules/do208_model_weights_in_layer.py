"""DO208: model weights baked into an image layer."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from dockopt.findings import Finding, Severity
from dockopt.model import State
from dockopt.rules import _layers
from dockopt.rules.base import Rule
from dockopt.rules.context import FileContext
from dockopt.shell import Command, Script
from dockopt.shell.packages import Download, ModelDownload

_WEIGHTS = (".pt", ".pth", ".ckpt", ".safetensors", ".onnx", ".gguf", ".tflite", ".keras")
_WEIGHT_DIRS = frozenset({"weights", "checkpoints", "ckpt", "ckpts"})
# `models` is also a common name for code (ORM models); it counts at the top of a path or under a data directory.
_MODEL_PARENTS = frozenset({"", "opt", "srv", "data", "mnt", "assets", "artifacts", "workspace"})
_MODEL_BIN = re.compile(r"(?:^pytorch_model|model|^ggml-|^ggml_)[^/]*\.bin$", re.I)
_MODEL_HOSTS = ("huggingface.co", "hf.co")
_SMALL_FILES = (".json", ".txt", ".md", ".yaml", ".yml", ".py", ".cfg", ".ini", ".toml", ".csv", ".tiktoken")
_PYTHON_PATHS = ("site-packages", "dist-packages")  # a *.pth there is a path configuration file
_CONFIG_ONLY = re.compile(r"\b(?:\w*(?:Tokenizer|Config|Processor|FeatureExtractor)\w*)\.from_pretrained\b")
_ANY_LOADER = re.compile(
    r"\b(?:\w+\.)?(?:from_pretrained|snapshot_download|hf_hub_download|torch\.hub\.load|load_state_dict_from_url"
    r"|SentenceTransformer)\b"
)


class ModelWeightsInLayer(Rule):
    """Model weights baked into an image layer.

    What it does:
        In the final stage and the stages it is built FROM, flags a `COPY`/`ADD` of model files
        (`*.pt`, `*.pth`, `*.ckpt`, `*.safetensors`, `*.onnx`, `*.gguf`, `*.bin` under a
        models/weights/checkpoints directory or named like `pytorch_model.bin`) or of a
        `models/`, `weights/` or `checkpoints/` directory, and a `RUN` that downloads a model:
        `huggingface-cli download`, `hf download`, `git clone https://huggingface.co/…`,
        `snapshot_download(`/`from_pretrained(` in `python -c`, or `curl`/`wget` of weight files.
        A download into a cache mount is not flagged (it never reaches a layer), nor is loading
        only a tokenizer or a config.

    Why is this bad?
        Weights are often gigabytes. In a layer they are pushed, pulled and stored with every
        image version, every node that runs the image downloads them again, and any change to an
        earlier layer re-downloads or re-copies them at build time. Models also change on their
        own schedule: baking them in ties a model update to an image rebuild.

    Example:
        ```dockerfile
        FROM python:3.11-slim
        RUN huggingface-cli download Qwen/Qwen2-1.5B-Instruct --local-dir /models/qwen
        COPY checkpoints/ /app/checkpoints/
        ```

    Use instead:
        ```dockerfile
        FROM python:3.11-slim
        # fetched at start-up into a volume (or mounted read-only from a model store)
        ENV HF_HOME=/models
        VOLUME /models
        ```
        When the image really must be self-contained, keep the weights in their own stage or
        image, copied in last, so code changes do not move them.
    """

    id = "DO208"
    name = "model-weights-in-layer"
    severity = Severity.WARNING
    groups = ("size", "ml")

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        for state in _layers.image_states(ctx):
            ins = state.instruction
            if ins.keyword in ("COPY", "ADD"):
                yield from self._copy(ctx, state)
            elif ins.keyword == "RUN":
                script = ctx.script(ins)
                if script is not None:
                    yield from self._run(ctx, state, script)

    def _copy(self, ctx: FileContext, state: State) -> Iterator[Finding]:
        ins = state.instruction
        parts = _layers.copy_parts(ctx, ins)
        if parts is None:
            return
        sources, dest = parts
        if any(p in dest for p in _PYTHON_PATHS):
            return
        models = [s for s in sources if not s.startswith("<<") and _is_model_path(s)]
        if not models:
            return
        origin = ins.flag("from")
        where = f" from stage/image {origin.value!r}" if origin is not None and origin.value else ""
        yield self.finding(
            ctx,
            ins,
            f"{ins.keyword} of {', '.join(models)}{where} bakes model weights into an image layer: every push, "
            "pull and node carries them and each rebuild of an earlier layer copies them again; load them at "
            "run time from a volume or model store instead",
        )

    def _run(self, ctx: FileContext, state: State, script: Script) -> Iterator[Finding]:
        for command in script.commands:
            kind = _layers.kind_of(ctx, state, script, command)
            if isinstance(kind, ModelDownload):
                if _only_configs(kind) or _in_cache(state, kind):
                    continue
                repo = _layers.expand(kind.repo_id, state) if kind.repo_id else None
                what = f"model {repo!r}" if repo else "a model"
                local = _layers.expand(kind.local_dir, state) if kind.local_dir else None
                into = f" into {local}" if local else ""
                yield self._download(ctx, command, f"`{_LABELS.get(kind.tool, kind.tool)}` of {what}{into}")
            elif isinstance(kind, Download) and _weights_download(kind, state, script):
                urls = ", ".join(kind.urls[:2]) or "a URL"
                yield self._download(ctx, command, f"`{kind.tool}` of model weights ({urls})")

    def _download(self, ctx: FileContext, command: Command, what: str) -> Finding:
        return self.finding(
            ctx,
            (command.start, command.end),
            f"{what} stores the weights in an image layer: they are pushed and pulled with every image version "
            "and downloaded again whenever an earlier layer changes; fetch them at start-up into a volume, or "
            "download into a cache mount (--mount=type=cache) if the build only needs them temporarily",
        )


_LABELS = {
    "huggingface-cli": "huggingface-cli download",
    "hf": "hf download",
    "git": "git clone",
    "python": "python -c",
}


def _is_model_path(path: str) -> bool:
    """A COPY/ADD source (a path or URL) that names model weights or a directory of them."""
    if _layers.is_url(path):
        parts = urlsplit(path)
        return _is_weight_file(parts.path)
    text = path.rstrip("/")
    components = [c for c in text.split("/") if c not in ("", ".")]
    if not components:
        return False
    name = components[-1]
    if _is_weight_file(text):
        return True
    in_model_dir = _model_dir_index(components) is not None
    if not in_model_dir:
        return False
    # the directory itself, its contents (`models/*`), or an extension-less entry in it
    return name in ("*", "**") or "." not in name.lstrip(".")


def _model_dir_index(components: list[str]) -> int | None:
    for index, part in enumerate(components):
        lowered = part.lower()
        if lowered in _WEIGHT_DIRS:
            return index
        parent = components[index - 1].lower() if index else ""
        if lowered == "models" and parent in _MODEL_PARENTS:
            return index
        if lowered == "huggingface" and parent == ".cache":
            return index
    return None


def _is_weight_file(path: str) -> bool:
    lowered = path.lower().rstrip("/")
    if lowered.endswith(_WEIGHTS):
        return not any(part in ("templates", "locale", "locales") for part in lowered.split("/"))
    if lowered.endswith(".bin"):
        components = [c for c in lowered.split("/") if c not in ("", ".")]
        return bool(_MODEL_BIN.search(posixpath.basename(lowered))) or _model_dir_index(components[:-1]) is not None
    return False


def _only_configs(kind: ModelDownload) -> bool:
    """``AutoTokenizer.from_pretrained(...)``: a tokenizer or a config is a few megabytes, not weights."""
    if kind.tool != "python":
        return False
    code = " ".join(word.text for word in kind.command.args)
    loaders = _ANY_LOADER.findall(code)
    configs = _CONFIG_ONLY.findall(code)
    return bool(loaders) and len(configs) == len(loaders)


def _in_cache(state: State, kind: ModelDownload) -> bool:
    """The download lands in a cache mount: it never reaches the layer."""
    if kind.local_dir:
        local = _layers.expand(kind.local_dir, state)
        return local is not None and _layers.under_mount(state, _layers.absolute(local, state.workdir) or local)
    home = _layers.home_of(state) or "/root"
    hub = _layers.env_value(state.env, "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "TRANSFORMERS_CACHE")
    hf_home = _layers.env_value(state.env, "HF_HOME")
    torch_home = _layers.env_value(state.env, "TORCH_HOME")
    cache = _layers.env_value(state.env, "XDG_CACHE_HOME") or f"{home}/.cache"
    candidates = [hub or (f"{hf_home}/hub" if hf_home else f"{cache}/huggingface/hub")]
    candidates.append(f"{torch_home}/hub" if torch_home else f"{cache}/torch/hub")
    return any(
        mount.type == "cache" and any(mount.covers(c) for c in candidates if c.startswith("/"))
        for mount in state.mounts
    )


def _weights_download(kind: Download, state: State, script: Script) -> bool:
    """curl/wget of weight files (or from the Hugging Face hub) that stay in the layer."""
    weights = False
    for url in kind.urls:
        parts = urlsplit(url if "://" in url else f"//{url}")
        host = parts.hostname or ""
        path = parts.path.lower()
        on_hub = any(host == h or host.endswith("." + h) for h in _MODEL_HOSTS)
        hub_file = on_hub and (path.endswith(".bin") or ("/resolve/" in path and not path.endswith(_SMALL_FILES)))
        weights = weights or hub_file or _is_weight_file(path)
    if not weights and not any(_is_weight_file(o) for o in kind.outputs):
        return False
    if not kind.outputs:
        return False  # piped into another program: nothing is written by the download itself
    cwd = _layers.cwd_at(script, kind.command, state.workdir)
    for output in kind.outputs:
        resolved = _layers.absolute(output, cwd)
        if resolved is None:
            return True
        kept = not _layers.under_mount(state, resolved) and not _layers.removed_in(
            script, state, resolved, kind.command.end
        )
        if kept:
            return True
    return False
