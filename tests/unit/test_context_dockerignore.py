"""`.dockerignore` reading and matching: the engine's semantics, and agreement with the Docker SDK's
matcher wherever the SDK agrees with the engine (test_context_engine.py has the cases where it does not)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from docker.utils.build import PatternMatcher, exclude_paths
from hypothesis import assume, given
from hypothesis import strategies as st

from dockopt.repo.dockerignore import (
    IgnoreFileError,
    IgnoreMatcher,
    compile_pattern,
    filepath_match_regex,
    find_ignore_file,
    go_clean,
    parse_ignore,
    sent_paths,
    walk_context,
)

# -- reading -------------------------------------------------------------------------------


def test_comments_blank_lines_bom_and_crlf() -> None:
    ignore = parse_ignore("\ufeff# comment\r\n\r\n  .git  \r\n!keep\r\n   \n  # not a comment\n")
    assert [(p.line, p.text, p.pattern, p.exclusion) for p in ignore.patterns] == [
        (3, ".git", ".git", False),
        (4, "!keep", "keep", True),
        (6, "# not a comment", "# not a comment", False),
    ]
    assert ignore.errors == ()


@pytest.mark.parametrize(
    ("line", "pattern"),
    [
        ("/build/", "build"),
        ("./dist", "dist"),
        ("a//b/./c", "a/b/c"),
        ("a/b/../c", "a/c"),
        ("../a", "../a"),
        ("/../a", "a"),
        ("! /x/", "x"),
        ("/", "/"),
        (".", "."),
    ],
)
def test_patterns_are_cleaned_like_go(line: str, pattern: str) -> None:
    assert parse_ignore(line).patterns[0].pattern == pattern


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [("", "."), ("//a", "/a"), ("/..", "/"), ("a/..", "."), ("../../a", "../../a"), ("a/../../b", "../b")],
)
def test_go_clean(path: str, cleaned: str) -> None:
    assert go_clean(path) == cleaned


@pytest.mark.parametrize("line", ["[abc", "!", "a\\", "[]", "[-a]", "[a-]", "[z-a]", "x[^]"])
def test_malformed_patterns_are_errors(line: str) -> None:
    ignore = parse_ignore(f"ok\n{line}\n")
    assert [p.text for p in ignore.patterns] == ["ok"]
    assert [e.line for e in ignore.errors] == [2]
    with pytest.raises(IgnoreFileError, match=r"\.dockerignore:2: .*docker build fails"):
        ignore.check()


def test_from_lines_raises_on_a_malformed_pattern() -> None:
    with pytest.raises(IgnoreFileError):
        IgnoreMatcher.from_lines(["[abc"])


def test_dockerfile_specific_ignore_file_takes_precedence(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    dockerfile = tmp_path / "docker" / "api.Dockerfile"
    dockerfile.write_text("FROM scratch\n")
    assert find_ignore_file(tmp_path, dockerfile) is None
    (tmp_path / ".dockerignore").write_text("a\n")
    assert find_ignore_file(tmp_path, dockerfile) == tmp_path / ".dockerignore"
    (tmp_path / "docker" / "api.Dockerfile.dockerignore").write_text("b\n")
    assert find_ignore_file(tmp_path, dockerfile) == tmp_path / "docker" / "api.Dockerfile.dockerignore"
    (tmp_path / "Dockerfile.dockerignore").write_text("c\n")
    assert find_ignore_file(tmp_path, tmp_path / "Dockerfile") == tmp_path / "Dockerfile.dockerignore"
    assert find_ignore_file(tmp_path) == tmp_path / ".dockerignore"


# -- matching ------------------------------------------------------------------------------


def matcher(*lines: str) -> IgnoreMatcher:
    return IgnoreMatcher.from_lines(lines)


def test_root_only_patterns_do_not_match_deeper() -> None:
    m = matcher("__pycache__/", "*.pyc")
    assert m.excluded("__pycache__")
    assert m.excluded("__pycache__/mod.cpython-311.pyc")
    assert m.excluded("top.pyc")
    assert not m.excluded("src/pkg/__pycache__")
    assert not m.excluded("src/pkg/__pycache__/model.cpython-311.pyc")
    assert not m.excluded("src/pkg/x.pyc")
    deep = matcher("**/__pycache__", "**/*.pyc")
    assert deep.excluded("src/pkg/__pycache__/model.cpython-311.pyc")
    assert deep.excluded("src/pkg/x.pyc")
    assert deep.excluded("top.pyc")


def test_a_directory_pattern_excludes_everything_below() -> None:
    m = matcher("build", "data/raw")
    assert m.excluded("build/a/b/c")
    assert m.excluded("data/raw/x/y")
    assert not m.excluded("data/clean/x")
    assert not m.excluded("src/build/x")


def test_the_last_matching_pattern_decides() -> None:
    m = matcher("docs", "!docs/README.md", "docs/README.md")
    assert m.excluded("docs/README.md")
    m = matcher("*.md", "!README.md")
    assert not m.excluded("README.md")
    assert m.excluded("CHANGES.md")
    assert m.decisive("README.md") is m.patterns[1]
    assert m.decisive("src/a.py") is None


def test_star_and_question_mark_stop_at_slashes() -> None:
    m = matcher("src/*.py", "?.txt")
    assert m.excluded("src/a.py")
    assert not m.excluded("src/a/b.py")
    assert m.excluded("a.txt")
    assert not m.excluded("ab.txt")


def test_double_star() -> None:
    m = matcher("**/node_modules", "docs/**", "a/**/b")
    assert m.excluded("node_modules")
    assert m.excluded("web/app/node_modules")
    # the parent prefix tried has the pattern's two components ("web/app"): a file below is not
    # matched itself; it is left out because the walk never enters the excluded directory
    assert not m.excluded("web/app/node_modules/x/y")
    assert m.prunes("web/app/node_modules")
    assert m.excluded("docs/x/y")
    assert not m.excluded("docs")
    assert m.excluded("a/b")
    assert m.excluded("a/x/y/b")


def test_matching_is_case_sensitive() -> None:
    assert not matcher("*.pt").excluded("model.PT")


def test_classes_and_escapes_follow_the_engine() -> None:
    m = matcher("[!a]b", "[^c]d", "[a-c]e", "x\\*y")
    assert [p for p in ("ab", "!b", "cb") if m.excluded(p)] == ["ab", "!b"]
    assert [p for p in ("cd", "ad") if m.excluded(p)] == ["ad"]
    assert m.excluded("be") and not m.excluded("de")
    assert m.excluded("x*y") and not m.excluded("xzy")


def test_pruning() -> None:
    assert matcher("build").prunes("build")
    assert not matcher("build", "!build/keep").prunes("build")
    assert matcher("build", "!buildx/keep").prunes("build")
    assert matcher("build", "!**/*.py").prunes("build")  # a wildcard exception does not keep it
    assert not matcher("*", "!src/**/*.py").prunes("src")


def test_walk_reports_pruned_and_kept_directories(tmp_path: Path) -> None:
    for name in ("build/a", "docs/README.md", "docs/b", "src/x.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    entries = {e.path: e for e in walk_context(tmp_path, matcher("build", "docs", "!docs/README.md"))}
    assert entries["build"].pruned and "build/a" not in entries
    assert entries["docs"].excluded and not entries["docs"].pruned
    assert not entries["docs/README.md"].excluded
    assert entries["docs/b"].excluded and entries["docs/b"].pattern is not None and entries["docs/b"].pattern.line == 2
    assert sorted(sent_paths(tmp_path, matcher("build", "docs", "!docs/README.md"))) == [
        "docs/README.md",
        "src",
        "src/x.py",
    ]


def test_walk_notes_unreadable_directories(tmp_path: Path) -> None:
    errors: list[str] = []
    assert list(walk_context(tmp_path / "missing", matcher(), errors)) == []
    assert errors and errors[0].startswith(".:")


def test_copy_globs_have_no_double_star() -> None:
    regex = filepath_match_regex("**.py")
    assert regex.fullmatch("a.py")
    assert not regex.fullmatch("a/b.py")
    with pytest.raises(ValueError, match="syntax error"):
        filepath_match_regex("[a")


# -- agreement with the Docker SDK -----------------------------------------------------------

# Lower-case names (the SDK lowercases), no backslash, no [! or [^ classes, no leading ".." and
# no "#" (comments are handled before the matcher): where the SDK agrees with the engine.
_NAMES = st.sampled_from(["a", "b", "ab", "ba", "c", "x.py", "a.py", "__pycache__", "node_modules", "d.e"])
_ATOMS = st.sampled_from(
    ["a", "b", "ab", "c", "x.py", "*", "?", "**", "*.py", "a*", "*b", "[a-c]", "[ab]*", "__pycache__", ".", "d.e"]
)


@st.composite
def patterns(draw: st.DrawFn) -> str:
    text = "/".join(draw(st.lists(_ATOMS, min_size=1, max_size=4)))
    text = draw(st.sampled_from(["", "/", "./"])) + text + draw(st.sampled_from(["", "/"]))
    return ("!" if draw(st.booleans()) else "") + text


_PATHS = st.lists(_NAMES, min_size=1, max_size=5).map("/".join)


@given(st.lists(patterns(), min_size=1, max_size=6), st.lists(_PATHS, min_size=1, max_size=10))
def test_matching_agrees_with_the_sdk(lines: list[str], paths: list[str]) -> None:
    sdk = PatternMatcher(list(lines))
    ours = IgnoreMatcher.from_lines([*lines, "!.dockerignore"])  # the SDK's matcher always adds it
    for path in paths:
        assert ours.excluded(path) == sdk.matches(path), (lines, path)


def _sdk_prefix_quirk(lines: list[str], directories: set[str]) -> bool:
    """The SDK keeps a directory for an exception that starts with its name but not with name/."""
    exceptions = [compile_pattern(line).pattern for line in lines if line.startswith("!")]
    return any(e.startswith(d) and not e.startswith(d + "/") for e in exceptions for d in directories)


@given(
    st.lists(st.lists(_NAMES, min_size=1, max_size=4), min_size=1, max_size=12),
    st.lists(patterns(), min_size=1, max_size=5),
)
def test_walk_agrees_with_sdk_exclude_paths(tree: list[list[str]], lines: list[str]) -> None:
    root = Path(tempfile.mkdtemp(prefix="dockopt-walk-"))
    try:
        files = _make_tree(root, tree)
        directories = {"/".join(parts[:i]) for parts in (f.split("/") for f in files) for i in range(1, len(parts))}
        assume(not _sdk_prefix_quirk(lines, directories))
        sdk = set(exclude_paths(str(root), list(lines), dockerfile="Dockerfile"))
        ours = set(sent_paths(root, IgnoreMatcher.from_lines([*lines, "!Dockerfile", "!.dockerignore"])))
        assert ours == sdk, lines
    finally:
        shutil.rmtree(root)


def _make_tree(root: Path, tree: list[list[str]]) -> list[str]:
    files = []
    for parts in tree:
        path = root.joinpath(*parts)
        if any(p.exists() and not p.is_dir() for p in path.parents) or path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        files.append("/".join(parts))
    return files
