"""Package-manager, download, archive and model-download models: what a command installs, how, and where."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dockopt.shell import parse_shell
from dockopt.shell.packages import (
    Classification,
    Download,
    Extraction,
    ModelDownload,
    PackageOperation,
    classify,
    removed_later,
)
from dockopt.shell.requirements import canonical_name, parse_requirement, requirement_from_url


def _all(text: str, **kwargs: Any) -> list[Classification]:
    script = parse_shell(text)
    return [r for r in (classify(c, script, **kwargs) for c in script.commands) if r is not None]


def _one(text: str, **kwargs: Any) -> Classification:
    results = _all(text, **kwargs)
    assert len(results) == 1, results
    return results[0]


def _view(result: Classification, field: str) -> object:
    """A field in a form a table can state: packages as (name, specifier, pinned), words as text."""
    value = getattr(result, field)
    if field == "packages":
        return [(p.name, p.specifier, p.pinned) for p in value]
    if field == "no_cache_flag":
        return value.text if value is not None else None
    if field == "unquoted_specifier_redirects":
        return [(r.package.text, r.intended) for r in value]
    return value


def _check(result: Classification | None, expected: dict[str, object]) -> None:
    assert result is not None
    for field, want in expected.items():
        assert _view(result, field) == want, f"{field}: {_view(result, field)!r} != {want!r}"


def _cases(*rows: tuple[str, dict[str, object]]) -> list[Any]:
    return [pytest.param(text, expected, id=text[:60]) for text, expected in rows]


PIP = _cases(
    ("pip install numpy", {"manager": "pip", "action": "install", "packages": [("numpy", "", False)],
                           "cache_dirs": ("/root/.cache/pip",), "no_cache": False}),
    ('pip install "numpy>=1.26"', {"packages": [("numpy", ">=1.26", False)], "unquoted_specifier_redirects": []}),
    ("pip install 'numpy>=1.26,<2' Django==4.2.1",
     {"packages": [("numpy", ">=1.26,<2", False), ("django", "==4.2.1", True)]}),
    ("pip install numpy>=1.26", {"packages": [("numpy", "", False)],
                                 "unquoted_specifier_redirects": [("numpy", "numpy>=1.26")]}),
    ("pip install numpy>=1.26,<2", {"unquoted_specifier_redirects": [("numpy", "numpy>=1.26,<2")]}),
    ("pip install x<2", {"unquoted_specifier_redirects": [("x", "x<2")]}),
    ("pip install torch>2 && echo done", {"unquoted_specifier_redirects": [("torch", "torch>2")]}),
    # tree-sitter-bash takes `pandas` as a second redirect target: the mistake is found, the intent is hidden
    # bash reads only the first word after `>` as the file; pandas is still an argument
    ("pip install numpy>=1.26 pandas",
     {"unquoted_specifier_redirects": [("numpy", "numpy>=1.26")],
      "packages": [("numpy", "", False), ("pandas", "", False)]}),
    ("pip install numpy==1.26.4 > /tmp/pip.log 2>&1",
     {"packages": [("numpy", "==1.26.4", True)], "unquoted_specifier_redirects": []}),
    ("pip install x>/dev/null", {"unquoted_specifier_redirects": []}),
    ("pip install -r requirements.txt -c constraints.txt",
     {"requirement_files": ("requirements.txt",), "constraint_files": ("constraints.txt",), "packages": []}),
    ("pip install -qrrequirements.txt -r dev.txt", {"requirement_files": ("requirements.txt", "dev.txt")}),
    ("pip install --no-cache-dir -r req.txt", {"no_cache": True, "no_cache_flag": "--no-cache-dir"}),
    ("pip --no-cache-dir install x", {"no_cache_flag": "--no-cache-dir", "packages": [("x", "", False)]}),
    ("pip install --no-cache x", {"no_cache_flag": "--no-cache"}),
    ("PIP_NO_CACHE_DIR=1 pip install x", {"no_cache": True, "no_cache_env": "PIP_NO_CACHE_DIR"}),
    # pip disables the cache for any value, "false" included (kept for backward compatibility)
    ("PIP_NO_CACHE_DIR=false pip install x", {"no_cache_env": "PIP_NO_CACHE_DIR"}),
    ("sudo -H pip3 install x", {"manager": "pip", "packages": [("x", "", False)]}),
    ("python3 -m pip install -U pip setuptools wheel",
     {"manager": "pip", "flags": {"upgrade"},
      "packages": [("pip", "", False), ("setuptools", "", False), ("wheel", "", False)]}),
    ("python3.11 -m pip install --upgrade x", {"manager": "pip", "flags": {"upgrade"}}),
    ("/usr/local/bin/pip3.11 install x", {"manager": "pip"}),
    ("/opt/venv/bin/python -I -m pip install x", {"manager": "pip", "packages": [("x", "", False)]}),
    ("python -mpip install x", {"manager": "pip"}),
    ("pip install torch --index-url https://download.pytorch.org/whl/cpu",
     {"packages": [("torch", "", False)], "index_url": "https://download.pytorch.org/whl/cpu"}),
    ("pip install torch -i https://a/simple --extra-index-url https://b/simple -f /wheels --trusted-host b",
     {"index_url": "https://a/simple", "extra_index_urls": ("https://b/simple",), "find_links": ("/wheels",),
      "trusted_hosts": ("b",), "packages": [("torch", "", False)]}),
    ('pip install --extra-index-url="https://x/simple" y',
     {"extra_index_urls": ("https://x/simple",), "packages": [("y", "", False)]}),
    ("pip install ./dist/*.whl", {"local_paths": ("./dist/*.whl",), "packages": []}),
    ("pip install /wheels/torch-2.1.0-cp311-cp311-linux_x86_64.whl", {"local_paths": (
        "/wheels/torch-2.1.0-cp311-cp311-linux_x86_64.whl",), "packages": []}),
    ("pip install .", {"local_paths": (".",), "packages": []}),
    ("pip install -e . -e ./libs/core", {"editable": (".", "./libs/core"), "local_paths": ()}),
    ("pip install --user --no-deps --break-system-packages x",
     {"flags": {"user", "no_deps", "break_system_packages"}}),
    ("pip install --target /opt/deps x", {"target": "/opt/deps", "packages": [("x", "", False)]}),
    ("pip install --prefix=/install x", {"prefix": "/install"}),
    ("pip install --no-index --find-links=/wheels x", {"flags": {"no_index"}, "find_links": ("/wheels",)}),
    ('pip install "x @ https://host/x-1.0-py3-none-any.whl"',
     {"packages": [("x", "@ https://host/x-1.0-py3-none-any.whl", True)]}),
    ("pip install git+https://github.com/org/repo.git@v1.0#egg=repo",
     {"packages": [("repo", "@ git+https://github.com/org/repo.git@v1.0#egg=repo", False)]}),
    ("pip install git+https://github.com/org/repo.git@3f2c1e9#egg=repo",
     {"packages": [("repo", "@ git+https://github.com/org/repo.git@3f2c1e9#egg=repo", True)]}),
    ("pip install https://host/archive.tar.gz", {"urls": ("https://host/archive.tar.gz",), "packages": []}),
    ('pip install "torch==2.1.*"', {"packages": [("torch", "==2.1.*", False)]}),
    ("pip install torch==$TORCH_VERSION", {"packages": [("torch", "==$TORCH_VERSION", True)]}),
    ("pip install $EXTRA_PACKAGES", {"packages": [], "local_paths": (), "urls": ()}),
    ("pip install --cache-dir /cache x", {"cache_dirs": ("/cache",)}),
    ("pip uninstall -y x", {"action": "remove", "flags": {"assume_yes"}, "packages": [("x", "", False)]}),
    ("pip download -d /wheels x", {"action": "download", "packages": [("x", "", False)]}),
    ("pip wheel --wheel-dir /wheels -r req.txt", {"action": "wheel", "requirement_files": ("req.txt",)}),
    ("pip cache purge", {"action": "clean", "cache_dirs": ("/root/.cache/pip",)}),
    ("sh -c 'pip install --no-cache-dir x'", {"manager": "pip", "no_cache": True}),
)  # fmt: skip

UV = _cases(
    ("uv pip install --system -r req.txt",
     {"manager": "uv", "action": "install", "requirement_files": ("req.txt",), "flags": {"system"},
      "cache_dirs": ("/root/.cache/uv",)}),
    ("uv pip install --no-cache torch", {"no_cache_flag": "--no-cache", "packages": [("torch", "", False)]}),
    ("uv -n pip install x", {"no_cache_flag": "-n"}),
    ("UV_NO_CACHE=1 uv pip install x", {"no_cache_env": "UV_NO_CACHE"}),
    ("UV_NO_CACHE=0 uv pip install x", {"no_cache": False}),
    ("uv pip install numpy>=1.26", {"unquoted_specifier_redirects": [("numpy", "numpy>=1.26")]}),
    ("uv pip install -r requirements.txt -c constraints.txt --python /opt/venv/bin/python",
     {"requirement_files": ("requirements.txt",), "constraint_files": ("constraints.txt",), "packages": []}),
    ("uv pip sync requirements.lock", {"action": "sync", "requirement_files": ("requirements.lock",)}),
    ("uv sync --frozen --no-dev --no-install-project",
     {"action": "sync", "manifests": ("pyproject.toml", "uv.lock"), "flags": {"locked", "no_dev", "no_root"}}),
    ("uv sync --locked --project /app", {"manifests": ("/app/pyproject.toml", "/app/uv.lock"), "flags": {"locked"}}),
    ('uv add "fastapi>=0.110"', {"action": "install", "packages": [("fastapi", ">=0.110", False)]}),
    ("uv tool install ruff==0.5.0", {"action": "install", "packages": [("ruff", "==0.5.0", True)]}),
    ("uv pip install torch --index pytorch=https://download.pytorch.org/whl/cpu",
     {"extra_index_urls": ("https://download.pytorch.org/whl/cpu",), "index_url": None}),
    ("uv pip install --default-index https://d/simple x", {"index_url": "https://d/simple"}),
    ("uv pip install --allow-insecure-host pypi.internal x", {"trusted_hosts": ("pypi.internal",)}),
    ("uv pip install --cache-dir=/uvc x", {"cache_dirs": ("/uvc",)}),
    ("uv cache clean", {"action": "clean", "cache_dirs": ("/root/.cache/uv",)}),
    ("python3 -m uv pip install x", {"manager": "uv", "packages": [("x", "", False)]}),
)  # fmt: skip

POETRY = _cases(
    ("poetry install --no-root --only main",
     {"manager": "poetry", "action": "install", "manifests": ("pyproject.toml", "poetry.lock"),
      "flags": {"no_root", "no_dev"}, "cache_dirs": ("/root/.cache/pypoetry",)}),
    ("poetry install --without dev,test --no-interaction", {"flags": {"no_dev", "assume_yes"}}),
    ("poetry install --with docs", {"flags": set()}),
    ("poetry -C /app install", {"manifests": ("/app/pyproject.toml", "/app/poetry.lock")}),
    ('poetry add requests@^2.31 "httpx==0.27.0" pendulum@2.0.5',
     {"packages": [("requests", "@^2.31", False), ("pendulum", "@2.0.5", True), ("httpx", "==0.27.0", True)],
      "manifests": ()}),
    ("poetry --no-cache install", {"no_cache_flag": "--no-cache"}),
    ("poetry sync", {"action": "sync"}),
    ("poetry cache clear --all pypi", {"action": "clean"}),
)  # fmt: skip

CONDA = _cases(
    ('conda install -y -c conda-forge numpy=1.26 "pytorch>=2"',
     {"manager": "conda", "action": "install", "packages": [("numpy", "=1.26", True), ("pytorch", ">=2", False)],
      "extra_index_urls": ("conda-forge",), "flags": {"assume_yes"}, "cache_dirs": ("/opt/conda/pkgs",)}),
    ("mamba install -y conda-forge::numpy==1.26.4=py311h64a7726_0",
     {"packages": [("numpy", "==1.26.4=py311h64a7726_0", True)]}),
    ("micromamba install -y -n base -f env.yml", {"requirement_files": ("env.yml",), "packages": []}),
    ("conda env create -f environment.yml", {"action": "install", "requirement_files": ("environment.yml",)}),
    ("conda install --file requirements.txt", {"requirement_files": ("requirements.txt",)}),
    ("conda create -p /opt/env python=3.11", {"prefix": "/opt/env", "packages": [("python", "=3.11", True)]}),
    ("conda clean -afy", {"action": "clean", "cache_dirs": ("/opt/conda/pkgs",), "prefix": None}),
    ("conda clean --index-cache", {"action": "clean", "cache_dirs": ()}),
    ("conda remove -y numpy", {"action": "remove"}),
)  # fmt: skip

SYSTEM = _cases(
    ("apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u5 git",
     {"manager": "apt", "action": "install", "flags": {"assume_yes", "no_install_recommends"},
      "packages": [("curl", "=7.88.1-10+deb12u5", True), ("git", "", False)],
      "cache_dirs": ("/var/cache/apt", "/var/lib/apt")}),
    ("apt-get install curl", {"flags": set()}),
    ("apt-get update", {"action": "update", "packages": []}),
    ("apt-get -qq install curl", {"flags": {"assume_yes"}}),
    ("apt-get -q install curl", {"flags": set()}),
    ("apt-get install -o APT::Install-Recommends=false -o APT::Get::Assume-Yes=true curl",
     {"flags": {"assume_yes", "no_install_recommends"}, "packages": [("curl", "", False)]}),
    ("apt install ./foo.deb", {"manager": "apt", "local_paths": ("./foo.deb",), "packages": []}),
    ("apt-get install -y -t bookworm-backports golang", {"packages": [("golang", "", False)]}),
    ("apt-get install -y python3:amd64 libssl-dev/bookworm",
     {"packages": [("python3", "", False), ("libssl-dev", "/bookworm", False)]}),
    ("apt-get clean", {"action": "clean", "cache_dirs": ("/var/cache/apt",)}),
    ("apt-get purge -y --auto-remove build-essential", {"action": "remove", "packages": [("build-essential", "", False)]}),
    ("apt-get dist-upgrade -y", {"action": "upgrade"}),
    ("apk add --no-cache --virtual .build-deps gcc musl-dev",
     {"manager": "apk", "action": "install", "virtual": ".build-deps", "no_cache_flag": "--no-cache",
      "packages": [("gcc", "", False), ("musl-dev", "", False)], "cache_dirs": ("/var/cache/apk",)}),
    ('apk add "curl>8" py3-pip=23.1.2-r0 bash@edge',
     {"packages": [("curl", ">8", False), ("py3-pip", "=23.1.2-r0", True), ("bash", "@edge", False)],
      "no_cache": False}),
    ("apk del .build-deps", {"action": "remove", "packages": [(".build-deps", "", False)]}),
    ("apk add -X https://dl-cdn.alpinelinux.org/alpine/edge/testing foo",
     {"extra_index_urls": ("https://dl-cdn.alpinelinux.org/alpine/edge/testing",), "packages": [("foo", "", False)]}),
    ("apk update", {"action": "update"}),
    ("apk cache clean", {"action": "clean"}),
    ("dnf install -y --setopt=install_weak_deps=False curl-7.76.1-26.el9 java-11-openjdk",
     {"manager": "dnf", "flags": {"assume_yes", "no_install_recommends"}, "cache_dirs": ("/var/cache/dnf",),
      "packages": [("curl", "-7.76.1-26.el9", True), ("java-11-openjdk", "", False)]}),
    ("dnf clean all", {"action": "clean", "cache_dirs": ("/var/cache/dnf",)}),
    ("dnf clean metadata", {"action": "clean", "cache_dirs": ()}),
    ("dnf makecache", {"action": "update"}),
    ('dnf group install -y "Development Tools"', {"action": "install", "flags": {"assume_yes"}}),
    ("yum install -y httpd", {"manager": "yum", "cache_dirs": ("/var/cache/yum", "/var/cache/dnf")}),
    ("microdnf install -y --nodocs python3.11", {"manager": "microdnf", "packages": [("python3.11", "", False)],
                                                 "cache_dirs": ("/var/cache/yum",)}),
    ("zypper -n install --no-recommends curl",
     {"manager": "zypper", "flags": {"assume_yes", "no_install_recommends"}, "packages": [("curl", "", False)],
      "cache_dirs": ("/var/cache/zypp",)}),
    ("zypper install -n curl", {"flags": set()}),  # after the subcommand, -n is --name
    ("zypper in -y curl=7.79.1", {"action": "install", "flags": {"assume_yes"}, "packages": [("curl", "=7.79.1", True)]}),
    ("zypper clean --all", {"action": "clean", "cache_dirs": ("/var/cache/zypp",)}),
    ("zypper ref", {"action": "update"}),
)  # fmt: skip

JAVASCRIPT = _cases(
    ("npm ci --omit=dev",
     {"manager": "npm", "action": "install", "flags": {"locked", "no_dev"},
      "manifests": ("package.json", "package-lock.json"), "cache_dirs": ("/root/.npm",)}),
    ("npm install", {"flags": set(), "manifests": ("package.json", "package-lock.json")}),
    ("npm install --production", {"flags": {"no_dev"}}),
    ("NODE_ENV=production npm install", {"flags": {"no_dev"}}),
    ("npm i -g pnpm@8.15.4 @scope/x@^1 typescript",
     {"flags": {"global"}, "manifests": (),
      "packages": [("pnpm", "@8.15.4", True), ("@scope/x", "@^1", False), ("typescript", "", False)]}),
    ("npm install ./local-pkg git+https://github.com/a/b.git user/repo",
     {"local_paths": ("./local-pkg",), "urls": ("git+https://github.com/a/b.git", "user/repo"), "packages": []}),
    ("npm --prefix /app/frontend ci", {"manifests": ("/app/frontend/package.json", "/app/frontend/package-lock.json"),
                                      "prefix": "/app/frontend"}),
    ("npm install --registry https://npm.internal/ x", {"index_url": "https://npm.internal/"}),
    ("npm install --cache /tmp/npm x", {"cache_dirs": ("/tmp/npm",)}),
    ("npm cache clean --force", {"action": "clean", "cache_dirs": ("/root/.npm",)}),
    ("npm uninstall x", {"action": "remove", "packages": [("x", "", False)]}),
    ("yarn install --frozen-lockfile --production",
     {"manager": "yarn", "action": "install", "flags": {"locked", "no_dev"},
      "manifests": ("package.json", "yarn.lock"), "cache_dirs": ("/usr/local/share/.cache/yarn",)}),
    ("yarn", {"action": "install", "manifests": ("package.json", "yarn.lock")}),
    ("yarn add react@18.2.0", {"packages": [("react", "@18.2.0", True)], "manifests": ()}),
    ("yarn global add serve", {"flags": {"global"}, "packages": [("serve", "", False)]}),
    ("yarn install --immutable", {"flags": {"locked"}}),
    ("yarn cache clean", {"action": "clean", "cache_dirs": ("/usr/local/share/.cache/yarn",)}),
    ("pnpm install --frozen-lockfile --prod",
     {"manager": "pnpm", "flags": {"locked", "no_dev"}, "manifests": ("package.json", "pnpm-lock.yaml"),
      "cache_dirs": ("/root/.local/share/pnpm/store",)}),
    ("pnpm add -P express", {"flags": set(), "packages": [("express", "", False)]}),  # -P is --save-prod here
    ("PNPM_HOME=/pnpm pnpm install", {"cache_dirs": ("/pnpm/store",)}),
    ("pnpm install --store-dir /store", {"cache_dirs": ("/store",)}),
    ("pnpm fetch --prod", {"action": "download", "manifests": ("package.json", "pnpm-lock.yaml")}),
    ("pnpm store prune", {"action": "clean"}),
)  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), PIP + UV + POETRY + CONDA + SYSTEM + JAVASCRIPT)
def test_package_operation(text: str, expected: dict[str, object]) -> None:
    result = _one(text)
    assert isinstance(result, PackageOperation)
    _check(result, expected)


DOWNLOADS = _cases(
    ("curl -fsSL https://x/install.sh | sh",
     {"tool": "curl", "urls": ("https://x/install.sh",), "outputs": (), "piped_into": "sh",
      "runs_remote_script": True, "insecure": False}),
    ("wget -qO- https://x/setup | bash", {"tool": "wget", "outputs": (), "piped_into": "bash",
                                         "runs_remote_script": True}),
    ("curl -fsSL https://x | sudo -E bash -s -- --yes", {"piped_into": "bash", "runs_remote_script": True}),
    ("curl -sSL https://bootstrap.pypa.io/get-pip.py | python3 -", {"piped_into": "python3",
                                                                    "runs_remote_script": True}),
    ("bash <(curl -fsSL https://x/i.sh)", {"piped_into": "bash", "runs_remote_script": True}),
    ('sh -c "$(curl -fsSL https://x/i.sh)"', {"piped_into": "sh", "runs_remote_script": True}),
    ("curl -L https://x/a.tgz | tar xz -C /opt", {"piped_into": "tar", "runs_remote_script": False}),
    ("curl -fsSL https://x/key.asc | gpg --dearmor -o /usr/share/keyrings/x.gpg", {"runs_remote_script": False}),
    ("curl -k https://x/a -o a", {"insecure": True, "outputs": ("a",)}),
    ("curl -fsSLk https://x/a", {"insecure": True}),
    ("curl --insecure https://x/a", {"insecure": True}),
    ("wget --no-check-certificate https://x/a.tgz", {"insecure": True, "outputs": ("a.tgz",)}),
    ("curl -fsSLO https://x/a/b.tar.gz", {"outputs": ("b.tar.gz",)}),
    ("curl -o /tmp/a.tgz https://x/a.tgz", {"outputs": ("/tmp/a.tgz",)}),
    ("curl -fsSL https://x/get.sh > get.sh", {"outputs": ("get.sh",), "piped_into": None}),
    ("curl -o a -O https://x/1 https://x/2", {"outputs": ("a", "2")}),
    ("curl -O --output-dir /tmp https://x/a.tgz", {"outputs": ("/tmp/a.tgz",)}),
    ("wget -P /tmp 'https://x/a.tgz?token=1'", {"outputs": ("/tmp/a.tgz",)}),
    ("wget -q https://x/a.tgz -O /tmp/a.tgz", {"outputs": ("/tmp/a.tgz",), "fetches_model_weights": False}),
    ("wget -O /models/m.safetensors https://host/m", {"fetches_model_weights": True}),
    ("curl -L -o /m/model.bin https://host/download?id=3", {"fetches_model_weights": True}),
    ("wget https://huggingface.co/org/m/resolve/main/config.json", {"fetches_model_weights": True}),
    ("curl -LO https://github.com/x/releases/download/v1/weights.gguf", {"fetches_model_weights": True,
                                                                        "outputs": ("weights.gguf",)}),
)  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), DOWNLOADS)
def test_download(text: str, expected: dict[str, object]) -> None:
    downloads = [r for r in _all(text) if isinstance(r, Download)]
    assert len(downloads) == 1
    _check(downloads[0], expected)


EXTRACTIONS = _cases(
    ("tar xzf foo.tar.gz", {"tool": "tar", "archive": "foo.tar.gz", "destination": None, "removes_archive": False}),
    ("tar zxvf a.tgz", {"archive": "a.tgz"}),
    ("tar -xzf /tmp/a.tgz -C /opt --strip-components=1", {"archive": "/tmp/a.tgz", "destination": "/opt"}),
    ("tar -C /opt -xf a.tar", {"archive": "a.tar", "destination": "/opt"}),
    ("tar --extract --file=/tmp/a.tar", {"archive": "/tmp/a.tar"}),
    ("tar xf - -C /opt", {"archive": "-", "destination": "/opt"}),
    ("unzip -q a.zip -d /opt", {"tool": "unzip", "archive": "a.zip", "destination": "/opt"}),
    ("gunzip a.gz", {"tool": "gzip", "archive": "a.gz", "removes_archive": True}),
    ("gunzip -k a.gz", {"removes_archive": False}),
    ("gzip -d a.gz", {"tool": "gzip", "removes_archive": True}),
    ("xz -d a.xz", {"tool": "xz", "removes_archive": True}),
    ("unxz -c a.xz", {"tool": "xz", "removes_archive": False}),
    ("bunzip2 a.bz2", {"tool": "bzip2", "removes_archive": True}),
)  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EXTRACTIONS)
def test_extraction(text: str, expected: dict[str, object]) -> None:
    result = _one(text)
    assert isinstance(result, Extraction)
    _check(result, expected)


MODELS = _cases(
    ("huggingface-cli download org/model --local-dir /models",
     {"tool": "huggingface-cli", "repo_id": "org/model", "local_dir": "/models"}),
    ("hf download org/model config.json", {"tool": "hf", "repo_id": "org/model", "local_dir": None}),
    ("""python -c "from huggingface_hub import snapshot_download; snapshot_download(repo_id='org/m', local_dir='/m')" """,
     {"tool": "python", "repo_id": "org/m", "local_dir": "/m"}),
    ("""python3 -c 'from transformers import AutoModel; AutoModel.from_pretrained("bert-base-uncased")'""",
     {"repo_id": "bert-base-uncased"}),
    ("""python3 -c "import torch; torch.hub.load('pytorch/vision', 'resnet50')" """, {"repo_id": "pytorch/vision"}),
    ("git clone https://huggingface.co/openai/whisper-small",
     {"tool": "git", "repo_id": "openai/whisper-small", "local_dir": "whisper-small"}),
    ("git clone --depth 1 https://huggingface.co/org/m.git /models/m", {"repo_id": "org/m", "local_dir": "/models/m"}),
)  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), MODELS)
def test_model_download(text: str, expected: dict[str, object]) -> None:
    result = _one(text)
    assert isinstance(result, ModelDownload)
    _check(result, expected)


@pytest.mark.parametrize(
    "text",
    [
        "pip freeze",
        "pip --version",
        "uv venv /opt/venv",
        "poetry lock",
        "npm run build",
        "yarn build",
        "apt-cache policy curl",
        "apt-get",
        "tar -czf out.tgz dir",
        "gzip big.log",
        "xz big.log",
        "git clone https://github.com/org/repo",
        'python -c "print(1)"',
        "python train.py --from_pretrained x",
        "python3 -m venv /opt/venv",
        "echo pip install x",
    ],
)
def test_not_classified(text: str) -> None:
    assert _all(text) == []


def test_requirement_extras_and_marker() -> None:
    result = _one("""pip install "Requests[Security, socks]==2.31.0; python_version < '3.12'" """)
    assert isinstance(result, PackageOperation)
    (package,) = result.packages
    assert (package.name, package.extras, package.marker) == (
        "requests",
        ("security", "socks"),
        "python_version < '3.12'",
    )
    assert package.word.raw.startswith('"Requests')


def test_package_words_point_at_the_source() -> None:
    text = "apt-get update && apt-get install -y curl=7.88.1-10 git"
    result = _all(text)[1]
    assert isinstance(result, PackageOperation)
    assert [text[p.word.start : p.word.end] for p in result.packages] == ["curl=7.88.1-10", "git"]


def test_a_fix_can_quote_the_whole_mistaken_argument() -> None:
    text = "pip install --no-cache-dir numpy>=1.26,<2 && echo ok"
    result = _one(text)
    assert isinstance(result, PackageOperation)
    (mistake,) = result.unquoted_specifier_redirects
    assert text[mistake.package.start : mistake.end] == "numpy>=1.26,<2"
    assert mistake.redirects[0].target is not None
    assert mistake.redirects[0].target.text == "=1.26,"  # the stray file the shell creates


@given(
    name=st.from_regex(r"[a-z][a-z0-9_-]{0,10}[a-z0-9]", fullmatch=True),
    operator=st.sampled_from([">=", ">", "<", "<=", "==", "~=", "!="]),
    version=st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,3}){0,2}", fullmatch=True),
)
def test_specifier_quoted_or_not(name: str, operator: str, version: str) -> None:
    requirement = f"{name}{operator}{version}"
    quoted = _one(f"pip install '{requirement}'")
    assert isinstance(quoted, PackageOperation)
    assert _view(quoted, "packages") == [(canonical_name(name), operator + version, operator == "==")]
    assert quoted.unquoted_specifier_redirects == ()
    bare = _one(f"pip install {requirement}")
    assert isinstance(bare, PackageOperation)
    if "<" in operator or ">" in operator:
        assert _view(bare, "unquoted_specifier_redirects") == [(name, requirement)]
    else:  # `==`, `~=`, `!=` are plain characters to the shell
        assert _view(bare, "packages") == _view(quoted, "packages")


# -- environment and user -------------------------------------------------------------------------------------

CACHES = [
    pytest.param("pip install x", {}, "/home/app", ("/home/app/.cache/pip",), id="pip as a user"),
    pytest.param("pip install x", {"HOME": "/app"}, "/root", ("/app/.cache/pip",), id="pip with ENV HOME"),
    pytest.param("pip install x", {"PIP_CACHE_DIR": "/c"}, "/root", ("/c",), id="pip PIP_CACHE_DIR"),
    pytest.param("pip install x", {"XDG_CACHE_HOME": "/xdg"}, "/root", ("/xdg/pip",), id="pip XDG_CACHE_HOME"),
    pytest.param("uv pip install x", {"UV_CACHE_DIR": "/uv"}, "/root", ("/uv",), id="uv UV_CACHE_DIR"),
    pytest.param("poetry install", {"POETRY_CACHE_DIR": "/p"}, "/root", ("/p",), id="poetry POETRY_CACHE_DIR"),
    pytest.param("npm ci", {"npm_config_cache": "/n"}, "/root", ("/n",), id="npm npm_config_cache"),
    pytest.param("npm ci", {}, "/home/node", ("/home/node/.npm",), id="npm as a user"),
    pytest.param("yarn install", {}, "/home/node", ("/home/node/.cache/yarn",), id="yarn as a user"),
    pytest.param("yarn install", {"YARN_CACHE_FOLDER": "/y"}, "/root", ("/y",), id="yarn YARN_CACHE_FOLDER"),
    pytest.param("micromamba install -y x", {"MAMBA_ROOT_PREFIX": "/mm"}, "/root", ("/mm/pkgs",), id="micromamba"),
    pytest.param("conda install -y x", {"CONDA_PKGS_DIRS": "/a,/b"}, "/root", ("/a", "/b"), id="CONDA_PKGS_DIRS"),
]


@pytest.mark.parametrize(("text", "env", "home", "cache_dirs"), CACHES)
def test_cache_dirs_follow_user_and_environment(
    text: str, env: dict[str, str], home: str, cache_dirs: tuple[str, ...]
) -> None:
    result = _one(text, env=env, home=home)
    assert isinstance(result, PackageOperation)
    assert result.cache_dirs == cache_dirs


def test_environment_in_force_is_read() -> None:
    result = _one(
        "pip install torch",
        env={
            "PIP_NO_CACHE_DIR": "1",
            "PIP_INDEX_URL": "https://i/simple",
            "PIP_EXTRA_INDEX_URL": "https://a https://b",
            "PIP_CONSTRAINT": "/c.txt",
        },
    )
    assert isinstance(result, PackageOperation)
    assert result.no_cache_env == "PIP_NO_CACHE_DIR"
    assert result.index_url == "https://i/simple"
    assert result.extra_index_urls == ("https://a", "https://b")
    assert result.constraint_files == ("/c.txt",)


def test_command_prefix_overrides_environment() -> None:
    result = _one("UV_NO_CACHE=0 uv pip install x", env={"UV_NO_CACHE": "1"})
    assert isinstance(result, PackageOperation)
    assert not result.no_cache


def test_installs() -> None:
    kinds = [
        r.installs
        for r in _all("apt-get update && apt-get install -y x && apt-get clean")
        if isinstance(r, PackageOperation)
    ]
    assert kinds == [False, True, False]


# -- removed_later -------------------------------------------------------------------------------------------

REMOVALS = [
    pytest.param("tar xzf foo.tar.gz && rm foo.tar.gz", "foo.tar.gz", True, id="same path"),
    pytest.param("tar xzf ./foo.tar.gz && rm -f foo.tar.gz", "./foo.tar.gz", True, id="normalised"),
    pytest.param(
        "curl -o /tmp/a.tgz https://x && tar xzf /tmp/a.tgz -C /opt && rm /tmp/a.tgz",
        "/tmp/a.tgz",
        True,
        id="after download",
    ),
    pytest.param("tar xzf /tmp/dl/a.tgz && rm -rf /tmp/dl", "/tmp/dl/a.tgz", True, id="parent, recursive"),
    pytest.param("tar xzf /tmp/dl/a.tgz && rm /tmp/dl", "/tmp/dl/a.tgz", False, id="parent, not recursive"),
    pytest.param("tar xzf /tmp/a.tgz && rm -rf /tmp/*", "/tmp/a.tgz", True, id="glob"),
    pytest.param("tar xzf a.tgz && rm *.tgz", "a.tgz", True, id="glob of the name"),
    pytest.param("tar xzf a.tgz && rm b.tgz", "a.tgz", False, id="another file"),
    pytest.param("rm -f a.tgz; curl -O https://x/a.tgz && tar xzf a.tgz", "a.tgz", False, id="removed before"),
]


@pytest.mark.parametrize(("text", "path", "removed"), REMOVALS)
def test_removed_later(text: str, path: str, removed: bool) -> None:
    script = parse_shell(text)
    extraction = next(r for c in script.commands if isinstance(r := classify(c, script), Extraction))
    assert removed_later(script, path, extraction.command.end) is removed


# -- requirements -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "specifier", "url", "pinned"),
    [
        ("numpy", "numpy", "", "", False),
        ("Typing_Extensions>=4", "typing-extensions", ">=4", "", False),
        ("zope.interface==6.0", "zope-interface", "==6.0", "", True),
        ("x===1.0+local", "x", "===1.0+local", "", True),
        ("x == 1.0", "x", "== 1.0", "", True),
        ("x>=1,<2", "x", ">=1,<2", "", False),
        ("x==1.0,!=1.0.1", "x", "==1.0,!=1.0.1", "", False),
        ("x~=1.4", "x", "~=1.4", "", False),
        ("x (>=1.0)", "x", ">=1.0", "", False),
        ("x @ https://h/x-1.0.tar.gz", "x", "", "https://h/x-1.0.tar.gz", True),
        ("x @ git+https://h/x.git@main", "x", "", "git+https://h/x.git@main", False),
    ],
)
def test_parse_requirement(text: str, name: str, specifier: str, url: str, pinned: bool) -> None:
    requirement = parse_requirement(text)
    assert requirement is not None
    assert (requirement.name, requirement.specifier, requirement.url, requirement.pinned) == (
        name,
        specifier,
        url,
        pinned,
    )


@pytest.mark.parametrize("text", ["./pkg", "-e", "x>=", "x is 2", "$PKG", ""])
def test_not_a_requirement(text: str) -> None:
    assert parse_requirement(text) is None


def test_requirement_from_url() -> None:
    wheel = requirement_from_url("https://download.pytorch.org/whl/cpu/torch-2.3.0%2Bcpu-cp311-cp311-linux_x86_64.whl")
    assert wheel is not None
    assert (wheel.name, wheel.pinned) == ("torch", True)
    egg = requirement_from_url("git+https://github.com/org/My_Lib.git#egg=My_Lib&subdirectory=src")
    assert egg is not None
    assert egg.name == "my-lib"
    assert requirement_from_url("https://host/archive.tar.gz") is None
