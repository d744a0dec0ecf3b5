"""DO606: documentation naming files or Dockerfiles the repository does not have."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase

from dockopt.findings import Finding, Severity
from dockopt.repo.discovery import is_dockerfile_name
from dockopt.rules._repo import RepositoryTree, listing, repository_tree, suffix
from dockopt.rules.base import RepositoryRule
from dockopt.rules.context import RepositoryContext

_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+[\"'(][^)]*)?\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_NOT_A_PATH = re.compile(r"[\s*?\[\]{}<>$%=|,;()'\"!^:@\\]")
_HEDGED = re.compile(
    r"\b(?:not|no|don't|doesn't|never|instead of|create[sd]?|generate[sd]?|will be|written|writes|output|"
    r"optional(?:ly)?|e\.g\.|for example|such as|your)\b",
    re.IGNORECASE,
)
_KNOWN_SUFFIXES = frozenset(
    {".txt", ".sh", ".bash", ".yml", ".yaml", ".py", ".toml", ".json", ".cfg", ".ini", ".md", ".lock", ".hcl",
     ".ipynb", ".conf", ".mk", ".in"}
)  # fmt: skip
_OUTPUT_DIRS = frozenset(
    {"build", "dist", "out", "output", "outputs", "target", "_build", "site", "htmlcov", "tmp", ".tox", ".venv",
     "venv", "node_modules", "__pycache__", ".git", ".cache", "checkpoints", "logs"}
)  # fmt: skip
_LISTED_ENTRIES = 10


@dataclass(frozen=True, slots=True)
class _Reference:
    text: str
    column: int
    end_column: int
    link: bool


class DocsNameMissingFiles(RepositoryRule):
    """Documentation names a file, Dockerfile or directory that the repository does not have.

    What it does:
        Reads the READMEs (`README*.md` at any depth) and the Markdown files below `docs/`, outside
        fenced and indented code blocks, and checks the repository paths they name: relative link
        targets (`[build script](scripts/build_all.sh)`), and code spans that name a path inside
        a directory the repository has, or a file with a known extension (`.txt`, `.sh`, `.yml`,
        `.py`, `.toml`…) or a Dockerfile one level below one (`docker/stages/vad/Dockerfile`
        where `docker/stages/` exists). A path counts as present relative to the document's
        directory, to the repository root, or as the end of any path of the repository. Left
        alone: bare file names
        (`requirements.txt` in prose is usually generic), URLs, absolute paths (those are inside
        the image), globs and placeholders (`*`, `<name>`, `${VAR}`), image references
        (`nvidia/cuda:12.1`), paths under build outputs and caches (`dist/`, `build/`, `.venv/`),
        files the root `.gitignore` ignores, and lines that say a file is created, generated,
        optional or absent.

    Why is this bad?
        A README is where a new maintainer starts. A table that lists a stage image with a
        Dockerfile that was removed (or never merged) sends them looking for it, and a build
        instruction naming a script that moved fails when they copy it. Documentation drifts
        silently; nothing else checks it.

    Example:
        ```markdown
        | pipeline-vad | `docker/stages/vad/Dockerfile` | pipeline-cpu-base |
        ```

    Use instead:
        Remove the row, or fix the path to a Dockerfile that exists:
        ```markdown
        | pipeline-asr | `docker/stages/asr/Dockerfile` | pipeline-ml-base |
        ```
    """

    id = "DO606"
    name = "docs-name-missing-files"
    severity = Severity.INFO
    groups = ("correctness",)

    def check_repository(self, repo: RepositoryContext) -> Iterator[Finding]:
        tree = repository_tree(repo)
        documents = [path for path in tree.files if _is_documentation(path)]
        if not documents:
            return
        ignored = _gitignore_patterns(repo)
        for document in documents:
            text = repo.read_text(document)
            if text is None:
                continue
            for number, line, references in _references(text):
                for reference in references:
                    missing = _missing(repo, tree, document, reference, ignored, hedged=bool(_HEDGED.search(line)))
                    if missing is None:
                        continue
                    yield self.finding_in(
                        repo,
                        document,
                        number,
                        _message(repo, tree, reference, missing),
                        column=reference.column,
                        end_column=reference.end_column,
                    )


def _is_documentation(path: str) -> bool:
    name = path.rpartition("/")[2].lower()
    if not name.endswith(".md"):
        return False
    return name.startswith("readme") or path.startswith("docs/")


def _references(text: str) -> Iterator[tuple[int, str, list[_Reference]]]:
    """(line number, line, path-like references) outside code blocks."""
    fence: str | None = None
    previous_blank = True
    in_indented = False
    for number, line in enumerate(text.splitlines(), 1):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1) == fence:
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        indented = line.startswith(("    ", "\t")) and bool(line.strip())
        in_indented = indented and (previous_blank or in_indented)
        previous_blank = not line.strip()
        if in_indented:
            continue
        found: list[_Reference] = []
        for match in _CODE_SPAN.finditer(line):
            content = match.group(2).strip()
            start = match.start(2) + (len(match.group(2)) - len(match.group(2).lstrip()))
            found.append(_Reference(content, start + 1, start + len(content), link=False))
        for pattern in (_LINK, _REFERENCE):
            for match in pattern.finditer(line):
                if not _inside_code(line, match.start()):
                    found.append(_Reference(match.group(1), match.start(1) + 1, match.end(1), link=True))
        if found:
            yield number, line, found


def _inside_code(line: str, offset: int) -> bool:
    return any(m.start() <= offset < m.end() for m in _CODE_SPAN.finditer(line))


def _candidate(reference: _Reference) -> str | None:
    """The path a reference names, cleaned; None when it is not a repository path."""
    text = reference.text
    if reference.link:
        if _SCHEME.match(text) or text.startswith(("#", "//")):
            return None
        text = text.split("#", 1)[0].split("?", 1)[0]
        if not text:
            return None
    elif _NOT_A_PATH.search(text) or text.startswith(("-", "~", "/")):
        return None
    if text.startswith("/") and not reference.link:
        return None
    if "*" in text or "${" in text or "<" in text:
        return None
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or any(part in _OUTPUT_DIRS for part in parts):
        return None
    first = parts[0]
    if not reference.link and "/" in text and "." in first and not first.startswith(".") and len(parts) > 1:
        return None  # a host name: github.com/org/repo
    return text


def _missing(
    repo: RepositoryContext,
    tree: RepositoryTree,
    document: str,
    reference: _Reference,
    ignored: list[str],
    *,
    hedged: bool,
) -> str | None:
    """The repository-relative path a reference names when it does not exist; None otherwise."""
    text = _candidate(reference)
    if text is None:
        return None
    directory = posixpath.dirname(document)
    if not reference.link and (hedged or not _in_known_directory(repo, directory, text)):
        return None
    if reference.link:
        bases = ["."] if text.startswith("/") else [directory or "."]
    else:
        bases = [directory or ".", "."]
    relative = [posixpath.normpath(posixpath.join(base, text.lstrip("/"))) for base in dict.fromkeys(bases)]
    relative = [path for path in relative if path != ".." and not path.startswith("../")]
    if not relative:
        return None
    if any((repo.root / path).exists() for path in relative):
        return None
    if not reference.link and _ends_some_path(tree, text.strip("/").removeprefix("./")):
        return None
    if any(_ignored(path, ignored) for path in relative):
        return None
    return relative[-1] if not reference.link else relative[0]


def _in_known_directory(repo: RepositoryContext, directory: str, text: str) -> bool:
    """Whether a code span is a path of the repository: its directory exists (relative to the
    document or the root), or it names a file by a known extension or a Dockerfile name one level
    below a directory that exists (`docker/stages/vad/Dockerfile` where `docker/stages/` exists)."""
    parts = text.rstrip("/").split("/")
    if len(parts) < 2:
        return False  # a bare name: generic more often than not

    def exists(path: str) -> bool:
        return any((repo.root / base / path).is_dir() for base in dict.fromkeys((directory or ".", ".")))

    if exists("/".join(parts[:-1])):
        return True
    name = parts[-1]
    named_file = not text.endswith("/") and (suffix(name) in _KNOWN_SUFFIXES or is_dockerfile_name(name))
    return named_file and len(parts) >= 3 and exists("/".join(parts[:-2]))


def _ends_some_path(tree: RepositoryTree, text: str) -> bool:
    name = text.rpartition("/")[2]
    if any(path == text or path.endswith("/" + text) for path in tree.by_name.get(name, [])):
        return True
    return any(path == text or path.endswith("/" + text) for path in tree.dirs if path.endswith(name))


def _gitignore_patterns(repo: RepositoryContext) -> list[str]:
    text = repo.read_text(".gitignore") or ""
    patterns = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")):
            patterns.append(line.strip("/"))
    return patterns


def _ignored(path: str, patterns: list[str]) -> bool:
    """A simple reading of the root .gitignore: a pattern without ``/`` matches any component."""
    parts = path.split("/")
    for pattern in patterns:
        if "/" in pattern:
            if any(fnmatchcase("/".join(parts[: i + 1]), pattern) for i in range(len(parts))):
                return True
        elif any(fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def _message(repo: RepositoryContext, tree: RepositoryTree, reference: _Reference, path: str) -> str:
    where = "relative to the document" if reference.link else "relative to the document or the repository root"
    named = f"`{reference.text}`" if reference.text.strip("/") == path else f"`{reference.text}` ({path})"
    text = f"{named} does not exist in the repository ({where})"
    parent = posixpath.dirname(path)
    for _ in range(2):  # the nearest directory that exists, one or two levels up
        if not parent or (repo.root / parent).is_dir():
            break
        parent = posixpath.dirname(parent)
    if parent and (repo.root / parent).is_dir():
        entries = sorted({p[len(parent) + 1 :].split("/", 1)[0] for p in (*tree.files, *tree.dirs)
                          if p.startswith(parent + "/")})  # fmt: skip
        if 0 < len(entries) <= _LISTED_ENTRIES:
            text += f"; {parent}/ has {listing(entries, _LISTED_ENTRIES)}"
    return text + ": fix the path, or remove the reference if the file is gone"
