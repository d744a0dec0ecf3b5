"""`analyze_context`: sizes, largest entries, unused files, secrets, pattern gaps, heavy entries and
suggestions, on trees generated here and on examples/ml-pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockopt.repo.context import analyze_context, copy_sources, heavy_entries, pattern_gaps
from dockopt.repo.dockerignore import IgnoreFileError
from dockopt.syntax import parse

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "ml-pipeline"
MIB = 1 << 20
# built at run time so that no secret scanner mistakes this file for a key
PEM_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END " + "RSA PRIVATE KEY-----\n"
PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def make(root: Path, files: dict[str, str | int]) -> Path:
    """Files with text, or sparse files of a size."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, int):
            with path.open("wb") as stream:
                stream.truncate(content)
        else:
            path.write_text(content)
    return root


# -- examples/ml-pipeline ----------------------------------------------------------------


def test_example_pattern_gaps_match_the_answer_key() -> None:
    """EXPECTED.md rows 32-33: `__pycache__/` (line 4) and `*.pyc` (line 5) only match at the root."""
    gaps = pattern_gaps(EXAMPLE, EXAMPLE / "docker" / "stages" / "asr" / "Dockerfile")
    assert [(g.pattern.line, g.pattern.text, g.fix, g.suggested) for g in gaps] == [
        (4, "__pycache__/", "**/__pycache__", True),
        (5, "*.pyc", "**/*.pyc", True),
    ]
    assert gaps[0].examples == ("src/pipeline/asr/__pycache__",)
    assert gaps[1].examples == ("src/pipeline/asr/__pycache__/model.cpython-311.pyc",)
    assert gaps[0].files == gaps[1].files == 1
    assert gaps[0].copied_by == gaps[1].copied_by == (17,)  # COPY src/pipeline/asr/ takes it into the image


def test_example_report_for_the_asr_image() -> None:
    report = analyze_context(EXAMPLE, EXAMPLE / "docker" / "stages" / "asr" / "Dockerfile")
    assert report.ignore_file is not None and report.ignore_file.path == EXAMPLE / ".dockerignore"
    assert [(s.line, s.path) for s in report.sources] == [
        (10, "requirements/asr.txt"),
        (15, "src/pipeline/__init__.py"),
        (16, "src/pipeline/common"),
        (17, "src/pipeline/asr"),
    ]
    assert report.files_sent > 40 and report.secrets == ()
    assert report.unused is not None
    unused = {e.path for e in report.unused.entries}
    assert {"docker", "scripts", "src/pipeline/train", "requirements/ml.txt", "EXPECTED.md"} <= unused
    assert not any(p.startswith("src/pipeline/asr") for p in unused)  # the bytecode is copied into the image
    # the checkpoint is not used by asr, but docker/stages/export/Dockerfile copies it from the shared context
    weights = next(h for h in report.heavy if h.kind == "weights")
    assert (weights.fix, weights.copied_by, weights.used_elsewhere) == (
        "**/*.pt",
        (),
        ("docker/stages/export/Dockerfile:13",),
    )
    assert [s.line for s in report.suggestions] == ["**/__pycache__", "**/*.pyc"]
    assert "docker/stages/export/Dockerfile" in report.other_dockerfiles
    assert "docker/stages/asr/Dockerfile" not in report.other_dockerfiles


def test_example_export_image_copies_the_weights() -> None:
    heavy = heavy_entries(EXAMPLE, EXAMPLE / "docker" / "stages" / "export" / "Dockerfile")
    weights = next(h for h in heavy if h.kind == "weights")
    assert weights.copied_by == (13,)


# -- sizes and the largest entries -----------------------------------------------------------


def test_counts_and_largest_entries(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM scratch\nCOPY . /\n",
            ".dockerignore": "logs\n",
            "big.bin": 5000,
            "lib/only/child/deep.so": 3000,  # lib, lib/only and lib/only/child hold nothing else
            "src/a.py": 100,
            "src/b.py": 200,
            "logs/x.log": 10**6,
        },
    )
    report = analyze_context(tmp_path)
    assert report.dockerfile == tmp_path / "Dockerfile"
    assert (report.files_sent, report.dirs_sent, report.pruned) == (6, 4, ("logs",))
    assert report.bytes_sent == 5000 + 3000 + 300 + len("FROM scratch\nCOPY . /\n") + len("logs\n")
    largest = [(e.path, e.kind, e.bytes, e.files) for e in report.largest]
    assert largest[:4] == [
        ("big.bin", "file", 5000, 1),
        ("lib/only/child/deep.so", "file", 3000, 1),
        ("src", "dir", 300, 2),
        ("src/b.py", "file", 200, 1),
    ]
    assert not any(path.startswith("lib") and kind == "dir" for path, kind, _, _ in largest)


def test_largest_entries_skip_what_repeats_a_listed_directory(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".venv/lib/python3.11/site-packages/torch/lib/libtorch.so": 9500,
            ".venv/lib/python3.11/site-packages/numpy/core.so": 1000,
            "src/a.py": 100,
        },
    )
    largest = [e.path for e in analyze_context(tmp_path).largest]
    # site-packages and torch hold 90% or more of .venv: they say what .venv says
    assert largest == [".venv", ".venv/lib/python3.11/site-packages/numpy/core.so", "src/a.py", ".venv/pyvenv.cfg"]


# -- unused files ------------------------------------------------------------------------


def unused_paths(root: Path, dockerfile: str, files: dict[str, str | int]) -> set[str]:
    make(root, {"Dockerfile": dockerfile, **files})
    report = analyze_context(root)
    assert report.unused is not None
    return {e.path for e in report.unused.entries}


TREE: dict[str, str | int] = {
    "requirements.txt": "x\n",
    "src/app/main.py": "",
    "src/app/util.py": "",
    "src/tools/cli.py": "",
    "models/a.pt": 10,
    "models/b.onnx": 10,
    "docs/index.md": "",
    "README.md": "",
}


def test_copy_dot_uses_everything(tmp_path: Path) -> None:
    assert unused_paths(tmp_path, "FROM python:3.11\nCOPY . /app\n", TREE) == set()


def test_directories_globs_and_groups(tmp_path: Path) -> None:
    dockerfile = "FROM python:3.11\nCOPY requirements.txt ./\nCOPY src/app/ /app/\nCOPY models/*.pt /m/\n"
    assert unused_paths(tmp_path, dockerfile, TREE) == {
        "Dockerfile",
        "README.md",
        "docs",
        "src/tools",
        "models/b.onnx",
    }


def test_sources_that_are_not_the_context(tmp_path: Path) -> None:
    dockerfile = (
        "FROM python:3.11 AS build\n"
        "ARG SRC=src/app\n"
        "COPY ${SRC} /app\n"  # expanded
        "COPY --from=build /docs /docs\n"  # another stage
        "ADD https://example.com/README.md /r\n"  # a URL
        "COPY <<EOF /etc/x\nhello\nEOF\n"  # a heredoc
        'COPY ["models/a.pt", "/m/"]\n'  # exec form
        "RUN --mount=type=bind,source=requirements.txt,target=/r pip install -r /r\n"
        "RUN --mount=type=cache,target=/root/.cache pip --version\n"
    )
    assert unused_paths(tmp_path, dockerfile, TREE) == {"Dockerfile", "README.md", "docs", "src/tools", "models/b.onnx"}


def test_a_bind_mount_without_source_uses_the_whole_context(tmp_path: Path) -> None:
    assert unused_paths(tmp_path, "FROM python:3.11\nRUN --mount=target=/ctx ls /ctx\n", TREE) == set()


def test_copy_sources_are_cleaned() -> None:
    df = parse("FROM x\nCOPY ./a/../b/ /c/\nCOPY / /all\nCOPY ../up /u\nADD git@github.com:a/b.git /g\n")
    assert [(s.line, s.instruction, s.path) for s in copy_sources(df)] == [
        (2, "COPY", "b"),
        (3, "COPY", ""),
        (4, "COPY", "up"),
    ]


def test_no_dockerfile_means_no_unused_files(tmp_path: Path) -> None:
    make(tmp_path, {"a.txt": ""})
    report = analyze_context(tmp_path)
    assert report.dockerfile is None and report.unused is None and report.sources == ()


def test_large_unused_entries_are_suggested(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY src/ /app/\n",
            "src/main.py": "",
            "notebooks/explore.ipynb": 3 * MIB,
            "small/notes.txt": 10,
        },
    )
    report = analyze_context(tmp_path)
    assert [(s.line, s.bytes, s.reason) for s in report.suggestions] == [
        ("notebooks", 3 * MIB, "no COPY/ADD of the Dockerfile uses it")
    ]


def test_unused_entries_another_dockerfile_copies_are_not_suggested(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY src/ /app/\n",
            "tools.Dockerfile": "FROM python:3.11\nCOPY notebooks/ /nb/\n",
            "own.Dockerfile": "FROM python:3.11\nCOPY . /\n",
            "own.Dockerfile.dockerignore": "",  # has its own ignore file: does not share ours
            "src/main.py": "",
            "notebooks/explore.ipynb": 3 * MIB,
        },
    )
    report = analyze_context(tmp_path)
    assert report.suggestions == ()
    assert set(report.other_dockerfiles) == {"tools.Dockerfile", "own.Dockerfile"}


# -- secrets -----------------------------------------------------------------------------

SECRETS: dict[str, str | int] = {
    ".env": "TOKEN=1\n",
    "config/prod.env": "DB_PASSWORD=x\n",
    ".env.example": "TOKEN=\n",
    "deploy/id_ed25519": "k",
    "deploy/id_ed25519.pub": "ssh-ed25519 AAAA\n",
    "certs/server.pem": PEM_CERT,
    "certs/server-key.pem": PEM_KEY,
    "certs/tls.key": "k",
    "keys/signing.txt": PEM_KEY,
    ".npmrc": "//registry.npmjs.org/:_authToken=abc\n",
    "web/.npmrc": "registry=https://registry.npmjs.org/\n",
    ".pypirc": "[pypi]\npassword = x\n",
    "home/.netrc": "machine x login y password z\n",
    "home/.aws/credentials": "[default]\n",
    "home/.docker/config.json": '{"auths": {"ghcr.io": {"auth": "eA=="}}}',
    "other/.docker/config.json": '{"credsStore": "desktop"}',
    "gcp/sa.json": '{"type": "service_account", "private_key_id": "1", "private_key": "x"}',
    "gcp/settings.json": '{"type": "config"}',
    "node_modules/pkg/id_rsa.txt": PEM_KEY,  # not read: dependency folders are never looked into
}


def test_secrets_are_found_by_name_and_by_contents(tmp_path: Path) -> None:
    make(tmp_path, {"Dockerfile": "FROM python:3.11\nCOPY . /app\n", **SECRETS})
    report = analyze_context(tmp_path)
    found = {s.path: (s.kind, s.found_by) for s in report.secrets}
    assert found == {
        ".env": ("env-file", "name"),
        "config/prod.env": ("env-file", "name"),
        "deploy/id_ed25519": ("private-key", "name"),
        "certs/server-key.pem": ("private-key", "contents"),
        "certs/tls.key": ("private-key", "name"),
        "keys/signing.txt": ("private-key", "contents"),
        ".npmrc": ("credentials", "name"),
        ".pypirc": ("credentials", "name"),
        "home/.netrc": ("credentials", "name"),
        "home/.aws/credentials": ("credentials", "name"),
        "home/.docker/config.json": ("credentials", "name"),
        "gcp/sa.json": ("credentials", "contents"),
    }
    assert all(s.sent and s.copied_by == (2,) for s in report.secrets)
    lines = [s.line for s in report.suggestions if s.reason.startswith("secret")]
    assert ".env" in lines and "**/prod.env" in lines and "keys/signing.txt" in lines


def test_excluded_secrets_name_their_pattern(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY app/ /app\n",
            ".dockerignore": "# secrets\n**/.env\n",
            ".env": "A=1\n",
            "app/.env": "A=1\n",
            "app/deploy.pem": PEM_KEY,
        },
    )
    report = analyze_context(tmp_path)
    by_path = {s.path: s for s in report.secrets}
    assert not by_path[".env"].sent and not by_path["app/.env"].sent
    pattern = by_path["app/.env"].excluded_by
    assert pattern is not None and (pattern.line, pattern.text) == (2, "**/.env")
    key = by_path["app/deploy.pem"]
    assert key.sent and key.copied_by == (2,) and key.excluded_by is None
    assert report.secrets_sent == (key,)


# -- pattern gaps and heavy entries ----------------------------------------------------------


def test_gaps_are_suggested_only_for_junk(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            ".dockerignore": "data/\n.mypy_cache\n*.log\n*\n!src\n",
            "src/pkg/data/schema.py": "",  # code named like the root-only pattern
            "src/.mypy_cache/x.json": "",
            "src/run.log": "",
        },
    )
    gaps = {g.pattern.text: g for g in analyze_context(tmp_path).pattern_gaps}
    # everything under src/ is re-included by `!src`: nothing below it is a gap of `*`, `data/` or the others
    assert gaps == {}
    (tmp_path / ".dockerignore").write_text("data/\n.mypy_cache\n*.log\n")
    report = analyze_context(tmp_path)
    gaps = {g.pattern.text: g for g in report.pattern_gaps}
    assert set(gaps) == {"data/", ".mypy_cache", "*.log"}
    assert not gaps["data/"].suggested and gaps[".mypy_cache"].suggested and gaps["*.log"].suggested
    assert [s.line for s in report.suggestions] == ["**/.mypy_cache", "**/*.log"]


def test_a_gap_counts_the_outermost_matches(tmp_path: Path) -> None:
    make(tmp_path, {".dockerignore": "cache\n", "a/cache/cache/x": "12", "b/cache/y": "3"})
    (gap,) = analyze_context(tmp_path).pattern_gaps
    assert (gap.matches, gap.files, gap.bytes, gap.examples) == (2, 2, 3, ("a/cache", "b/cache"))


def test_heavy_entries(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY . /app\n",
            ".venv/pyvenv.cfg": "home = /usr\n",
            ".venv/lib/python3.11/site-packages/__pycache__/x.pyc": 10,
            "services/api/env/conda-meta/history": "",
            "web/node_modules/left-pad/index.js": 10,
            ".git/HEAD": "ref\n",
            "src/__pycache__/a.pyc": 5,
            "__pycache__/b.pyc": 5,
            "data/train.parquet": 2 * MIB,
            "src/app/data/small.json": "{}",
            "checkpoints/model.safetensors": 3 * MIB,
            ".cache/huggingface/models--org--name/blobs/x": 4,
        },
    )
    heavy = {(h.kind, h.fix): h for h in analyze_context(tmp_path).heavy}
    assert set(heavy) == {
        ("virtualenv", ".venv"),
        ("virtualenv", "services/api/env"),
        ("node_modules", "web/node_modules"),
        ("git", ".git"),
        ("cache", "**/__pycache__"),
        ("cache", ".cache"),
        ("data", "data"),  # src/app/data is under 1 MiB
        ("weights", "**/*.safetensors"),
    }
    assert heavy[("cache", "**/__pycache__")].paths == ("__pycache__", "src/__pycache__")
    assert heavy[("data", "data")].bytes == 2 * MIB


def test_heavy_entries_a_dockerfile_names_are_not_suggested(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY .venv /opt/venv\nCOPY src/ /app/\n",
            ".venv/pyvenv.cfg": "",
            "src/.venv/pyvenv.cfg": "",
            "src/main.py": "",
        },
    )
    report = analyze_context(tmp_path)
    venvs = {h.fix: h.copied_by for h in report.heavy}
    assert venvs == {".venv": (2,), "src/.venv": ()}  # COPY src/ reaches src/.venv but does not name it
    assert [s.line for s in report.suggestions] == ["src/.venv"]


def test_suggestions_do_not_repeat_each_other(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "Dockerfile": "FROM python:3.11\nCOPY src/ /app/\n",
            ".dockerignore": "node_modules\n",
            "src/main.py": "",
            "web/node_modules/pkg/index.js": 2 * MIB,
            "web/package.json": "{}",
            "weights/model.pt": 2 * MIB,
        },
    )
    report = analyze_context(tmp_path)
    # web/node_modules is left out by the gap's fix; web/ and weights/ hold little else
    assert [s.line for s in report.suggestions] == ["**/node_modules", "**/*.pt"]
    assert report.unused is not None and {e.path for e in report.unused.entries} >= {"web", "weights"}


def test_a_rejected_ignore_file_raises(tmp_path: Path) -> None:
    make(tmp_path, {".dockerignore": "ok\n[abc\n"})
    with pytest.raises(IgnoreFileError, match=r":2: "):
        analyze_context(tmp_path)


def test_dockerfile_parse_errors_become_notes(tmp_path: Path) -> None:
    make(tmp_path, {"Dockerfile": "FROM python:3.11\nCOPY <<EOF /x\nnever ends\n", "a": ""})
    report = analyze_context(tmp_path)
    assert report.notes and "Dockerfile:" in report.notes[0]
